from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from workledger.db.types import JSONDocument
from workledger.models.base import AuditMixin, Base, IdMixin, enum_check

CONTEXT_TYPES = ("feature", "maintenance", "research")
DEFAULT_TOKEN_BUDGET = 200_000


class ProjectConfiguration(IdMixin, AuditMixin, Base):
    """One per ledger, created with defaults on first read."""

    __tablename__ = "project_configurations"

    ledger_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ledgers.id", ondelete="CASCADE"), unique=True
    )
    active_context_type: Mapped[str] = mapped_column(String(20), default="feature")
    default_token_budget: Mapped[int] = mapped_column(Integer, default=DEFAULT_TOKEN_BUDGET)
    token_budgets: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    current_session_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("work_items.id", ondelete="SET NULL")
    )

    __table_args__ = (
        CheckConstraint(enum_check("active_context_type", CONTEXT_TYPES), name="context_type"),
        CheckConstraint(
            "default_token_budget BETWEEN 1000 AND 1000000", name="default_token_budget"
        ),
    )
