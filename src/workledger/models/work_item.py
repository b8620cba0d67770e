"""Work items, their dependencies, and the archive table that mirrors them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Text,
    func,
    literal_column,
    text,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from workledger.db.types import JSONDocument, utcnow
from workledger.models.base import AuditMixin, Base, IdMixin, LedgerScopedMixin, enum_check

ITEM_TYPES = ("project", "session", "task", "research")
ITEM_STATUSES = ("active", "completed", "blocked")
PRIORITIES = ("low", "medium", "high", "critical")
DEPENDENCY_TYPES = ("blocks", "depends_on")
LIVE = text("deleted_at IS NULL")
# The ready queue's order: most urgent first, then the soonest due (undated last), then
# the oldest. One expression, written once: an index serves only the same expression.
# (Not date.max: asyncpg sends that as "infinity", which no stored date equals.)
DUE_LAST = "9999-12-30"
DUE_OR_LAST = text(f"coalesce(due_date, '{DUE_LAST}')")


def due_or_last(due_date: ColumnElement[date | None]) -> ColumnElement[date]:
    """DUE_OR_LAST of a query: the same expression, so that the index serves it."""
    return func.coalesce(due_date, literal_column(f"'{DUE_LAST}'"))


# Paths compare byte by byte ("/" sorts before "0"), so a subtree is one index range and
# sorting by path is tree order. PostgreSQL's default collation would ignore the "/".
PATH_TYPE = String(200).with_variant(String(200, collation="C"), "postgresql")


def short_id(item_id: uuid.UUID) -> str:
    """How the report (and every door) names a work item: the last 8 hex digits of its id."""
    return item_id.hex[-8:]


class WorkItemColumns(IdMixin, LedgerScopedMixin, AuditMixin):
    """The columns a work item has, live or archived."""

    # The report's name for the item, the last 8 hex digits of its id:
    # every door takes it where it takes an id.
    short_id: Mapped[str] = mapped_column(String(8))
    item_type: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="active")
    priority: Mapped[str] = mapped_column(String(20), default="medium")
    # Sort key for "priority" (critical first), kept next to the name so it can be indexed.
    priority_rank: Mapped[int] = mapped_column(SmallInteger, default=2)
    due_date: Mapped[date | None]
    tags: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    # Who is working on it: a client name, set by a claim (or like any field), and the
    # account that claimed it (None when set by hand: any account's client of that name).
    assignee: Mapped[str | None] = mapped_column(String(100))
    assignee_account: Mapped[str | None] = mapped_column(String(320))
    # When a claim's lease ends: from then on the item is free for anyone again (None:
    # no lease, as when a person set ``assignee`` by hand).
    claimed_until: Mapped[datetime | None]
    # What was spent on the item, the sums of its work log (cost in millionths of a USD,
    # so that sums are exact).
    spent_minutes: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    spent_tokens: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    spent_cost_micros: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Materialized path: the hex ids of the ancestors and the item itself, each followed by
    # "/". Ancestors are read from it; tree order is its sort order.
    path: Mapped[str] = mapped_column(PATH_TYPE)
    depth: Mapped[int] = mapped_column(SmallInteger, default=0)
    branch_name: Mapped[str | None] = mapped_column(String(100))
    commit_hash: Mapped[str | None] = mapped_column(String(40))
    pr_number: Mapped[int | None] = mapped_column(Integer)
    item_metadata: Mapped[dict[str, object]] = mapped_column("metadata", JSONDocument, default=dict)
    deleted_at: Mapped[datetime | None]


class WorkItem(WorkItemColumns, Base):
    __tablename__ = "work_items"

    @declared_attr
    @classmethod
    def parent_id(cls) -> Mapped[uuid.UUID | None]:
        return mapped_column(ForeignKey("work_items.id", ondelete="RESTRICT"), index=True)

    # How many of its dependencies still hold it back (neither completed nor deleted).
    # The repository recounts it next to every write that changes an edge or what an
    # edge points at, so that the ready queue and its count are index ranges.
    open_dependencies: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (
        CheckConstraint(enum_check("item_type", ITEM_TYPES), name="item_type"),
        CheckConstraint(enum_check("status", ITEM_STATUSES), name="status"),
        CheckConstraint(enum_check("priority", PRIORITIES), name="priority"),
        CheckConstraint("depth BETWEEN 0 AND 4", name="depth"),
        Index("ix_work_items_path", "ledger_id", "path"),
        # Keyset paging compares (sort key, id): both are in the index so the comparison
        # is an index condition and a page is a short range scan.
        Index(
            "ix_work_items_live_listing",
            "ledger_id",
            "item_type",
            "status",
            "created_at",
            "id",
            postgresql_where=LIVE,
            sqlite_where=LIVE,
        ),
        # The ready queue: a page is the first rows of one range, and its
        # count that range read from the index alone: the last three columns are there
        # only for that (the filters a ready list takes most, and deleted_at, which SQLite
        # checks again from the column even though the index holds live rows only).
        Index(
            "ix_work_items_ready",
            "ledger_id",
            "status",
            "open_dependencies",
            "priority_rank",
            DUE_OR_LAST,
            "created_at",
            "id",
            "assignee",
            "assignee_account",
            "claimed_until",
            "item_type",
            "deleted_at",
            postgresql_where=LIVE,
            sqlite_where=LIVE,
        ),
        Index("ix_work_items_short_id", "ledger_id", "short_id"),
        Index(
            "ix_work_items_live_created",
            "ledger_id",
            "created_at",
            "id",
            postgresql_where=LIVE,
            sqlite_where=LIVE,
        ),
    )


class WorkItemCount(Base):
    """How many work items each (type, status, root?, deleted?) of a ledger holds.

    Kept by the repository next to every write, so that a list's ``total_count`` for the
    common filters is a lookup instead of counting up to a million rows. A key's count is
    the sum of its slots: each database connection adds to a slot of its own, so writers
    on different connections never wait for each other's tally row."""

    __tablename__ = "work_item_counts"

    ledger_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledgers.id", ondelete="CASCADE"))
    item_type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    is_root: Mapped[bool] = mapped_column(Boolean)
    is_deleted: Mapped[bool] = mapped_column(Boolean)
    slot: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    item_count: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        PrimaryKeyConstraint("ledger_id", "item_type", "status", "is_root", "is_deleted", "slot"),
    )


class WorkItemDependency(Base):
    __tablename__ = "work_item_dependencies"

    work_item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("work_items.id", ondelete="CASCADE"))
    depends_on_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("work_items.id", ondelete="CASCADE"), index=True
    )
    dependency_type: Mapped[str] = mapped_column(String(20), default="depends_on")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        PrimaryKeyConstraint("work_item_id", "depends_on_id"),
        CheckConstraint(enum_check("dependency_type", DEPENDENCY_TYPES), name="dependency_type"),
        CheckConstraint("work_item_id <> depends_on_id", name="not_self"),
    )


class ArchivedWorkItem(WorkItemColumns, Base):
    """Whole subtrees of closed work items, moved out of the active table."""

    __tablename__ = "archived_work_items"

    parent_id: Mapped[uuid.UUID | None]
    archived_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # The item's own dependency edges at archive time: [{depends_on_id, dependency_type}].
    dependencies: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument, default=list)

    __table_args__ = (
        Index("ix_archived_work_items_path", "ledger_id", "path"),
        Index("ix_archived_work_items_short_id", "ledger_id", "short_id"),
    )
