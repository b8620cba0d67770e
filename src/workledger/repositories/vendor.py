from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select

from workledger.models import Vendor
from workledger.repositories.base import AccountScopedRepository


class VendorRepository(AccountScopedRepository):
    async def get(self, vendor_id: uuid.UUID, *, lock: bool = False) -> Vendor | None:
        stmt = select(Vendor).where(Vendor.id == vendor_id, Vendor.account_id == self.account_id)
        if lock:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def get_by_name(self, name: str, *, lock: bool = False) -> Vendor | None:
        stmt = select(Vendor).where(Vendor.account_id == self.account_id, Vendor.name == name)
        if lock:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def get_many(
        self, *, ids: Sequence[uuid.UUID] = (), names: Sequence[str] = ()
    ) -> list[Vendor]:
        if not ids and not names:
            return []
        condition = Vendor.id.in_(ids) if ids else Vendor.name.in_(names)
        stmt = select(Vendor).where(Vendor.account_id == self.account_id, condition)
        return list((await self.session.execute(stmt)).scalars())

    async def list(self, *, status: str | None = None) -> list[Vendor]:
        stmt = select(Vendor).where(Vendor.account_id == self.account_id).order_by(Vendor.name)
        if status is not None:
            stmt = stmt.where(Vendor.status == status)
        return list((await self.session.execute(stmt)).scalars())

    async def count_by_status(self) -> dict[str, int]:
        stmt = (
            select(Vendor.status, func.count())
            .where(Vendor.account_id == self.account_id)
            .group_by(Vendor.status)
        )
        return {status: int(count) for status, count in await self.session.execute(stmt)}

    def add(self, vendor: Vendor) -> None:
        self.session.add(vendor)

    async def flush(self) -> None:
        await self.session.flush()
