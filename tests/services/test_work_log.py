"""The work log: what people and agents spent on an item, summed exactly, on both
databases."""

from __future__ import annotations

import asyncio

import pytest

from workledger.container import Container
from workledger.errors import NotFound, ValidationError
from workledger.schemas.common import Actor
from workledger.schemas.history import HistoryQuery
from workledger.schemas.work_item import WorkItemCreate, WorkItemUpdate
from workledger.schemas.work_log import WorkLogCreate


async def test_entries_add_up_on_the_item_and_leave_its_version(
    container: Container, actor: Actor
) -> None:
    item = await container.work_items.create(
        actor=actor, data=WorkItemCreate.load({"item_type": "task", "title": "parse"})
    )
    agent = actor.as_client("claude-code")
    first = await container.work_logs.log(
        actor=agent,
        work_item_id=item.id,
        data=WorkLogCreate.load({"minutes": 25, "tokens": 120_000, "cost_usd": 1.75, "note": "x"}),
    )
    await container.work_logs.log(
        actor=actor, work_item_id=str(item.id)[-8:], data=WorkLogCreate.load({"minutes": 5})
    )

    assert (first.minutes, first.tokens, first.cost_usd, first.author) == (
        25,
        120_000,
        1.75,
        "claude-code",
    )
    now = await container.work_items.get(actor=actor, item_id=item.id)
    assert (now.spent.minutes, now.spent.tokens, now.spent.cost_usd) == (30, 120_000, 1.75)
    assert now.version == item.version
    history = await container.history.of_work_item(
        actor=actor, item_id=item.id, query=HistoryQuery.load({})
    )
    logged = [e for e in history.items if e.action == "work_log"]
    assert [e.changes["work_log"][1]["minutes"] for e in logged] == [25, 5]
    assert [e.actor.client for e in logged] == ["claude-code", "test-client"]


async def test_sums_are_exact_under_concurrent_logging(container: Container, actor: Actor) -> None:
    item = await container.work_items.create(
        actor=actor, data=WorkItemCreate.load({"item_type": "task", "title": "busy"})
    )
    entry = WorkLogCreate.load({"minutes": 1, "tokens": 100, "cost_usd": 0.01})

    async def agent(n: int) -> None:
        for _ in range(5):
            await container.work_logs.log(
                actor=actor.as_client(f"agent-{n}"), work_item_id=item.id, data=entry
            )

    await asyncio.gather(*(agent(n) for n in range(16)))

    spent = (await container.work_items.get(actor=actor, item_id=item.id)).spent
    assert (spent.minutes, spent.tokens, spent.cost_usd) == (80, 8000, 0.8)


async def test_an_entry_names_what_was_spent_on_a_live_item(
    container: Container, actor: Actor
) -> None:
    item = await container.work_items.create(
        actor=actor, data=WorkItemCreate.load({"item_type": "task", "title": "gone"})
    )
    with pytest.raises(ValidationError, match="give minutes, tokens or cost_usd"):
        WorkLogCreate.load({"note": "nothing spent"})
    with pytest.raises(ValidationError, match="minutes"):
        WorkLogCreate.load({"minutes": -1})
    await container.work_items.update(
        actor=actor, item_id=item.id, data=WorkItemUpdate.load({"version": 1, "deleted": True})
    )
    with pytest.raises(NotFound):
        await container.work_logs.log(
            actor=actor, work_item_id=item.id, data=WorkLogCreate.load({"minutes": 1})
        )
