"""Readiness has a Python form and a SQL form (repositories/readiness.py): on generated
data, both must say the same of every item, for every caller (a client name of an
account: two accounts' agents of one name are two callers), on both databases.

The Python form is applied here to the rows as stored; the SQL form answers through the
services: the ready list (its ``open_dependencies`` counts kept by every write), and the
``ready`` and ``blocked_by`` of item reads, lists and hierarchies (what holds an item
back, read by a join). Each clause of the rule is then broken on purpose, and the same
comparison must catch it: the data exercises every clause."""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import time_machine
from sqlalchemy import select

from tests.conftest import new_member
from tests.services.work_items import archive
from workledger.container import Container
from workledger.db.types import utcnow
from workledger.models import ArchivedWorkItem, WorkItem, WorkItemDependency
from workledger.repositories.readiness import holds_back, is_ready
from workledger.schemas.common import Actor
from workledger.schemas.work_item import (
    WorkItemCreate,
    WorkItemListQuery,
    WorkItemRead,
    WorkItemSummary,
    WorkItemUpdate,
)

CLIENTS = ("agent-me", "agent-other", "api")
WORKED_ON = ("task", "task", "research")
LEASES_RUN_OUT = timedelta(seconds=60)  # claims of 30 s have run out then, of 1,800 s not
HoldsBack = Callable[..., bool]
IsReady = Callable[..., bool]


@dataclass(frozen=True)
class Stored:
    """An item as its table holds it."""

    id: uuid.UUID
    item_type: str
    status: str
    deleted_at: datetime | None
    assignee: str | None
    assignee_account: str | None
    claimed_until: datetime | None
    parent_id: uuid.UUID | None
    archived: bool


@dataclass(frozen=True)
class Rule:
    """The Python form, or a broken copy of it."""

    holds_back: HoldsBack = holds_back
    is_ready: IsReady = is_ready

    def blocked_by(self, item: Stored, facts: Facts) -> set[uuid.UUID]:
        return {
            target.id
            for target in (facts.items[t] for t in facts.edges[item.id])
            if self.holds_back(status=target.status, deleted=target.deleted_at is not None)
        }

    def ready(self, item: Stored, facts: Facts, asking: Actor) -> bool:
        blocked = bool(self.blocked_by(item, facts))
        return self.is_ready(
            item,
            blocked=blocked,
            client=asking.client,
            account=asking.account,
            now=utcnow(),
            archived=item.archived,
        )


@dataclass(frozen=True)
class Facts:
    items: dict[uuid.UUID, Stored]
    edges: dict[uuid.UUID, list[uuid.UUID]]


# Each breaks one clause of the rule: the comparison must notice every one. (Not "an
# archived item is ready": only completed or deleted subtrees are archived, so no data
# could tell.)
BROKEN = {
    "a completed dependency holds back": Rule(holds_back=lambda *, status, deleted: not deleted),
    "a deleted dependency holds back": Rule(
        holds_back=lambda *, status, deleted: status != "completed"
    ),
    "any status is ready": Rule(
        is_ready=lambda item, **given: is_ready(replace(item, status="active"), **given)
    ),
    "another client's item is ready": Rule(
        is_ready=lambda item, **given: is_ready(replace(item, assignee=None), **given)
    ),
    "another account's claim is ready": Rule(
        is_ready=lambda item, **given: is_ready(replace(item, assignee_account=None), **given)
    ),
    "a container is ready": Rule(
        is_ready=lambda item, **given: is_ready(replace(item, item_type="task"), **given)
    ),
    "a lease that ran out still holds": Rule(
        is_ready=lambda item, **given: is_ready(replace(item, claimed_until=None), **given)
    ),
    "a deleted item is ready": Rule(
        is_ready=lambda item, **given: is_ready(replace(item, deleted_at=None), **given)
    ),
}


