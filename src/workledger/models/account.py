from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from workledger.db.types import utcnow
from workledger.models.base import Base, IdMixin


class Account(IdMixin, Base):
    __tablename__ = "accounts"

    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CredentialChanges(Base):
    """One row whose version moves whenever an account or an API token is changed or
    deleted (triggers of migration 0006 move it, in the changing transaction): the read
    cache keeps what a bearer token resolves to for as long as it stays put."""

    __tablename__ = "credential_changes"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)
