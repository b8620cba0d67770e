"""Claims are leases: they run out, are renewed, released, taken over; the next ready item
is taken in one step by any number of agents at once; containers are never ready. Both
databases; the clock travels (time-machine) instead of the tests waiting for leases."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
import time_machine

from tests.conftest import new_member
from tests.services.work_items import make
from workledger.container import Container
from workledger.db.types import utcnow
from workledger.errors import Conflict, Forbidden, VersionConflict
from workledger.schemas.common import Actor, Role
from workledger.schemas.history import HistoryQuery
from workledger.schemas.work_item import (
    ClaimNext,
    WorkItemListQuery,
    WorkItemRead,
    WorkItemUpdate,
)


async def ready_or_held(container: Container, actor: Actor) -> list[WorkItemRead]:
    query = WorkItemListQuery.load({"limit": 100})
    return list((await container.work_items.list(actor=actor, query=query)).items)


async def ready_titles(container: Container, actor: Actor) -> list[str]:
    query = WorkItemListQuery.load({"ready": True, "limit": 100})
    return [
        item.title for item in (await container.work_items.list(actor=actor, query=query)).items
    ]


async def take_next(container: Container, actor: Actor, **wanted: Any) -> WorkItemRead | None:
    return await container.work_items.claim_next(actor=actor, wanted=ClaimNext.load(wanted))


def later(seconds: float) -> time_machine.travel:
    """The clock ``seconds`` from now, and running."""
    return time_machine.travel(utcnow() + timedelta(seconds=seconds), tick=True)


async def test_a_claim_holds_for_its_lease_and_needs_no_version(
    container: Container, actor: Actor
) -> None:
    item = await make(container, actor, "parse")
    agent = actor.as_client("agent-a")
    before = utcnow()

    claimed = await container.work_items.claim(actor=agent, item_id=item.id, lease_seconds=60)

    assert (claimed.assignee, claimed.assignee_account) == ("agent-a", actor.account)
    assert claimed.claimed_until is not None
    assert (
        before + timedelta(seconds=59) < claimed.claimed_until <= utcnow() + timedelta(seconds=60)
    )
    # The default lease is half an hour; a version, when given, is still checked.
    other = await make(container, actor, "other")
    default = await container.work_items.claim(actor=agent, item_id=other.id)
    assert default.claimed_until is not None
    assert default.claimed_until - utcnow() > timedelta(minutes=29)
    with pytest.raises(VersionConflict):
        await container.work_items.claim(actor=agent, item_id=other.id, version=1)


async def test_a_lease_that_ran_out_is_taken_over_and_its_history_says_so(
    container: Container, actor: Actor
) -> None:
    item = await make(container, actor, "stuck with a dead agent")
    dead, alive = actor.as_client("agent-dead"), actor.as_client("agent-alive")
    await container.work_items.claim(actor=dead, item_id=item.id, lease_seconds=30)
    with pytest.raises(Conflict, match=r"claimed by .* via agent-dead until"):
        await container.work_items.claim(actor=alive, item_id=item.id)
    assert await ready_titles(container, alive) == []

    with later(31):
        assert await ready_titles(container, alive) == ["stuck with a dead agent"]
        assert (await container.work_items.get(actor=alive, item_id=item.id)).ready is True
        taken = await container.work_items.claim(actor=alive, item_id=item.id)
        assert (taken.assignee, taken.version) == ("agent-alive", 3)

    history = await container.history.of_work_item(
        actor=actor, item_id=item.id, query=HistoryQuery.load({})
    )
    actions = [(e.action, e.actor.client, e.changes.get("assignee")) for e in history.items]
    assert actions == [
        ("create", "test-client", None),
        ("claim", "agent-dead", [None, "agent-dead"]),
        ("claim_expired", "agent-alive", ["agent-dead", None]),
        ("claim", "agent-alive", ["agent-dead", "agent-alive"]),
    ]
    assert [e.seq for e in history.items] == sorted(e.seq for e in history.items)


async def test_claiming_again_renews_the_lease(container: Container, actor: Actor) -> None:
    item = await make(container, actor, "long job")
    holder, other = actor.as_client("agent-a"), actor.as_client("agent-b")
    first = await container.work_items.claim(actor=holder, item_id=item.id, lease_seconds=30)

    with later(20):
        renewed = await container.work_items.claim(actor=holder, item_id=item.id, lease_seconds=30)
        assert renewed.claimed_until is not None
        assert first.claimed_until is not None
        assert renewed.claimed_until > first.claimed_until
    with later(40):  # past the first lease, within the renewed one
        with pytest.raises(Conflict, match="claimed by"):
            await container.work_items.claim(actor=other, item_id=item.id)
        assert await ready_titles(container, other) == []
    with later(55):
        assert (
            await container.work_items.claim(actor=other, item_id=item.id)
        ).assignee == "agent-b"


async def test_the_holder_or_an_owner_releases_and_completing_releases(
    container: Container, actor: Actor
) -> None:
    mate = await new_member(container, actor, "mate@example.com", client="agent-mate")
    mine = await make(container, actor, "mine")
    holder = actor.as_client("agent-a")
    await container.work_items.claim(actor=holder, item_id=mine.id)

    with pytest.raises(Conflict, match="only they, or an owner"):
        await container.work_items.release(actor=mate, item_id=mine.id)
    released = await container.work_items.release(actor=holder, item_id=mine.id)
    assert (released.assignee, released.assignee_account, released.claimed_until) == (
        None,
        None,
        None,
    )
    assert (await container.work_items.release(actor=holder, item_id=mine.id)).version == (
        released.version
    )  # nothing held: nothing written

    taken = await container.work_items.claim(actor=mate, item_id=mine.id)
    by_owner = await container.work_items.release(actor=holder.as_client("web"), item_id=mine.id)
    assert (taken.assignee, by_owner.assignee) == ("agent-mate", None)

    again = await container.work_items.claim(actor=holder, item_id=mine.id)
    done = await container.work_items.update(
        actor=holder,
        item_id=mine.id,
        data=WorkItemUpdate.load({"version": again.version, "status": "completed"}),
    )
    assert (done.status, done.assignee, done.claimed_until) == ("completed", None, None)
    history = await container.history.of_work_item(
        actor=actor, item_id=mine.id, query=HistoryQuery.load({})
    )
    assert [e.action for e in history.items] == [
        "create",
        "claim",
        "release",
        "claim",
        "release",
        "claim",
        "update",
    ]


async def test_containers_are_never_ready_and_a_blocked_item_cannot_be_claimed(
    container: Container, actor: Actor
) -> None:
    project = await make(container, actor, "project", item_type="project")
    await make(container, actor, "session", item_type="session", parent_id=str(project.id))
    first = await make(container, actor, "schema")
    waiting = await make(container, actor, "api", dependencies=[{"depends_on_id": str(first.id)}])
    await make(container, actor, "survey", item_type="research")

    assert sorted(await ready_titles(container, actor)) == ["schema", "survey"]
    assert (await container.work_items.get(actor=actor, item_id=project.id)).ready is False
    with pytest.raises(
        Conflict, match=f"waits on 1 open dependency \\({str(first.id)[-8:]}\\)"
    ) as e:
        await container.work_items.claim(actor=actor, item_id=waiting.id)
    assert e.value.details["blocked_by"] == [str(first.id)]

    taken = [await take_next(container, actor) for _ in range(3)]
    assert sorted(t.title for t in taken if t is not None) == ["schema", "survey"]
    assert taken[2] is None


async def test_claim_next_takes_the_ready_order_within_its_filters(
    container: Container, actor: Actor
) -> None:
    parent = await make(container, actor, "epic", item_type="project")
    await make(container, actor, "low", priority="low")
    await make(container, actor, "urgent", priority="critical", tags=["db"])
    await make(container, actor, "child", parent_id=str(parent.id), tags=["db"])
    await make(container, actor, "reading", item_type="research", priority="high")

    assert (await take_next(container, actor, parent_id=str(parent.id))).title == "child"  # type: ignore[union-attr]
    assert (await take_next(container, actor, item_type="research")).title == "reading"  # type: ignore[union-attr]
    assert await take_next(container, actor, tag="db", lease_seconds=60) is not None
    assert await take_next(container, actor, tag="db") is None
    assert (await take_next(container, actor)).title == "low"  # type: ignore[union-attr]
    assert await take_next(container, actor) is None


@pytest.mark.parametrize("callers", [8, 50])
async def test_concurrent_takers_each_get_a_different_item(
    container: Container, actor: Actor, callers: int
) -> None:
    for n in range(callers):
        await make(container, actor, f"task {n}")
    agents = [actor.as_client(f"agent-{n}") for n in range(callers)]

    taken = await asyncio.gather(*(take_next(container, agent) for agent in agents))

    assert all(item is not None for item in taken)
    ids = [item.id for item in taken if item is not None]
    assert len(set(ids)) == callers
    assert {(item.assignee) for item in taken if item is not None} == {a.client for a in agents}
    assert await take_next(container, actor) is None


async def test_takers_who_come_together_are_served_in_one_transaction(
    container: Container, actor: Actor
) -> None:
    """Sixteen takers at once: one transaction serves them all, each their own item."""
    for n in range(16):
        await make(container, actor, f"task {n}")
    before = container.db.commits

    taken = await asyncio.gather(
        *(take_next(container, actor.as_client(f"agent-{n}")) for n in range(16))
    )

    assert container.db.commits - before == 1
    # In the ready order (here the order made), the best to the first who came.
    assert [item.title if item else None for item in taken] == [f"task {n}" for n in range(16)]


async def test_more_takers_than_ready_items_leave_the_rest_with_nothing(
    container: Container, actor: Actor
) -> None:
    for n in range(3):
        await make(container, actor, f"task {n}", tags=["db"] if n else [])
    db_takers = [take_next(container, actor.as_client(f"db-{n}"), tag="db") for n in range(4)]
    any_takers = [take_next(container, actor.as_client(f"any-{n}")) for n in range(2)]

    taken = await asyncio.gather(*db_takers, *any_takers)

    by_db, by_any = taken[:4], taken[4:]
    assert sorted(item.title for item in by_db if item is not None) == ["task 1", "task 2"]
    assert by_db.count(None) == 2
    assert [item.title if item else None for item in by_any] == ["task 0", None]


async def test_a_reader_among_takers_is_refused_alone(container: Container, actor: Actor) -> None:
    await make(container, actor, "task")
    reader = await new_member(container, actor, "rita@example.com", client="r", role=Role.reader)

    refused, taken = await asyncio.gather(
        take_next(container, reader), take_next(container, actor), return_exceptions=True
    )

    assert isinstance(refused, Forbidden)
    assert isinstance(taken, WorkItemRead)
    assert taken.assignee == actor.client


async def test_a_taker_who_gave_up_before_its_turn_takes_nothing(
    container: Container, actor: Actor
) -> None:
    for n in range(3):
        await make(container, actor, f"task {n}")
    first = asyncio.ensure_future(take_next(container, actor.as_client("first")))
    gone = asyncio.ensure_future(take_next(container, actor.as_client("gone")))
    await asyncio.sleep(0)  # both are waiting: the first one's transaction has begun
    gone.cancel()

    assert (await first) is not None
    with pytest.raises(asyncio.CancelledError):
        await gone
    held = [item.assignee for item in await ready_or_held(container, actor)]
    assert "gone" not in held


async def test_taking_inside_a_larger_transaction_takes_within_it(
    container: Container, actor: Actor
) -> None:
    """Not served with others: on SQLite the larger transaction holds the one write lock
    that a transaction of their own would wait for, for ever."""
    await make(container, actor, "task")
    async with container.db.transaction():
        taken = await asyncio.wait_for(take_next(container, actor), timeout=10)
    assert taken is not None
    assert (await container.work_items.get(actor=actor, item_id=taken.id)).assignee == actor.client


async def test_two_accounts_agents_of_one_name_take_different_items(
    container: Container, actor: Actor
) -> None:
    theirs = await new_member(container, actor, "mate@example.com", client="claude-code")
    ours = actor.as_client("claude-code")
    for n in range(2):
        await make(container, actor, f"task {n}")

    first, second = await asyncio.gather(take_next(container, ours), take_next(container, theirs))

    assert first is not None
    assert second is not None
    assert first.id != second.id
    with pytest.raises(Conflict, match=r"mate@example\.com via claude-code"):
        await container.work_items.claim(actor=ours, item_id=second.id)
