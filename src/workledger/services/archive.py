"""Archiving: closed subtrees leave the live table; ``serve`` does it once a day."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby

from workledger.db.advisory_lock import AdvisoryLock
from workledger.db.types import utcnow
from workledger.errors import StorageUnavailable
from workledger.repositories.archive import ArchiveRepository, archivable_subtrees
from workledger.services.common import Service

log = logging.getLogger(__name__)

DAY = timedelta(days=1)
# PostgreSQL advisory lock held by the one server process that runs the daily archive.
ARCHIVER_LOCK_KEY = 0x776C_6172_6368  # "wlarch"


@dataclass(frozen=True)
class ArchiveResult:
    subtrees: int
    work_items: int
    cutoff: datetime

    def summary(self) -> str:
        """``archived 1 work item in 1 subtree``, counted in words as people write them."""
        items = f"{self.work_items} work item{'' if self.work_items == 1 else 's'}"
        return f"archived {items} in {self.subtrees} subtree{'' if self.subtrees == 1 else 's'}"


class ArchiveService(Service):
    async def archive(
        self,
        *,
        older_than_days: int = 365,
        ledger_id: uuid.UUID | None = None,
        now: datetime | None = None,
    ) -> ArchiveResult:
        """Move every largest subtree whose items are all completed or deleted and were
        last changed more than ``older_than_days`` ago (of one ledger, or of all) to the
        archive table, in one transaction."""
        now = now or utcnow()
        cutoff = now - timedelta(days=older_than_days)
        # Look first without the write lock: on most days there is nothing to move.
        async with self.db.transaction(write=False) as session:
            if not await archivable_subtrees(session, cutoff=cutoff, ledger_id=ledger_id):
                return ArchiveResult(0, 0, cutoff)
        async with self.db.transaction() as session:
            subtrees = await archivable_subtrees(session, cutoff=cutoff, ledger_id=ledger_id)
            moved = 0
            for ledger, group in groupby(subtrees, key=lambda s: s.ledger_id):
                repo = ArchiveRepository(session, ledger_id=ledger)
                moved += await repo.archive([s.path for s in group], at=now)
        return ArchiveResult(len(subtrees), moved, cutoff)

    async def run_daily(
        self,
        *,
        older_than_days: int,
        every: timedelta = DAY,
        retry: timedelta = timedelta(minutes=5),
    ) -> None:
        """Archive now and then every ``every``, for as long as this process leads: with
        PostgreSQL only one of the server processes sharing a database does (the others
        check back every ``retry`` and take over when the leader is gone)."""
        leader = AdvisoryLock(self.db, ARCHIVER_LOCK_KEY)
        try:
            while True:
                if not await leader.held():
                    await asyncio.sleep(retry.total_seconds())
                    continue
                try:
                    result = await self.archive(older_than_days=older_than_days)
                except StorageUnavailable:
                    # The unit of work has said the database is away; no traceback for it.
                    log.warning(
                        "daily archive skipped: database unavailable; trying again at the next run"
                    )
                except Exception:
                    log.exception("daily archive failed; trying again at the next run")
                else:
                    log.info(
                        "%s (untouched since %s)",
                        result.summary(),
                        result.cutoff.isoformat(timespec="seconds"),
                    )
                await asyncio.sleep(every.total_seconds())
        finally:
            await leader.release()
