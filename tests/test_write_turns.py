"""SQLite has one writer at a time: the process's writers take turns, first come first,
and none of them copies the write-ahead log back into the file inside its commit."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from workledger.container import Container
from workledger.db.checkpoint import CHECKPOINT_EVERY_SECONDS
from workledger.schemas.common import Actor
from workledger.schemas.work_item import WorkItemCreate, WorkItemListQuery

WRITERS = 12


def size_of(path: Path) -> int:
    return path.stat().st_size


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_concurrent_writers_commit_in_the_order_they_came(
    container: Container, actor: Actor
) -> None:
    items = container.work_items
    writers = []
    for i in range(WRITERS):
        data = WorkItemCreate.load({"item_type": "task", "title": f"writer {i}"})
        writers.append(asyncio.create_task(items.create(actor=actor, data=data)))
        await asyncio.sleep(0)  # this writer is queued before the next one starts
    made = await asyncio.gather(*writers)
    assert [item.title for item in sorted(made, key=lambda item: item.created_at)] == [
        f"writer {i}" for i in range(WRITERS)
    ]
    page = await items.list(actor=actor, query=WorkItemListQuery())
    assert page.total_count == WRITERS


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_the_log_is_copied_into_the_database_file_without_a_commit_paying_for_it(
    container: Container, actor: Actor, database_url: str
) -> None:
    """Commits leave SQLite's write-ahead log alone; a background checkpoint copies it into
    the file soon after (or the log would grow for as long as the server runs)."""
    path = Path(make_url(database_url).database or "")
    items = container.work_items
    await items.create(actor=actor, data=WorkItemCreate.load({"item_type": "task", "title": "0"}))
    await asyncio.sleep(CHECKPOINT_EVERY_SECONDS * 2)  # the first checkpoint
    before = size_of(path)
    for i in range(300):
        data = WorkItemCreate.load({"item_type": "task", "title": f"a longer title, {i}" * 4})
        await items.create(actor=actor, data=data)
    deadline = asyncio.get_running_loop().time() + 10
    while size_of(path) == before:
        assert asyncio.get_running_loop().time() < deadline, "no checkpoint copied the log"
        await asyncio.sleep(0.1)
    page = await items.list(actor=actor, query=WorkItemListQuery())
    assert page.total_count == 301