async def test_python_and_sql_readiness_agree_on_generated_data(
    container: Container, actor: Actor
) -> None:
    mate = await new_member(container, actor, "teammate@example.com", client="agent-me")
    callers = [*(actor.as_client(client) for client in CLIENTS), mate]
    await generate(container, actor, mate, random.Random(7))
    facts = await stored(container, actor)
    assert {item.assignee_account for item in facts.items.values()} >= {
        actor.account,
        mate.account,
    }
    assert {item.archived for item in facts.items.values()} == {False, True}
    assert any(item.deleted_at for item in facts.items.values())

    assert {item.item_type for item in facts.items.values()} == {
        "project",
        "session",
        "task",
        "research",
    }
    with time_machine.travel(utcnow() + LEASES_RUN_OUT, tick=True):  # the short ones, not all
        assert await disagreements(container, callers, facts, Rule()) == []
        for broken, rule in BROKEN.items():
            assert await disagreements(container, callers, facts, rule), f"not caught: {broken}"


# --- the data -------------------------------------------------------------------------------


async def generate(container: Container, actor: Actor, mate: Actor, rng: random.Random) -> None:
    """Items of every status and assignee, nested, depending on one another (in chains
    too), then completed, reopened, relinked, claimed (by the actor's agents, and by a
    teammate's agent of the same name as one of them), deleted, restored and archived."""
    service = container.work_items
    made: list[WorkItemRead] = []

    async def now(item_id: uuid.UUID) -> WorkItemRead:
        return await service.get(actor=actor, item_id=item_id, include_deleted=True)

    async def change(item_id: uuid.UUID, **fields: object) -> WorkItemRead:
        current = await now(item_id)
        data = WorkItemUpdate.load({"version": current.version, **fields})
        return await service.update(actor=actor, item_id=item_id, data=data)

    def some_earlier(n: int, *, most: int = 3) -> list[dict[str, str]]:
        # Only on items made before: no cycle.
        picked = rng.sample(made[:n], k=min(n, rng.randint(0, most)))
        return [{"depends_on_id": str(item.id)} for item in picked]

    for n in range(36):
        parents = [item for item in made if item.depth < 3]
        fields: dict[str, object] = {
            "item_type": ("project", "session")[n % 2] if n < 4 else rng.choice(WORKED_ON),
            "title": f"item {n}",
            "status": rng.choice(["active", "active", "active", "completed", "blocked"]),
            "dependencies": some_earlier(n),
        }
        assignee = rng.choice([None, None, "agent-me", "agent-other"])
        if assignee is not None:
            fields["assignee"] = assignee
        if n >= 4 and parents and rng.random() < 0.7:
            fields["parent_id"] = str(rng.choice(parents).id)
        if n % 6 == 5:  # a chain: each waits on the one before
            fields["dependencies"] = [{"depends_on_id": str(made[-1].id)}]
        made.append(await service.create(actor=actor, data=WorkItemCreate.load(fields)))

    # A finished subtree that the archiver takes, and one item of it brought back.
    done = await service.create(
        actor=actor, data=WorkItemCreate.load({"item_type": "project", "title": "done"})
    )
    for n in range(3):
        data = WorkItemCreate.load(
            {"item_type": "task", "title": f"done {n}", "parent_id": str(done.id)}
        )
        child = await service.create(actor=actor, data=data)
        await change(child.id, status="completed")
    await change(done.id, status="completed")

    for item in rng.sample(made, 10):
        await change(item.id, status="completed")
    for item in rng.sample(made, 4):
        await change(item.id, status="active")
    for n in rng.sample(range(4, len(made)), 6):
        await change(made[n].id, dependencies=some_earlier(n))
    for item in rng.sample(made, 10):
        current = await now(item.id)
        claimant = rng.choice([actor.as_client("agent-me"), actor.as_client("agent-other"), mate])
        if current.status != "completed" and current.assignee is None and not current.blocked_by:
            lease = rng.choice([30, 1800])  # run out, or still running, when compared
            await service.claim(actor=claimant, item_id=item.id, lease_seconds=lease)
    deleted = []
    for item in rng.sample(made[4:], 8):
        current = await now(item.id)
        if current.deleted_at is None:
            deleted.append(
                await service.delete(
                    actor=actor, item_id=item.id, version=current.version, cascade=True
                )
            )
    for item in deleted:
        if item.parent_id is None or (await now(item.parent_id)).deleted_at is None:
            await service.restore(actor=actor, item_id=item.id)
            break

    # Both accounts' "agent-me" hold an item: the same name, two callers.
    for claimant in (actor.as_client("agent-me"), mate):
        for item in made:
            current = await now(item.id)
            if (
                current.assignee is None
                and current.status == "active"
                and not current.deleted_at
                and not current.blocked_by
            ):
                await service.claim(actor=claimant, item_id=item.id, version=current.version)
                break
    assert await archive(container, actor) > 0
    await service.restore(actor=actor, item_id=done.id)
    blocker = await service.create(
        actor=actor, data=WorkItemCreate.load({"item_type": "task", "title": "blocker"})
    )
    await change(done.id, status="active", dependencies=[{"depends_on_id": str(blocker.id)}])
    # A lease that has run out when compared, on an item ready otherwise.
    lapsing = await service.create(
        actor=actor, data=WorkItemCreate.load({"item_type": "task", "title": "lapsing"})
    )
    await service.claim(actor=actor.as_client("agent-other"), item_id=lapsing.id, lease_seconds=30)


