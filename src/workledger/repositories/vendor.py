from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select

from workledger.models import Vendor
from workledger.repositories import history
from workledger.repositories.base import LedgerScopedRepository, chunks


class VendorRepository(LedgerScopedRepository):
    async def get(self, vendor_id: uuid.UUID, *, lock: bool = False) -> Vendor | None:
        stmt = select(Vendor).where(Vendor.id == vendor_id, Vendor.ledger_id == self.ledger_id)
        if lock:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def get_by_name(self, name: str, *, lock: bool = False) -> Vendor | None:
        stmt = select(Vendor).where(Vendor.ledger_id == self.ledger_id, Vendor.name == name)
        if lock:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def get_many(
        self, *, ids: Sequence[uuid.UUID] = (), names: Sequence[str] = ()
    ) -> list[Vendor]:
        found: dict[uuid.UUID, Vendor] = {}
        wanted: tuple[tuple[Any, list[Any]], ...] = (
            (Vendor.id, list(set(ids))),
            (Vendor.name, list(set(names))),
        )
        for column, values in wanted:
            for chunk in chunks(values):
                stmt = select(Vendor).where(Vendor.ledger_id == self.ledger_id, column.in_(chunk))
                found |= {v.id: v for v in (await self.session.execute(stmt)).scalars()}
        return list(found.values())

    async def list(self, *, status: str | None = None) -> list[Vendor]:
        stmt = select(Vendor).where(Vendor.ledger_id == self.ledger_id).order_by(Vendor.name)
        if status is not None:
            stmt = stmt.where(Vendor.status == status)
        return list((await self.session.execute(stmt)).scalars())

    async def count_by_status(self) -> dict[str, int]:
        stmt = (
            select(Vendor.status, func.count())
            .where(Vendor.ledger_id == self.ledger_id)
            .group_by(Vendor.status)
        )
        return {status: int(count) for status, count in await self.session.execute(stmt)}

    async def add_rows(self, rows: Sequence[dict[str, Any]]) -> None:
        """New vendors given as column values, in one statement (for batches)."""
        if rows:
            await self.session.execute(insert(Vendor), rows)
            history.created(self.session, Vendor, rows)

    def add(self, vendor: Vendor) -> None:
        self.session.add(vendor)

    async def flush(self) -> None:
        await self.session.flush()
