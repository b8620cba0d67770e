"""What the work item writes of one transaction owe the columns derived from them.

Two things are kept beside the rows, so that the common reads are index lookups: the
tallies a list's ``total_count`` reads (``work_item_counts``), and each item's
``open_dependencies``, which the ready list reads (``readiness``). The repositories record
here what a write changed; the service applies it, once its rows are flushed, as a
step of its own (``apply``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from workledger.models import WorkItem, WorkItemDependency
from workledger.repositories.base import chunks
from workledger.repositories.readiness import holds_back, recount_open_dependencies
from workledger.repositories.work_item_count import (
    Counted,
    CountKey,
    WorkItemCountRepository,
    count_key,
)


class WorkItemUpkeep:
    def __init__(self, session: AsyncSession, *, ledger_id: uuid.UUID) -> None:
        self.session = session
        self.ledger_id = ledger_id
        self.counts = WorkItemCountRepository(session, ledger_id=ledger_id)
        # Items whose edges changed, and items whose status or deletion changed whether
        # they hold their dependants back.
        self._relinked: set[uuid.UUID] = set()
        self._settled: set[uuid.UUID] = set()

    def added(self, item: Counted) -> None:
        self.counts.record(count_key(item), +1)

    def changed(self, item_id: uuid.UUID, before: CountKey, after: CountKey) -> None:
        """``item_id`` went from ``before`` to ``after``: its tallies, and whether it
        holds its dependants back."""
        self.counts.record_change(before, after)
        if _holds(before) != _holds(after):
            self._settled.add(item_id)

    def relinked(self, item_ids: Iterable[uuid.UUID]) -> None:
        """These items' dependency edges changed."""
        self._relinked.update(item_ids)

    async def apply(self) -> None:
        """Write the tallies and recount the open dependencies the recorded changes
        touched. After the rows are flushed: the recounts read them."""
        await self.counts.apply()
        relinked, self._relinked = sorted(self._relinked), set()
        settled, self._settled = sorted(self._settled), set()
        for chunk in chunks(relinked):
            await recount_open_dependencies(
                self.session, ledger_id=self.ledger_id, which=WorkItem.id.in_(chunk)
            )
        edge = WorkItemDependency
        for chunk in chunks(settled):
            dependants = select(edge.work_item_id).where(edge.depends_on_id.in_(chunk))
            await recount_open_dependencies(
                self.session, ledger_id=self.ledger_id, which=WorkItem.id.in_(dependants)
            )


def _holds(key: CountKey) -> bool:
    return holds_back(status=key.status, deleted=key.is_deleted)