async def stored(container: Container, actor: Actor) -> Facts:
    """The account's items and edges, read from the tables."""
    items: dict[uuid.UUID, Stored] = {}
    edges: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    async with container.db.engine.connect() as conn:
        for table, archived in ((WorkItem.__table__, False), (ArchivedWorkItem.__table__, True)):
            c = table.c
            rows = await conn.execute(
                select(
                    *(c.id, c.item_type, c.status, c.deleted_at),
                    *(c.assignee, c.assignee_account, c.claimed_until, c.parent_id),
                ).where(c.ledger_id == actor.ledger_id)
            )
            for row in rows:
                items[row.id] = Stored(*row, archived=archived)
        edge = WorkItemDependency.__table__.c
        for source, target in await conn.execute(
            select(edge.work_item_id, edge.depends_on_id).where(edge.work_item_id.in_(items))
        ):
            edges[source].append(target)
    return Facts(items, edges)


# --- the comparison -------------------------------------------------------------------------


async def disagreements(
    container: Container, callers: list[Actor], facts: Facts, rule: Rule
) -> list[str]:
    """Where the services (the SQL form) and ``rule`` say different things."""
    found: list[str] = []
    service = container.work_items
    for asking in callers:
        client = asking.who
        expected = {i for i, item in facts.items.items() if rule.ready(item, facts, asking)}
        listed = await every(container, asking, {"ready": True})
        if {item.id for item in listed} != expected:
            found.append(f"{client}: the ready list differs")

        everything = {"include_deleted": True, "include_archived": True}
        for summary in await every(container, asking, everything):
            found += _differs(rule, facts, asking, summary, "the list")
        for item_id, item in facts.items.items():
            if not item.archived:
                read = await service.get(actor=asking, item_id=item_id, include_deleted=True)
                found += _differs(rule, facts, asking, read, "a read")
            if item.parent_id is None and not item.archived:
                tree = await service.get_hierarchy(
                    actor=asking, item_id=item_id, include_deleted=True
                )
                for node in tree.descendants or []:
                    found += _differs(rule, facts, asking, node, "a hierarchy")
    return found


def _differs(
    rule: Rule, facts: Facts, asking: Actor, item: WorkItemSummary, where: str
) -> list[str]:
    stored_item = facts.items[item.id]
    ready = rule.ready(stored_item, facts, asking)
    if item.ready != ready or set(item.blocked_by) != rule.blocked_by(stored_item, facts):
        return [f"{asking.who}: {where} of {item.id}"]
    return []


async def every(
    container: Container, actor: Actor, query: dict[str, object]
) -> list[WorkItemSummary]:
    """Every page of a list."""
    items: list[WorkItemSummary] = []
    cursor = None
    while True:
        page = await container.work_items.list(
            actor=actor, query=WorkItemListQuery.load({**query, "limit": 100, "cursor": cursor})
        )
        items += page.items
        if not page.has_more:
            assert page.total_count == len(items)
            return items
        cursor = page.next_cursor
