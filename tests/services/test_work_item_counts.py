"""List totals come from tallies kept on every write: they must equal a real count."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest
from sqlalchemy import text

from workledger.container import Container
from workledger.errors import ValidationError
from workledger.schemas.common import Actor
from workledger.schemas.work_item import WorkItemCreate, WorkItemListQuery, WorkItemUpdate

TASK = {"item_type": "task", "title": "a task"}


async def counted(container: Container, actor: Actor, **filters: Any) -> int:
    """What a plain COUNT(*) over the table says for these filters."""
    sql = "SELECT count(*) FROM work_items WHERE ledger_id = :ledger"
    params: dict[str, Any] = {
        "ledger": actor.ledger_id
        if container.db.dialect.name == "postgresql"
        else actor.ledger_id.hex
    }
    for name in ("item_type", "status"):
        if filters.get(name):
            sql += f" AND {name} = :{name}"
            params[name] = filters[name]
    if filters.get("root_only"):
        sql += " AND parent_id IS NULL"
    if not filters.get("include_deleted"):
        sql += " AND deleted_at IS NULL"
    async with container.db.engine.connect() as conn:
        return int((await conn.execute(text(sql), params)).scalar_one())


async def assert_totals_match(container: Container, actor: Actor) -> None:
    combos = itertools.product(
        (None, "project", "task"), (None, "active", "completed"), (False, True), (False, True)
    )
    for item_type, status, root_only, include_deleted in combos:
        filters = {
            "item_type": item_type,
            "status": status,
            "root_only": root_only,
            "include_deleted": include_deleted,
        }
        page = await container.work_items.list(
            actor=actor,
            query=WorkItemListQuery.load({k: v for k, v in filters.items() if v}),
        )
        assert page.total_count == await counted(container, actor, **filters), filters


async def test_totals_follow_creates_moves_status_changes_deletes_and_restores(
    container: Container, actor: Actor, other_actor: Actor
) -> None:
    items = container.work_items

    async def create(item_type: str, parent: Any = None, who: Actor = actor) -> Any:
        data = {"item_type": item_type, "title": item_type}
        if parent is not None:
            data["parent_id"] = str(parent.id)
        return await items.create(actor=who, data=WorkItemCreate.load(data))

    root = await create("project")
    child = await create("task", root)
    grandchild = await create("task", child)
    loose = await create("task")
    await create("task", who=other_actor)
    await assert_totals_match(container, actor)

    loose = await items.update(
        actor=actor, item_id=loose.id, data=WorkItemUpdate(version=1, status="completed")
    )
    await assert_totals_match(container, actor)

    child = await items.update(
        actor=actor, item_id=child.id, data=WorkItemUpdate(version=1, parent_id=None)
    )
    await assert_totals_match(container, actor)
    await items.update(
        actor=actor, item_id=child.id, data=WorkItemUpdate(version=2, parent_id=loose.id)
    )
    await assert_totals_match(container, actor)

    await items.delete(actor=actor, item_id=grandchild.id, version=1)
    loose_now = await items.get(actor=actor, item_id=loose.id)
    await items.delete(actor=actor, item_id=loose.id, version=loose_now.version, cascade=True)
    await assert_totals_match(container, actor)

    await items.restore(actor=actor, item_id=loose.id)
    await assert_totals_match(container, actor)
    assert (await items.list(actor=other_actor, query=WorkItemListQuery())).total_count == 1


async def test_deep_offsets_point_to_the_cursor() -> None:
    with pytest.raises(ValidationError) as refused:
        WorkItemListQuery.load({"offset": 10_001})
    assert refused.value.errors[0].field == "offset"
    assert WorkItemListQuery.load({"offset": 10_000}).offset == 10_000


# SQLite has one writer at a time: there the second create waits its turn by design.
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_writers_on_other_connections_do_not_wait_for_an_open_writers_tally(
    container: Container, actor: Actor
) -> None:
    """A create whose transaction is still open holds its tally row; a second create
    beside it (another connection) still finishes, and both count once committed."""
    items = container.work_items
    second_done = asyncio.Event()

    async def first() -> None:
        async with container.db.transaction():
            await items.create(actor=actor, data=WorkItemCreate.load(TASK))
            await asyncio.wait_for(second_done.wait(), 10)

    holder = asyncio.create_task(first())
    await asyncio.sleep(0.2)  # the first create has flushed, its transaction stays open
    await asyncio.wait_for(items.create(actor=actor, data=WorkItemCreate.load(TASK)), 5)
    second_done.set()
    await holder
    page = await items.list(actor=actor, query=WorkItemListQuery.load({"item_type": "task"}))
    assert page.total_count == 2


async def test_totals_stay_exact_under_concurrent_writers(
    container: Container, actor: Actor
) -> None:
    items = container.work_items
    made = await asyncio.gather(
        *(items.create(actor=actor, data=WorkItemCreate.load(TASK)) for _ in range(24))
    )
    await asyncio.gather(
        *(
            items.update(
                actor=actor, item_id=item.id, data=WorkItemUpdate(version=1, status="active")
            )
            for item in made[:10]
        )
    )
    await assert_totals_match(container, actor)
