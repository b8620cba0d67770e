"""Optimistic locking under real concurrency: exactly one writer wins per version."""

from __future__ import annotations

import asyncio

import pytest

from workledger.container import Container
from workledger.errors import VersionConflict
from workledger.schemas.common import Actor
from workledger.schemas.history import HistoryQuery
from workledger.schemas.work_item import WorkItemCreate, WorkItemUpdate

RACERS = 10
ROUNDS = 3


async def test_two_clients_one_version_exactly_one_wins(container: Container, actor: Actor) -> None:
    item = await container.work_items.create(
        actor=actor, data=WorkItemCreate(item_type="task", title="shared")
    )
    desktop = actor.as_client("claude-desktop")
    code = actor.as_client("claude-code")

    first = await container.work_items.update(
        actor=desktop, item_id=item.id, data=WorkItemUpdate(version=1, title="from desktop")
    )
    with pytest.raises(VersionConflict) as refused:
        await container.work_items.update(
            actor=code, item_id=item.id, data=WorkItemUpdate(version=1, title="from code")
        )
    details = refused.value.to_dict()
    assert (details["current_version"], details["requested_version"]) == (2, 1)
    assert details["updated_by"] == "claude-desktop"
    current = await container.work_items.get(actor=actor, item_id=item.id)
    assert (first.version, current.version, current.title) == (2, 2, "from desktop")


async def test_ten_racers_exactly_one_wins_per_version(container: Container, actor: Actor) -> None:
    item = await container.work_items.create(
        actor=actor, data=WorkItemCreate(item_type="task", title="contended")
    )
    version = item.version
    for round_number in range(ROUNDS):

        async def racer(n: int, version: int = version, round_number: int = round_number) -> str:
            who = actor.as_client(f"agent-{n}")
            title = f"round {round_number} by agent {n}"
            await container.work_items.update(
                actor=who, item_id=item.id, data=WorkItemUpdate(version=version, title=title)
            )
            return title

        results = await asyncio.gather(*(racer(n) for n in range(RACERS)), return_exceptions=True)
        winners = [r for r in results if isinstance(r, str)]
        losers = [r for r in results if isinstance(r, VersionConflict)]
        assert len(winners) == 1, results
        assert len(losers) == RACERS - 1, results
        assert all(c.current_version == version + 1 for c in losers)
        current = await container.work_items.get(actor=actor, item_id=item.id)
        assert current.version == version + 1
        assert current.title == winners[0]
        assert all(c.updated_by == current.updated_by for c in losers)
        version = current.version
    # The losers left nothing behind: the history holds each round's winner alone.
    history = await container.history.of_work_item(
        actor=actor, item_id=item.id, query=HistoryQuery.load({"limit": 100})
    )
    assert [(e.action, e.version) for e in history.items] == [
        ("create", 1),
        *(("update", n) for n in range(2, ROUNDS + 2)),
    ]
    titles = ["contended", *(e.changes["title"][1] for e in history.items[1:])]
    assert [e.changes["title"][0] for e in history.items[1:]] == titles[:-1]
