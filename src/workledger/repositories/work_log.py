"""Work logs: what was spent on a work item, each entry kept, and the item's sums."""

from __future__ import annotations

import uuid

from sqlalchemy import update

from workledger.models import WorkItem, WorkLog
from workledger.repositories.base import LedgerScopedRepository


class WorkLogRepository(LedgerScopedRepository):
    async def add_to_item(
        self, work_item_id: uuid.UUID, *, minutes: int, tokens: int, cost_micros: int
    ) -> int | None:
        """Add to the live item's sums, in one statement (exact under concurrent logging:
        each adds to the row as it is); the item's version, which does not change, or
        None when there is no such live item."""
        stmt = (
            update(WorkItem)
            .where(
                WorkItem.id == work_item_id,
                WorkItem.ledger_id == self.ledger_id,
                WorkItem.deleted_at.is_(None),
            )
            .values(
                spent_minutes=WorkItem.spent_minutes + minutes,
                spent_tokens=WorkItem.spent_tokens + tokens,
                spent_cost_micros=WorkItem.spent_cost_micros + cost_micros,
            )
            .returning(WorkItem.version)
            .execution_options(synchronize_session=False)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    def add(self, entry: WorkLog) -> None:
        self.session.add(entry)

    async def flush(self) -> None:
        await self.session.flush()
