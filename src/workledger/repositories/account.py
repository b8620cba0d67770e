from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from workledger.models import Account, ApiToken
from workledger.repositories.base import AccountScopedRepository


class AccountRepository:
    """Accounts are the scope of everything else, so this one is not account-scoped."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, account_id: uuid.UUID) -> Account | None:
        return await self.session.get(Account, account_id)

    async def get_by_email(self, email: str) -> Account | None:
        stmt = select(Account).where(Account.email == email.lower())
        return (await self.session.execute(stmt)).scalar_one_or_none()

    def add(self, account: Account) -> None:
        self.session.add(account)

    async def flush(self) -> None:
        await self.session.flush()

    async def token_by_hash(self, token_hash: str) -> ApiToken | None:
        """Look a presented API token up by its hash; that lookup is what finds its account."""
        stmt = select(ApiToken).where(ApiToken.token_hash == token_hash)
        return (await self.session.execute(stmt)).scalar_one_or_none()


class ApiTokenRepository(AccountScopedRepository):
    async def get(self, token_id: uuid.UUID) -> ApiToken | None:
        stmt = select(ApiToken).where(
            ApiToken.id == token_id, ApiToken.account_id == self.account_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def list(self) -> list[ApiToken]:
        stmt = (
            select(ApiToken)
            .where(ApiToken.account_id == self.account_id)
            .order_by(ApiToken.created_at, ApiToken.id)
        )
        return list((await self.session.execute(stmt)).scalars())

    def add(self, token: ApiToken) -> None:
        self.session.add(token)

    async def flush(self) -> None:
        await self.session.flush()

    async def touch(self, token: ApiToken, at: datetime) -> None:
        token.last_used_at = at
        await self.session.flush()
