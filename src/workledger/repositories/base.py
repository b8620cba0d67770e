from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession


class AccountScopedRepository:
    """Built for one account; another account's rows are invisible through it."""

    def __init__(self, session: AsyncSession, *, account_id: uuid.UUID) -> None:
        self.session = session
        self.account_id = account_id
        self.dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
