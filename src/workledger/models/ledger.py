"""Ledgers (what records belong to) and who may do what in each."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from workledger.db.types import utcnow
from workledger.models.base import Base, IdMixin, enum_check

# Strongest first: a role may do what every role after it may.
ROLES = ("owner", "member", "reader")


class Ledger(IdMixin, Base):
    """A team's ledger: every record belongs to one."""

    __tablename__ = "ledgers"

    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Membership(Base):
    """An account's role in a ledger. No row: the ledger does not exist for it."""

    __tablename__ = "memberships"

    ledger_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ledgers.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (CheckConstraint(enum_check("role", ROLES), name="role"),)
