"""The mirror's copies since the last one: after each, the mirror holds exactly what the
database holds, table by table, whatever happened in between (changes, deletions, a
transaction under way during the last copy, two rows trading a unique value), and it got
there by writing only what changed."""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support import processes
from tests.support.outage import WAIT_SECONDS
from tests.support.processes import until
from tests.support.servers import HttpServer
from workledger.container import Container
from workledger.fallback.copier import NICENESS, CopyFailed
from workledger.fallback.mirror import MIRROR_FILE, Mirror
from workledger.fallback.mirror_copy import mirrored_tables
from workledger.models import WorkItem
from workledger.schemas.common import Actor
from workledger.schemas.vendor import VendorCreate, VendorUpdate
from workledger.schemas.work_item import WorkItemCreate, WorkItemUpdate

pytestmark = pytest.mark.parametrize("backend", ["postgresql"])
COPIER = "workledger.fallback.copier"


async def _rows(engine: AsyncEngine) -> dict[str, list[tuple[Any, ...]]]:
    tables = {}
    async with engine.connect() as conn:
        for table in mirrored_tables():
            rows = await conn.execute(select(table))
            tables[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return tables


async def assert_same(container: Container, mirror: Mirror) -> None:
    database, copied = await _rows(container.db.engine), await _rows(mirror.engine)
    for name in database:
        assert copied[name] == database[name], name


@pytest.fixture
async def mirror(tmp_path: Path) -> Any:
    made = Mirror(tmp_path / MIRROR_FILE, ttl_seconds=60)
    await made.open()
    yield made
    await made.dispose()


def url(container: Container) -> str:
    return container.db.engine.url.render_as_string(hide_password=False)


async def task(container: Container, actor: Actor, title: str, **fields: Any) -> Any:
    data = WorkItemCreate.load({"item_type": "task", "title": title, **fields})
    return await container.work_items.create(actor=actor, data=data)


async def test_a_copy_since_the_last_writes_only_what_changed_and_misses_nothing(
    container: Container, actor: Actor, mirror: Mirror
) -> None:
    items = [await task(container, actor, f"item {n}") for n in range(30)]
    blocked = await task(
        container, actor, "blocked", dependencies=[{"depends_on_id": str(items[0].id)}]
    )
    vendor = await container.vendors.create(actor=actor, data=VendorCreate.load({"name": "Acme"}))
    first = await mirror.copy_from(url(container))
    assert first.whole
    await assert_same(container, mirror)

    changed = items[1]
    await container.work_items.update(
        actor=actor,
        item_id=changed.id,
        data=WorkItemUpdate.load({"title": "renamed", "version": changed.version}),
    )
    # The dependency's row is deleted from the database, not marked.
    await container.work_items.update(
        actor=actor,
        item_id=blocked.id,
        data=WorkItemUpdate.load({"dependencies": [], "version": blocked.version}),
    )
    await container.work_items.delete(actor=actor, item_id=items[2].id, version=items[2].version)
    await container.vendors.update(
        actor=actor,
        vendor_id=vendor.id,
        data=VendorUpdate.load({"status": "broken", "version": vendor.version}),
    )
    await task(container, actor, "new")
    since = await mirror.copy_from(url(container))

    assert not since.whole
    assert 0 < since.rows < first.rows / 2
    await assert_same(container, mirror)
    nothing = await mirror.copy_from(url(container))
    assert (nothing.whole, nothing.rows) == (False, 0)


async def test_a_transaction_under_way_during_a_copy_is_in_the_next(
    container: Container, actor: Actor, mirror: Mirror
) -> None:
    item = await task(container, actor, "before")
    await mirror.copy_from(url(container))
    async with container.db.engine.connect() as writer:
        transaction = await writer.begin()
        await writer.execute(
            text("UPDATE work_items SET title = 'in a transaction' WHERE id = :id"),
            {"id": item.id},
        )
        await writer.execute(text("SAVEPOINT inner_one"))  # a subtransaction's own id
        await writer.execute(
            text("UPDATE work_items SET priority = 'high' WHERE id = :id"), {"id": item.id}
        )
        await writer.execute(text("RELEASE SAVEPOINT inner_one"))
        # A transaction that began later and committed: the copy's snapshot has seen
        # transactions end after the one still running.
        await task(container, actor, "after")
        await mirror.copy_from(url(container))  # sees the first transaction running
        await transaction.commit()
    await mirror.copy_from(url(container))

    await assert_same(container, mirror)
    async with mirror.engine.connect() as conn:
        found = select(WorkItem.title, WorkItem.priority).where(WorkItem.id == item.id)
        assert tuple((await conn.execute(found)).one()) == ("in a transaction", "high")


async def test_rows_that_traded_a_unique_value_are_copied_whole(
    container: Container, actor: Actor, mirror: Mirror
) -> None:
    a = await container.vendors.create(actor=actor, data=VendorCreate.load({"name": "A"}))
    b = await container.vendors.create(actor=actor, data=VendorCreate.load({"name": "B"}))
    await mirror.copy_from(url(container))
    async with container.db.engine.begin() as conn:
        swap = "UPDATE vendors SET name = :name WHERE id = :id"
        await conn.execute(text(swap), {"name": "tmp", "id": a.id})
        await conn.execute(text(swap), {"name": "A", "id": b.id})
        await conn.execute(text(swap), {"name": "B", "id": a.id})
    copied = await mirror.copy_from(url(container))

    assert copied.whole
    await assert_same(container, mirror)


async def test_a_mirror_that_took_writes_of_its_own_is_copied_whole(
    container: Container, actor: Actor, mirror: Mirror
) -> None:
    await task(container, actor, "kept")
    await mirror.copy_from(url(container))
    async with mirror.engine.begin() as conn:  # as a journaled write would
        await conn.execute(text("UPDATE work_items SET title = 'journaled'"))
    mirror.diverged()
    copied = await mirror.copy_from(url(container))

    assert copied.whole
    await assert_same(container, mirror)


async def test_a_database_that_is_away_fails_the_copy_as_unavailable(
    container: Container, mirror: Mirror
) -> None:
    with pytest.raises(CopyFailed) as failed:  # nobody listens on port 9
        await mirror.copy_from("postgresql+asyncpg://nobody@127.0.0.1:9/none")
    assert failed.value.meaning == "unavailable"
    await mirror.copy_from(url(container))  # the helper answers the next one


def _copier_of(server: HttpServer) -> int | None:
    """The pid of the server's copier, once its first copy is made."""
    with urllib.request.urlopen(f"{server.base_url}/health", timeout=5) as response:
        if json.load(response)["mirror_synced_at"] is None:
            return None
    children = (pid for pid in processes.pids() if processes.parent(pid) == server.process.pid)
    return next((p for p in children if COPIER in processes.cmdline(p)), None)


@pytest.mark.parametrize("stop", ["terminate", "kill"])
def test_the_copier_runs_beside_its_server_at_a_lower_priority_and_ends_with_it(
    database_url: str, tmp_path: Path, stop: str
) -> None:
    server = HttpServer(database_url, tmp_path / "home")
    try:
        server.wait_until_up()
        copier = until(lambda: _copier_of(server), seconds=WAIT_SECONDS)
        assert isinstance(copier, int), f"no copier:\n{server.log_tail()}"
        served = os.getpriority(os.PRIO_PROCESS, server.process.pid)
        assert os.getpriority(os.PRIO_PROCESS, copier) == min(served + NICENESS, 19)
    finally:
        getattr(server.process, stop)()  # SIGTERM: the server stops; SIGKILL: it dies
        server.process.wait(timeout=15)
    ended = until(lambda: not processes.alive(copier), seconds=WAIT_SECONDS)
    assert ended, "the copier outlived its server"
