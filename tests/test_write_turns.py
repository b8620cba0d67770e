"""SQLite has one writer at a time: the process's writers take turns, first come first."""

from __future__ import annotations

import asyncio

import pytest

from workledger.container import Container
from workledger.schemas.common import Actor
from workledger.schemas.work_item import WorkItemCreate, WorkItemListQuery

WRITERS = 12


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
