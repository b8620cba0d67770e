"""What happened to each record (events, numbered per ledger), what people said about
work items (comments), and what they spent on them (work logs)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, FetchedValue, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workledger.db.types import JSONDocument, utcnow
from workledger.models.base import AuditMixin, Base, IdMixin, LedgerScopedMixin

# Tables the outage mirror does not copy (fallback/mirror_copy.py): they only grow, and a
# copy every second of a million events would be the whole cost of the mirror.
NOT_MIRRORED = {"info": {"mirrored": False}}


class Event(Base):
    """One change to one record, in the order the ledger's transactions committed:
    ``seq`` is 1, 2, 3… per ledger, without gaps (the change feed's cursor)."""

    __tablename__ = "events"

    ledger_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ledgers.id", ondelete="CASCADE"), primary_key=True
    )
    # On PostgreSQL a write's few events are inserted with provisional numbers, and the
    # database numbers them as the transaction commits (migration 0008); a bulk write,
    # and any write on SQLite, numbers its events itself.
    seq: Mapped[int] = mapped_column(
        BigInteger, primary_key=True, autoincrement=False, server_default=FetchedValue()
    )
    record_type: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[uuid.UUID]
    # The record's version after the change (a comment or a work log leaves it as it was).
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(30))
    # {field: [old, new]}, JSON values, for the fields that changed.
    changes: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    actor_client: Mapped[str] = mapped_column(String(100))
    actor_account: Mapped[str | None] = mapped_column(String(320))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        # One record's history: a range of the index, in seq order.
        Index("ix_events_record", "ledger_id", "record_id", "seq"),
        NOT_MIRRORED,
    )


class EventCounter(Base):
    """The last ``seq`` a ledger gave out. Raised as a writing transaction commits, so
    the row lock that orders the ledger's events is held only for the commit."""

    __tablename__ = "event_counters"

    ledger_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ledgers.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (NOT_MIRRORED,)


class Comment(IdMixin, LedgerScopedMixin, AuditMixin, Base):
    """What someone said about a work item, in markdown. The author is ``created_by``
    (the client) and ``created_by_account`` (the person). No foreign key to the item:
    an archived item keeps its comments, as it keeps its events."""

    __tablename__ = "comments"

    work_item_id: Mapped[uuid.UUID]
    body: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_comments_work_item", "ledger_id", "work_item_id", "created_at"),)


class WorkLog(IdMixin, LedgerScopedMixin, Base):
    """What a person or an agent spent on a work item, once logged: never changed. The
    item keeps the sums (``spent_*``). No foreign key to the item, as for comments."""

    __tablename__ = "work_logs"

    work_item_id: Mapped[uuid.UUID]
    minutes: Mapped[int] = mapped_column(BigInteger)
    tokens: Mapped[int] = mapped_column(BigInteger)
    cost_micros: Mapped[int] = mapped_column(BigInteger)  # millionths of a USD
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))
    created_by_account: Mapped[str | None] = mapped_column(String(320))

    __table_args__ = (Index("ix_work_logs_work_item", "ledger_id", "work_item_id"),)
