from __future__ import annotations

import uuid

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from workledger.db.types import JSONDocument
from workledger.models.base import AuditMixin, Base, IdMixin, LedgerScopedMixin, enum_check
from workledger.models.work_item import PRIORITIES

ENHANCEMENT_STATUSES = ("planned", "approved", "implementing", "completed")


class Enhancement(IdMixin, LedgerScopedMixin, AuditMixin, Base):
    """Planned future work."""

    __tablename__ = "enhancements"

    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[str] = mapped_column(String(20), default="medium")
    priority_rank: Mapped[int] = mapped_column(SmallInteger, default=2)
    status: Mapped[str] = mapped_column(String(20), default="planned")
    target_quarter: Mapped[str | None] = mapped_column(String(7))
    constitutional_principles: Mapped[list[str]] = mapped_column(JSONDocument, default=list)

    __table_args__ = (
        Index("ix_enhancements_listing", "ledger_id", "priority_rank", "created_at"),
        CheckConstraint(enum_check("priority", PRIORITIES), name="priority"),
        CheckConstraint(enum_check("status", ENHANCEMENT_STATUSES), name="status"),
    )


class EnhancementDependency(Base):
    __tablename__ = "enhancement_dependencies"

    enhancement_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("enhancements.id", ondelete="CASCADE")
    )
    depends_on_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("enhancements.id", ondelete="CASCADE"), index=True
    )

    __table_args__ = (
        PrimaryKeyConstraint("enhancement_id", "depends_on_id"),
        CheckConstraint("enhancement_id <> depends_on_id", name="not_self"),
    )
