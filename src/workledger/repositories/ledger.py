"""Ledgers and memberships: who belongs where, in which role."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from workledger.models import Account, Ledger, Membership


class LedgerRepository:
    """Not ledger-scoped: this is what a ledger's scope is looked up from."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, ledger_id: uuid.UUID) -> Ledger | None:
        return await self.session.get(Ledger, ledger_id)

    async def find(self, ref: str) -> Ledger | None:
        """The ledger whose slug, or id, is ``ref``."""
        try:
            by_id = Ledger.id == uuid.UUID(ref)
        except ValueError:
            by_id = None
        condition = Ledger.slug == ref.lower() if by_id is None else or_(by_id, Ledger.slug == ref)
        return (await self.session.execute(select(Ledger).where(condition))).scalar_one_or_none()

    async def slug_taken(self, slug: str) -> bool:
        stmt = select(func.count()).select_from(Ledger).where(Ledger.slug == slug)
        return bool((await self.session.execute(stmt)).scalar())

    async def role(self, ledger_id: uuid.UUID, account_id: uuid.UUID) -> str | None:
        stmt = select(Membership.role).where(
            Membership.ledger_id == ledger_id, Membership.account_id == account_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def of_account(self, account_id: uuid.UUID) -> list[tuple[Ledger, str]]:
        """The account's ledgers with its role in each, oldest first."""
        stmt = (
            select(Ledger, Membership.role)
            .join(Membership, Membership.ledger_id == Ledger.id)
            .where(Membership.account_id == account_id)
            .order_by(Ledger.created_at, Ledger.id)
        )
        return [(ledger, role) for ledger, role in await self.session.execute(stmt)]

    async def members(self, ledger_id: uuid.UUID) -> list[tuple[str, str]]:
        """(email, role) of each member, owners first, then by email."""
        stmt = (
            select(Account.email, Membership.role)
            .join(Membership, Membership.account_id == Account.id)
            .where(Membership.ledger_id == ledger_id)
            .order_by(Membership.role != "owner", Account.email)
        )
        return [(email, role) for email, role in await self.session.execute(stmt)]

    async def membership(self, ledger_id: uuid.UUID, account_id: uuid.UUID) -> Membership | None:
        return await self.session.get(Membership, (ledger_id, account_id), with_for_update=True)

    async def owners(self, ledger_id: uuid.UUID) -> int:
        """How many owners the ledger has, their rows locked until the transaction ends:
        two owners stepping down at once cannot leave it with none."""
        stmt = (
            select(Membership.account_id)
            .where(Membership.ledger_id == ledger_id, Membership.role == "owner")
            .with_for_update()
        )
        return len((await self.session.execute(stmt)).all())

    async def remove(self, ledger_id: uuid.UUID, account_id: uuid.UUID) -> None:
        await self.session.execute(
            delete(Membership).where(
                Membership.ledger_id == ledger_id, Membership.account_id == account_id
            )
        )

    async def open(self, *, slug: str, name: str, owner: uuid.UUID, at: datetime) -> Ledger:
        """A new ledger, and ``owner`` its owner."""
        ledger = Ledger(slug=slug, name=name, created_at=at, updated_at=at)
        self.session.add(ledger)
        await self.session.flush()  # no relationship tells the flush the ledger goes first
        self.add(Membership(ledger_id=ledger.id, account_id=owner, role="owner", created_at=at))
        await self.session.flush()
        return ledger

    def add(self, *rows: Ledger | Membership) -> None:
        self.session.add_all(rows)

    async def flush(self) -> None:
        await self.session.flush()
