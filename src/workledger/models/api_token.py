from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from workledger.db.types import utcnow
from workledger.models.base import Base, IdMixin


class ApiToken(IdMixin, Base):
    __tablename__ = "api_tokens"

    account_id: Mapped[uuid.UUID] = mapped_column(
        Uuid(), ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    # A token for one ledger, with at most its creator's role there (None: the account's
    # own power, on every ledger it belongs to).
    ledger_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid(), ForeignKey("ledgers.id", ondelete="CASCADE")
    )
    role: Mapped[str | None] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
