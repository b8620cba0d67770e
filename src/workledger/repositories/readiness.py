"""When a work item is ready to work on: the one rule, in Python and in SQL.

An item is ready for a caller (a client of an account) when it is a task or a research
item (projects and sessions are containers, never ready), active, neither deleted nor
archived, free for the caller (unassigned, claimed by that caller, or claimed under a
lease that has run out), and none of its dependencies (of either type) holds it back; a
dependency holds its dependants back until it is completed or deleted
(docs/reference/work-items.md).

Both forms of the rule live here, and tests/services/test_readiness_agreement.py holds
them equal on generated data:

- Python, of rows and records already read: ``holds_back``, ``is_ready``, ``readiness``;
- SQL: ``holds_back_sql`` (what holds an item back) and ``ready_sql`` (the ready list).

The ready list joins no dependencies: it reads each item's ``open_dependencies``, the
number of its dependencies that hold it back, which ``recount_open_dependencies`` keeps
(``WorkItemUpkeep.apply``, after every write that changes an edge or what one points at).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol, TypedDict

from sqlalchemy import ColumnElement, and_, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import FromClause

from workledger.db.types import utcnow
from workledger.models import WorkItem, WorkItemDependency

# The kinds of item someone works on; the others contain them.
WORKED_ON = ("task", "research")


class Readied(Protocol):
    """What readiness reads of a work item: a row or a record, live or archived."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def item_type(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def deleted_at(self) -> datetime | None: ...
    @property
    def assignee(self) -> str | None: ...
    @property
    def assignee_account(self) -> str | None: ...
    @property
    def claimed_until(self) -> datetime | None: ...


class Readiness(TypedDict):
    """The two read-model fields the rule decides."""

    ready: bool
    blocked_by: list[uuid.UUID]


# Each item's dependencies that hold it back: [(depends_on_id, dependency_type)].
Blockers = Mapping[uuid.UUID, Sequence[tuple[uuid.UUID, str]]]


def holds_back(*, status: str, deleted: bool) -> bool:
    """Whether a dependency in this state keeps its dependants from being ready."""
    return status != "completed" and not deleted


def is_held(item: Readied, *, now: datetime) -> bool:
    """Whether someone holds ``item``: assigned, and not under a lease that has run out."""
    return item.assignee is not None and (item.claimed_until is None or item.claimed_until > now)


def is_free_for(item: Readied, *, client: str, account: str | None, now: datetime) -> bool:
    """Whether nobody but the caller holds ``item``: unassigned, its lease run out, or
    assigned to the caller's client name for the caller's account (or for no account in
    particular, as when a person sets ``assignee`` by hand). Two agents of two accounts
    with the same client name never share a claim."""
    if not is_held(item, now=now):
        return True
    return item.assignee == client and item.assignee_account in (None, account)


def is_ready(
    item: Readied,
    *,
    blocked: bool,
    client: str,
    account: str | None,
    now: datetime,
    archived: bool = False,
) -> bool:
    """Whether ``item`` is ready for the caller; ``blocked``: a dependency holds it back."""
    return (
        item.item_type in WORKED_ON
        and item.status == "active"
        and item.deleted_at is None
        and not archived
        and is_free_for(item, client=client, account=account, now=now)
        and not blocked
    )


def readiness(
    item: Readied,
    blockers: Blockers,
    *,
    client: str,
    account: str | None,
    archived: bool = False,
    now: datetime | None = None,
) -> Readiness:
    """``ready`` and ``blocked_by`` of ``item`` for the caller; ``blockers`` holds what
    holds back each item (``WorkItemDependencyRepository.blockers``)."""
    blocked_by = [target for target, _ in blockers.get(item.id, ())]
    ready = is_ready(
        item,
        blocked=bool(blocked_by),
        client=client,
        account=account,
        now=now or utcnow(),
        archived=archived,
    )
    return {"ready": ready, "blocked_by": blocked_by}


def holds_back_sql(target: FromClause) -> list[ColumnElement[bool]]:
    """``holds_back`` of the work item rows of ``target``."""
    return [target.c.status != "completed", target.c.deleted_at.is_(None)]


def free_sql(items: FromClause, *, now: datetime) -> ColumnElement[bool]:
    """``not is_held`` of the work item rows of ``items``."""
    c = items.c
    return or_(c.assignee.is_(None), c.claimed_until <= literal(now, c.claimed_until.type))


def workable_sql(items: FromClause) -> list[ColumnElement[bool]]:
    """What the live work item rows of ``items`` need to be ready for anyone: worked on,
    active, not deleted, nothing holding them back (from their counts of open
    dependencies; an archived row is never live: it is not in that table)."""
    c = items.c
    return [
        c.status == "active",
        c.deleted_at.is_(None),
        c.open_dependencies == 0,
        c.item_type.in_(WORKED_ON),
    ]


def ready_sql(
    items: FromClause, *, client: str, account: str | None, now: datetime
) -> list[ColumnElement[bool]]:
    """``is_ready`` of the live work item rows of ``items``."""
    c = items.c
    return [
        *workable_sql(items),
        or_(
            free_sql(items, now=now),
            and_(
                c.assignee == client,
                or_(c.assignee_account.is_(None), c.assignee_account == account),
            ),
        ),
    ]


async def recount_open_dependencies(
    session: AsyncSession, *, ledger_id: uuid.UUID, which: ColumnElement[bool] | None = None
) -> None:
    """Recount ``open_dependencies`` of the account's items (``which`` of them, or all),
    writing only the rows whose count changed."""
    target = WorkItem.__table__.alias("target")
    edge = WorkItemDependency
    still_open = (
        select(func.count())
        .select_from(edge)
        .join(target, target.c.id == edge.depends_on_id)
        .where(edge.work_item_id == WorkItem.id, *holds_back_sql(target))
        .scalar_subquery()
    )
    conditions = [WorkItem.ledger_id == ledger_id, WorkItem.open_dependencies != still_open]
    if which is not None:
        conditions.append(which)
    await session.execute(
        update(WorkItem)
        .where(*conditions)
        .values(open_dependencies=still_open)
        .execution_options(synchronize_session=False)
    )
