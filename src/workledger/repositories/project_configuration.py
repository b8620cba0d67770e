from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from workledger.models import ProjectConfiguration
from workledger.repositories.base import LedgerScopedRepository


class ProjectConfigurationRepository(LedgerScopedRepository):
    async def get(self, *, lock: bool = False) -> ProjectConfiguration | None:
        stmt = select(ProjectConfiguration).where(ProjectConfiguration.ledger_id == self.ledger_id)
        if lock:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def add_if_missing(self, configuration: ProjectConfiguration) -> bool:
        """Insert unless another transaction just did; a savepoint keeps ours usable."""
        try:
            async with self.session.begin_nested():
                self.session.add(configuration)
        except IntegrityError:
            return False
        return True
