from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from workledger.db.types import utcnow
from workledger.models.base import Base, IdMixin


class Account(IdMixin, Base):
    __tablename__ = "accounts"

    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The ledger made at sign-up: where paths without a ledger act.
    default_ledger_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ledgers.id", ondelete="SET NULL")
    )


class CredentialChanges(Base):
    """One row whose version moves whenever an account, an API token, a ledger or a
    membership is changed or deleted (triggers of migrations 0006 and 0007 move it, in
    the changing transaction): the read cache keeps what a bearer token may do in a
    ledger for as long as it stays put."""

    __tablename__ = "credential_changes"
    # The mirror's copy (fallback/mirror_copy.py) writes it after the tables whose
    # triggers move it, so that the mirror holds the database's version.
    __table_args__ = {"info": {"copied_last": True}}

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)
