"""Per-account tallies of work items by (type, status, root?, deleted?).

They turn a list's ``total_count`` for the common filters into a lookup. Every write that
adds an item or changes one of those four properties records a delta here; the deltas are
applied once per flush, in key order, so concurrent writers lock tally rows in the same
order and never deadlock on them.

Each key is counted in slots: a database connection adds to its own slot, so that the
writers of one account, each on a connection of its own, never queue on one tally row;
a total sums the slots. SQLite has one writer at a time anyway and counts in slot 0."""

from __future__ import annotations

import functools
import itertools
import os
import random
import uuid
from collections import Counter
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from sqlalchemy import ColumnElement, Insert, Table, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from workledger.db.dialect import Dialect
from workledger.models import WorkItem, WorkItemCount
from workledger.repositories.base import LedgerScopedRepository

SLOTS = 16
# A process numbers its connections from a random start, so that two processes' first
# connections seldom share slots; within a process, 16 connections never do. A forked
# process (a command the command server runs) draws a start of its own.
_next_slot = itertools.count(random.randrange(SLOTS))


def _draw_slots() -> None:
    global _next_slot
    _next_slot = itertools.count(random.randrange(SLOTS))


os.register_at_fork(after_in_child=_draw_slots)
_SLOT_INFO = "workledger_tally_slot"


class CountKey(NamedTuple):
    item_type: str
    status: str
    is_root: bool
    is_deleted: bool


class Counted(Protocol):
    """A live or archived work item row: what decides the tally it counts in."""

    @property
    def item_type(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def parent_id(self) -> uuid.UUID | None: ...
    @property
    def deleted_at(self) -> datetime | None: ...


def slot_of(info: dict[Any, Any]) -> int:
    """The slot a pooled connection (``info``: the driver connection's) counts in."""
    slot: int = info.setdefault(_SLOT_INFO, next(_next_slot) % SLOTS)
    return slot


def count_key(item: Counted) -> CountKey:
    return CountKey(
        item.item_type, item.status, item.parent_id is None, item.deleted_at is not None
    )


# A tally row's key: the ledger, the CountKey, the slot.
TALLY_KEY = ["ledger_id", *CountKey._fields, "slot"]


@functools.cache
def _upsert(dialect: Dialect) -> Insert:
    table = WorkItemCount.__table__
    assert isinstance(table, Table)
    columns = [*TALLY_KEY, "item_count"]
    return dialect.upsert(table, columns=columns, conflict=TALLY_KEY, increment="item_count")


class WorkItemCountRepository(LedgerScopedRepository):
    def __init__(self, session: AsyncSession, *, ledger_id: uuid.UUID) -> None:
        super().__init__(session, ledger_id=ledger_id)
        self._pending: Counter[CountKey] = Counter()

    def record(self, key: CountKey, delta: int) -> None:
        self._pending[key] += delta

    def record_change(self, before: CountKey, after: CountKey) -> None:
        if before != after:
            self.record(before, -1)
            self.record(after, +1)

    async def apply(self) -> None:
        pending, self._pending = self._pending, Counter()
        changed = sorted(key for key, delta in pending.items() if delta)
        if not changed:
            return
        slot = await self.slot()
        rows = [
            {
                "ledger_id": self.ledger_id,
                **key._asdict(),
                "slot": slot,
                "item_count": pending[key],
            }
            for key in changed
        ]
        await self.session.execute(_upsert(self.dialect), rows if len(rows) > 1 else rows[0])

    async def slot(self) -> int:
        """The slot this session's connection counts in."""
        if self.dialect.single_writer:
            return 0
        return slot_of((await self.session.connection()).info)

    async def rebuild(self) -> None:
        """Recount the account's items from the table (after a bulk load or an import)."""
        self._pending.clear()
        await self.session.execute(
            delete(WorkItemCount).where(WorkItemCount.ledger_id == self.ledger_id)
        )
        is_root = WorkItem.parent_id.is_(None)
        is_deleted = WorkItem.deleted_at.is_not(None)
        counted = (
            select(
                WorkItem.ledger_id,
                WorkItem.item_type,
                WorkItem.status,
                is_root,
                is_deleted,
                func.count(),
            )
            .where(WorkItem.ledger_id == self.ledger_id)
            .group_by(WorkItem.ledger_id, WorkItem.item_type, WorkItem.status, is_root, is_deleted)
        )
        await self.session.execute(
            insert(WorkItemCount).from_select(
                ["ledger_id", "item_type", "status", "is_root", "is_deleted", "item_count"],
                counted,
            )
        )

    async def total(
        self,
        *,
        item_type: str | None,
        status: str | None,
        root_only: bool,
        include_deleted: bool,
    ) -> int:
        conditions: list[ColumnElement[bool]] = [WorkItemCount.ledger_id == self.ledger_id]
        if item_type is not None:
            conditions.append(WorkItemCount.item_type == item_type)
        if status is not None:
            conditions.append(WorkItemCount.status == status)
        if root_only:
            conditions.append(WorkItemCount.is_root.is_(True))
        if not include_deleted:
            conditions.append(WorkItemCount.is_deleted.is_(False))
        stmt = select(func.coalesce(func.sum(WorkItemCount.item_count), 0)).where(*conditions)
        return int((await self.session.execute(stmt)).scalar_one())
