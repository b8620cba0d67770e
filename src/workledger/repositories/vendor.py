from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, or_, select

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
        """The vendor named ``name``; else the one whose name differs only in case, when
        a single one does (``globex`` finds ``Globex``, not ``GlobEx`` beside it)."""
        stmt = select(Vendor).where(
            Vendor.ledger_id == self.ledger_id,
            or_(Vendor.name == name, func.lower(Vendor.name) == name.lower()),
        )
        if lock:
            stmt = stmt.with_for_update()
        found = list((await self.session.execute(stmt)).scalars())
        exact = [vendor for vendor in found if vendor.name == name]
        return exact[0] if exact else found[0] if len(found) == 1 else None

    async def names(self) -> list[str]:
        stmt = select(Vendor.name).where(Vendor.ledger_id == self.ledger_id)
        return list((await self.session.execute(stmt)).scalars())

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
