from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from workledger.db.types import JSONDocument, utcnow
from workledger.models.base import AuditMixin, Base, IdMixin, LedgerScopedMixin


class Deployment(IdMixin, LedgerScopedMixin, AuditMixin, Base):
    __tablename__ = "deployments"

    deployed_at: Mapped[datetime] = mapped_column(default=utcnow)
    pr_number: Mapped[int] = mapped_column(Integer)
    pr_title: Mapped[str] = mapped_column(String(200))
    commit_hash: Mapped[str] = mapped_column(String(40))
    test_summary: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    constitutional_compliance: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        # Recording the same PR and commit twice returns the first record.
        UniqueConstraint("ledger_id", "pr_number", "commit_hash"),
        Index("ix_deployments_ledger_id_deployed_at", "ledger_id", "deployed_at"),
    )


def _deployment_key() -> Column[uuid.UUID]:
    """A link row's deployment, which it goes with."""
    return Column(
        "deployment_id", Uuid(), ForeignKey("deployments.id", ondelete="CASCADE"), primary_key=True
    )


deployment_vendors = Table(
    "deployment_vendors",
    Base.metadata,
    _deployment_key(),
    Column("vendor_id", Uuid(), ForeignKey("vendors.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_deployment_vendors_vendor_id", "vendor_id"),
)

deployment_work_items = Table(
    "deployment_work_items",
    Base.metadata,
    _deployment_key(),
    # No foreign key: a linked work item may later move to the archive table.
    Column("work_item_id", Uuid(), primary_key=True),
    Index("ix_deployment_work_items_work_item_id", "work_item_id"),
)
