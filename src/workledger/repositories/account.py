from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import Select, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from workledger.models import Account, ApiToken, Ledger

# How often a token's last use is written down, at most.
USE_NOTED_EVERY = timedelta(minutes=1)


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

    async def token_by_hash(self, token_hash: str) -> tuple[ApiToken, Account] | None:
        """Look a presented API token up by its hash, with the account it belongs to."""
        stmt = (
            select(ApiToken, Account)
            .join(Account, Account.id == ApiToken.account_id)
            .where(ApiToken.token_hash == token_hash)
        )
        for token, account in await self.session.execute(stmt):
            return token, account
        return None


class ApiTokenRepository:
    """An account's tokens, each with the slug of the ledger it is bound to (if any)."""

    def __init__(self, session: AsyncSession, *, account_id: uuid.UUID) -> None:
        self.session = session
        self.account_id = account_id

    def _select(self) -> Select[ApiToken, str]:
        return (
            select(ApiToken, Ledger.slug)
            .outerjoin(Ledger, Ledger.id == ApiToken.ledger_id)
            .where(ApiToken.account_id == self.account_id)
        )

    async def get(self, token_id: uuid.UUID) -> tuple[ApiToken, str | None] | None:
        stmt = self._select().where(ApiToken.id == token_id)
        for token, slug in await self.session.execute(stmt):
            return token, slug
        return None

    async def list(self) -> list[tuple[ApiToken, str | None]]:
        stmt = self._select().order_by(ApiToken.created_at, ApiToken.id)
        return [(token, slug) for token, slug in await self.session.execute(stmt)]

    async def named(self, name: str) -> bool:
        """Whether the account has a live (unrevoked) token named ``name``. The account's
        row is locked first, so that two tokens made at once cannot both take a name."""
        await self.session.execute(
            select(Account.id).where(Account.id == self.account_id).with_for_update()
        )
        stmt = select(ApiToken.id).where(
            ApiToken.account_id == self.account_id,
            ApiToken.name == name,
            ApiToken.revoked_at.is_(None),
        )
        return (await self.session.execute(stmt.limit(1))).first() is not None

    def add(self, token: ApiToken) -> None:
        self.session.add(token)

    async def flush(self) -> None:
        await self.session.flush()


async def note_token_use(session: AsyncSession, token_hash: str, *, at: datetime) -> None:
    """The API token ``token_hash`` was used ``at``: its ``last_used_at`` moves, unless it
    moved less than USE_NOTED_EVERY ago (by this process or another)."""
    await session.execute(
        update(ApiToken)
        .where(
            ApiToken.token_hash == token_hash,
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < at - USE_NOTED_EVERY),
        )
        .values(last_used_at=at)
    )
