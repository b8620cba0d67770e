from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from workledger.models.base import Base


class AppliedOperation(Base):
    """A journaled write that has been replayed here, recorded in the same
    transaction as its change: a journal entry is never applied twice, even when the
    process dies between the commit and crossing the entry off."""

    __tablename__ = "applied_operations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)  # the journal entry's
    ledger_id: Mapped[uuid.UUID] = mapped_column(
        Uuid(), ForeignKey("ledgers.id", ondelete="CASCADE"), index=True
    )
    applied_at: Mapped[datetime]
    # True when a rule or a newer version refused it: it is a conflict, not a change.
    refused: Mapped[bool]
