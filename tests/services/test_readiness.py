"""Readiness, claims and short ids through the services, on both databases."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from tests.conftest import new_actor
from workledger.container import Container
from workledger.errors import Conflict, NotFound, ValidationError, VersionConflict
from workledger.models import ids_ending_in
from workledger.schemas.common import Actor, Role
from workledger.schemas.deployment import DeploymentCreate, DeploymentListQuery
from workledger.schemas.project_configuration import ProjectConfigurationUpdate
from workledger.schemas.work_item import (
    WorkItemCreate,
    WorkItemListQuery,
    WorkItemRead,
    WorkItemSummary,
    WorkItemUpdate,
)


async def make(container: Container, actor: Actor, title: str, **fields: Any) -> WorkItemRead:
    data = WorkItemCreate.load({"item_type": "task", "title": title, **fields})
    return await container.work_items.create(actor=actor, data=data)


async def change(
    container: Container, actor: Actor, item: WorkItemRead | WorkItemSummary, **fields: Any
) -> WorkItemRead:
    data = WorkItemUpdate.load({"version": item.version, **fields})
    return await container.work_items.update(actor=actor, item_id=item.id, data=data)


async def ready(container: Container, actor: Actor, **query: Any) -> list[str]:
    query = {"ready": True, **query}
    page = await container.work_items.list(actor=actor, query=WorkItemListQuery.load(query))
    assert all(item.ready for item in page.items)
    return [item.title for item in page.items]


def depends_on(*items: WorkItemRead) -> list[dict[str, str]]:
    return [{"depends_on_id": str(item.id)} for item in items]


def as_client(actor: Actor, client: str) -> Actor:
    return actor.as_client(client)


async def test_an_item_is_ready_once_everything_it_depends_on_is_completed(
    container: Container, actor: Actor
) -> None:
    schema = await make(container, actor, "schema")
    seed = await make(container, actor, "seed")
    api = await make(container, actor, "api", dependencies=depends_on(schema, seed))

    assert (api.ready, api.blocked_by) == (False, [schema.id, seed.id])
    assert (schema.ready, schema.blocked_by) == (True, [])
    assert await ready(container, actor) == ["schema", "seed"]

    await change(container, actor, schema, status="completed")
    found = await container.work_items.get(actor=actor, item_id=api.id)
    assert (found.ready, found.blocked_by) == (False, [seed.id])

    # A dependency that was deleted holds nothing back any more.
    await container.work_items.delete(actor=actor, item_id=seed.id, version=seed.version)
    found = await container.work_items.get(actor=actor, item_id=api.id)
    assert (found.ready, found.blocked_by) == (True, [])
    assert await ready(container, actor) == ["api"]


async def test_readiness_follows_every_write_that_changes_what_holds_an_item_back(
    container: Container, actor: Actor
) -> None:
    epic = await make(container, actor, "epic", item_type="project")
    schema = await make(container, actor, "schema", parent_id=str(epic.id))
    api = await make(container, actor, "api", dependencies=depends_on(schema))
    blocked = ["schema"]  # api waits on schema; a project is never ready
    assert await ready(container, actor) == blocked

    async def now(item: WorkItemRead) -> WorkItemRead:
        return await container.work_items.get(actor=actor, item_id=item.id, include_deleted=True)

    # Completed, then reopened.
    schema = await change(container, actor, schema, status="completed")
    assert await ready(container, actor) == ["api"]
    schema = await change(container, actor, schema, status="active")
    assert await ready(container, actor) == blocked

    # Deleted along with its parent, then restored along with it.
    epic = await now(epic)
    epic = await container.work_items.delete(
        actor=actor, item_id=epic.id, version=epic.version, cascade=True
    )
    assert await ready(container, actor) == ["api"]
    await container.work_items.restore(actor=actor, item_id=epic.id)
    assert await ready(container, actor) == blocked

    # Its dependencies replaced, then given back.
    api = await change(container, actor, await now(api), dependencies=[])
    assert await ready(container, actor) == ["schema", "api"]
    api = await change(container, actor, api, dependencies=depends_on(await now(schema)))
    assert await ready(container, actor) == blocked

    # Archived when done, and brought back: its dependency still holds it back.
    page = await container.work_items.list(actor=actor, query=WorkItemListQuery.load({}))
    assert page.total_count == 3
    api = await change(container, actor, api, status="completed")
    assert (await container.archive.archive(older_than_days=0)).work_items == 1
    api = await container.work_items.restore(actor=actor, item_id=api.id)
    api = await change(container, actor, api, status="active")
    assert (api.ready, api.blocked_by) == (False, [schema.id])
    assert await ready(container, actor) == blocked
    page = await container.work_items.list(
        actor=actor, query=WorkItemListQuery.load({"ready": True})
    )
    assert page.total_count == len(blocked)


async def test_blocked_completed_and_deleted_items_are_not_ready(
    container: Container, actor: Actor
) -> None:
    await make(container, actor, "open")
    await make(container, actor, "waiting", status="blocked")
    await make(container, actor, "done", status="completed")
    gone = await make(container, actor, "gone")
    await container.work_items.delete(actor=actor, item_id=gone.id, version=gone.version)

    page = await container.work_items.list(actor=actor, query=WorkItemListQuery.load({}))
    assert {item.title: item.ready for item in page.items} == {
        "open": True,
        "waiting": False,
        "done": False,
    }
    assert await ready(container, actor) == ["open"]


async def test_the_ready_queue_is_in_picking_order_and_pages_by_cursor(
    container: Container, actor: Actor
) -> None:
    # Made in this order: oldest first.
    await make(container, actor, "low, old", priority="low")
    await make(container, actor, "medium, undated")
    await make(container, actor, "medium, due later", due_date="2027-03-01")
    await make(container, actor, "medium, due soon", due_date="2027-01-15")
    await make(container, actor, "critical", priority="critical")
    await make(container, actor, "medium, undated, newer")
    expected = [
        "critical",
        "medium, due soon",
        "medium, due later",
        "medium, undated",
        "medium, undated, newer",
        "low, old",
    ]
    assert await ready(container, actor) == expected

    walked: list[str] = []
    cursor = None
    while True:
        query = WorkItemListQuery.load({"ready": True, "limit": 4, "cursor": cursor})
        page = await container.work_items.list(actor=actor, query=query)
        assert page.total_count == len(expected)
        walked += [item.title for item in page.items]
        if not page.has_more:
            break
        cursor = page.next_cursor
    assert walked == expected
    assert await ready(container, actor, order="desc") == expected[::-1]
    # Another sort, asked for, wins over the picking order.
    assert await ready(container, actor, sort="title", limit=2) == ["critical", "low, old"]


async def test_a_claim_takes_the_item_for_its_client_and_only_one_client_wins(
    container: Container, actor: Actor
) -> None:
    item = await make(container, actor, "take me")
    alice, bob = as_client(actor, "agent-alice"), as_client(actor, "agent-bob")

    claimed = await container.work_items.claim(actor=alice, item_id=item.id, version=item.version)
    assert (claimed.assignee, claimed.version, claimed.updated_by) == (
        "agent-alice",
        2,
        "agent-alice",
    )
    # Ready for the one who has it, not for anyone else.
    assert claimed.ready is True
    assert (await container.work_items.get(actor=bob, item_id=item.id)).ready is False
    assert await ready(container, bob) == []
    assert await ready(container, alice) == ["take me"]

    with pytest.raises(Conflict, match=r"claimed by \S+@example\.com via agent-alice") as refused:
        await container.work_items.claim(actor=bob, item_id=item.id, version=claimed.version)
    assert refused.value.details == {
        "field": "assignee",
        "assignee": "agent-alice",
        "assignee_account": actor.account,
    }
    again = await container.work_items.claim(actor=alice, item_id=item.id, version=2)
    assert again.assignee == "agent-alice"

    # Releasing and completing are one change.
    done = await change(container, alice, again, status="completed", assignee=None)
    assert (done.status, done.assignee, done.ready) == ("completed", None, False)
    with pytest.raises(Conflict, match="completed"):
        await container.work_items.claim(actor=bob, item_id=item.id, version=done.version)


async def test_racing_claims_have_exactly_one_winner(container: Container, actor: Actor) -> None:
    item = await make(container, actor, "contended")
    agents = [as_client(actor, f"agent-{n}") for n in range(4)]

    async def claim(agent: Actor) -> WorkItemRead | Exception:
        try:
            return await container.work_items.claim(actor=agent, item_id=item.id, version=1)
        except (Conflict, VersionConflict) as lost:
            return lost

    results = await asyncio.gather(*(claim(agent) for agent in agents))
    winners = [r for r in results if isinstance(r, WorkItemRead)]
    assert len(winners) == 1, results
    assert all(isinstance(r, Conflict | VersionConflict) for r in results if r not in winners)
    found = await container.work_items.get(actor=actor, item_id=item.id)
    assert (found.assignee, found.version) == (winners[0].assignee, 2)


async def test_assignee_is_set_and_filtered_like_any_field(
    container: Container, actor: Actor
) -> None:
    mine = await make(container, actor, "mine", assignee="agent-alice")
    await make(container, actor, "theirs", assignee="agent-bob")
    await make(container, actor, "nobody's")
    query = WorkItemListQuery.load({"assignee": "agent-alice"})
    page = await container.work_items.list(actor=actor, query=query)
    assert ([i.title for i in page.items], page.total_count) == (["mine"], 1)
    with pytest.raises(ValidationError):
        WorkItemCreate.load({"item_type": "task", "title": "x", "assignee": "a" * 101})
    moved = await change(container, actor, mine, assignee="agent-bob")
    assert moved.assignee == "agent-bob"


async def test_short_ids_name_items_everywhere_an_id_is_taken(
    container: Container, actor: Actor
) -> None:
    parent = await make(container, actor, "parent", item_type="project")
    short = parent.id.hex[-8:]
    child = await make(container, actor, "child", parent_id=short)
    assert child.parent_id == parent.id
    blocker = await make(container, actor, "blocker")
    blocked = await make(
        container, actor, "blocked", dependencies=[{"depends_on_id": blocker.id.hex[-8:]}]
    )
    assert blocked.blocked_by == [blocker.id]

    found = await container.work_items.get(actor=actor, item_id=short.upper())
    assert found.id == parent.id
    data = WorkItemUpdate.load({"version": child.version, "title": "renamed", "parent_id": None})
    changed = await container.work_items.update(actor=actor, item_id=child.id.hex[-8:], data=data)
    assert (changed.title, changed.parent_id) == ("renamed", None)
    query = WorkItemListQuery.load({"parent_id": short})
    assert (await container.work_items.list(actor=actor, query=query)).total_count == 0
    claimed = await container.work_items.claim(
        actor=actor, item_id=blocker.id.hex[-8:], version=blocker.version
    )
    assert claimed.id == blocker.id

    with pytest.raises(NotFound):
        await container.work_items.get(actor=actor, item_id="0badcafe")


async def test_an_ambiguous_short_id_is_refused_listing_the_candidates(
    container: Container, actor: Actor
) -> None:
    first, second = ids_ending_in(["abcd1234", "abcd1234"])
    for n, item_id in enumerate((first, second)):
        data = WorkItemCreate.load({"item_type": "task", "title": f"twin {n}"})
        await container.work_items.create(actor=actor, data=data, item_id=item_id)

    with pytest.raises(ValidationError) as refused:
        await container.work_items.get(actor=actor, item_id="abcd1234")
    [error] = refused.value.errors
    assert error.field == "id"
    assert error.message == f"abcd1234 names 2 items: {first}, {second}"
    with pytest.raises(ValidationError) as refused:
        await make(container, actor, "child", dependencies=[{"depends_on_id": "abcd1234"}])
    assert [e.field for e in refused.value.errors] == ["dependencies"]
    # The full id still names each one.
    assert (await container.work_items.get(actor=actor, item_id=first)).title == "twin 0"


async def test_short_ids_of_another_account_name_nothing(
    container: Container, actor: Actor, other_actor: Actor
) -> None:
    theirs = await make(container, other_actor, "theirs")
    with pytest.raises(NotFound):
        await container.work_items.get(actor=actor, item_id=theirs.id.hex[-8:])


def test_a_short_id_is_eight_hex_digits_and_anything_else_is_refused() -> None:
    for wrong in ("abc", "abcd12345", "not-an-id", "zzzzzzzz"):
        with pytest.raises(ValidationError, match="short id"):
            WorkItemListQuery.load({"parent_id": wrong})
    assert WorkItemListQuery.load({"parent_id": "ABCD1234"}).parent_id == "abcd1234"
    full = uuid.uuid4()
    assert WorkItemListQuery.load({"parent_id": str(full)}).parent_id == full


async def test_deployments_and_the_configuration_take_short_ids_too(
    container: Container, actor: Actor
) -> None:
    shipped = await make(container, actor, "shipped")
    session = await make(container, actor, "session 1", item_type="session")
    data = DeploymentCreate.load(
        {
            "pr_number": 7,
            "pr_title": "Ship it",
            "commit_hash": "ab" * 20,
            "work_item_ids": [shipped.id.hex[-8:]],
        }
    )
    recorded = await container.deployments.record(actor=actor, data=data)
    assert recorded.work_item_ids == [shipped.id]
    query = DeploymentListQuery.load({"work_item_id": shipped.id.hex[-8:]})
    assert [d.id for d in (await container.deployments.list(actor=actor, query=query)).items] == [
        recorded.id
    ]
    unknown = DeploymentListQuery.load({"work_item_id": "0badcafe"})
    assert (await container.deployments.list(actor=actor, query=unknown)).total_count == 0

    configuration = await container.configuration.get(actor=actor)
    change = ProjectConfigurationUpdate.load(
        {"version": configuration.version, "current_session_id": session.id.hex[-8:]}
    )
    changed = await container.configuration.update(actor=actor, data=change)
    assert changed.current_session_id == session.id


async def test_two_accounts_agents_of_one_name_never_share_a_claim(
    container: Container, actor: Actor
) -> None:
    """Two people of one ledger both run an agent called claude-code: one's claim is not
    the other's."""
    teammate = await new_actor(container, "teammate@example.com")
    await container.ledgers.set_member(actor, email="teammate@example.com", role=Role.member)
    principal = await container.accounts.principal("teammate@example.com")
    theirs = await container.ledgers.actor(principal, ledger=actor.ledger, client="claude-code")
    mine = actor.as_client("claude-code")
    assert teammate.ledger_id != actor.ledger_id  # their own ledger is another one
    item = await make(container, actor, "one of us")

    claimed = await container.work_items.claim(actor=mine, item_id=item.id, version=item.version)
    assert (claimed.assignee, claimed.assignee_account) == ("claude-code", actor.account)
    assert (await container.work_items.get(actor=theirs, item_id=item.id)).ready is False
    assert await ready(container, theirs) == []
    assert await ready(container, mine) == ["one of us"]
    with pytest.raises(Conflict, match=f"claimed by {actor.account} via claude-code"):
        await container.work_items.claim(actor=theirs, item_id=item.id, version=claimed.version)
