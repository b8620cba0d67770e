"""What an account holds, counted: the import's before (empty?) and after (reconciled)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select

from workledger.models import ArchivedWorkItem, Deployment, Enhancement, Vendor, WorkItem
from workledger.models.base import LedgerScopedMixin
from workledger.repositories.base import LedgerScopedRepository


class HoldingsRepository(LedgerScopedRepository):
    """One for the check before the import's writes, another for the checks after them:
    what the latter reads is read once (two checks compare the vendors)."""

    _vendors: dict[str, Vendor] | None = None

    async def counts(self) -> dict[str, int]:
        """How many vendors, work items (deleted and archived ones too), deployments and
        enhancements the account holds."""
        return {
            "vendors": await self._count(Vendor),
            "work items": await self._count(WorkItem) + await self._count(ArchivedWorkItem),
            "deployments": await self._count(Deployment),
            "enhancements": await self._count(Enhancement),
        }

    async def vendors(self) -> dict[str, Vendor]:
        """The account's vendors by name, read on the first call."""
        if self._vendors is None:
            stmt = select(Vendor).where(Vendor.ledger_id == self.ledger_id)
            rows = (await self.session.execute(stmt)).scalars()
            self._vendors = {vendor.name: vendor for vendor in rows}
        return self._vendors

    async def deployment_prs(self) -> set[int]:
        stmt = select(Deployment.pr_number).where(Deployment.ledger_id == self.ledger_id)
        return set((await self.session.execute(stmt)).scalars())

    async def work_item_types(self) -> dict[str, str]:
        """The type of each of the ledger's work items, by the report's short id (the
        last 8 hex digits of its id)."""
        stmt = select(WorkItem.short_id, WorkItem.item_type).where(
            WorkItem.ledger_id == self.ledger_id
        )
        return dict((await self.session.execute(stmt)).all())

    async def enhancement_count(self) -> int:
        return await self._count(Enhancement)

    async def live_session_count(self) -> int:
        return await self._count(
            WorkItem, WorkItem.item_type == "session", WorkItem.deleted_at.is_(None)
        )

    async def _count(self, model: type[LedgerScopedMixin], *where: ColumnElement[bool]) -> int:
        stmt = (
            select(func.count()).select_from(model).where(model.ledger_id == self.ledger_id, *where)
        )
        return int((await self.session.execute(stmt)).scalar_one())
