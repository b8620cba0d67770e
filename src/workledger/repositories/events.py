"""Reading events: one record's history, a ledger's change feed, and what changed in a
record since a version (events are written by ``history``)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import and_, func, or_, select

from workledger.models import Event, EventCounter
from workledger.repositories.base import LedgerScopedRepository

# Actions that say something about a record without changing its fields.
REMARKS = ("comment", "comment_edited", "comment_deleted", "work_log")


class EventRepository(LedgerScopedRepository):
    async def of_record(
        self,
        record_id: uuid.UUID,
        *,
        after_version: int | None,
        after_seq: int,
        limit: int | None,
    ) -> tuple[list[Event], int]:
        """A page of the record's events, oldest first (``limit`` None: all of them), and
        how many there are in all (after ``after_version``: what happened once it had
        reached that version)."""
        where = [Event.ledger_id == self.ledger_id, Event.record_id == record_id]
        if after_version is not None:
            reached = (
                select(func.min(Event.seq))
                .where(*where, Event.version == after_version, Event.action.not_in(REMARKS))
                .scalar_subquery()
            )
            where.append(
                or_(
                    Event.version > after_version,
                    and_(Event.version == after_version, Event.seq > func.coalesce(reached, 0)),
                )
            )
        total = (await self.session.execute(select(func.count()).where(*where))).scalar_one()
        rows = await self.session.execute(
            select(Event).where(*where, Event.seq > after_seq).order_by(Event.seq).limit(limit)
        )
        return list(rows.scalars()), int(total)

    async def after(self, seq: int, *, limit: int) -> list[Event]:
        """The ledger's events after ``seq``, oldest first: one range of the primary key."""
        stmt = (
            select(Event)
            .where(Event.ledger_id == self.ledger_id, Event.seq > seq)
            .order_by(Event.seq)
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def last_seq(self) -> int:
        """The ledger's newest ``seq`` (0 before its first event)."""
        stmt = select(EventCounter.seq).where(EventCounter.ledger_id == self.ledger_id)
        return int((await self.session.execute(stmt)).scalar_one_or_none() or 0)

    async def changes_since(self, record_id: uuid.UUID, version: int) -> dict[str, list[Any]]:
        """What changed in the record from ``version`` to now, merged: ``{field: [old,
        new]}``, the old value as of ``version`` and the new as of now, for the fields
        whose value differs."""
        stmt = (
            select(Event.changes)
            .where(
                Event.ledger_id == self.ledger_id,
                Event.record_id == record_id,
                Event.version > version,
                Event.action.not_in(REMARKS),
            )
            .order_by(Event.seq)
        )
        merged: dict[str, list[Any]] = {}
        for (changes,) in await self.session.execute(stmt):
            for name, (old, new) in changes.items():
                merged[name] = [merged[name][0] if name in merged else old, new]
        return {name: pair for name, pair in merged.items() if pair[0] != pair[1]}
