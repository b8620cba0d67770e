"""The outage path's background work: keep the mirror close behind PostgreSQL while it
answers; while it does not, re-render the status file and watch for its return, then
replay the journal."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from workledger.db.change_watcher import ChangeWatcher
from workledger.db.engine import build_engine
from workledger.db.failures import meaning
from workledger.db.types import utcnow
from workledger.db.unit_of_work import Database
from workledger.errors import Conflict, StorageUnavailable
from workledger.fallback.copier import CopyFailed
from workledger.fallback.journaling import Replayer
from workledger.fallback.mirror import Mirror
from workledger.repositories.health import ping
from workledger.services.status import StatusService
from workledger.status_file.write import write_atomically

log = logging.getLogger(__name__)

# How often the database is looked at: for changes to copy, or for its return.
TICK_SECONDS = 1.0
# A copy costs at most this share of the time between copies.
COPY_SHARE = 0.1
# The longest one step of the loop may take before it is given up and tried again.
STEP_TIMEOUT_SECONDS = 30
# An unchanged database proves the mirror current: its sync time is renewed this often.
CONFIRM_EVERY = timedelta(seconds=30)


@dataclass(frozen=True)
class StatusFile:
    """Where the status report is kept, and whose it is: WORKLEDGER_ACCOUNT's email, and
    WORKLEDGER_LEDGER (else that account's default ledger)."""

    path: Path
    email: str
    ledger: str | None = None


class FallbackLoop:
    def __init__(
        self,
        db: Database,
        mirror: Mirror,
        replayer: Replayer,
        watcher: ChangeWatcher,
        *,
        status: StatusService,
        status_file: StatusFile,
    ) -> None:
        self.db = db
        self.mirror = mirror
        self.replayer = replayer
        self.watcher = watcher
        self.status = status
        self.status_file = status_file
        self._rendered_after = 0  # journal appends the status file has seen
        self._copied_token: str | None = None
        self.primary_url = db.engine.url.render_as_string(hide_password=False)

    async def run(self) -> None:
        """Until cancelled: the first full copy at once, then each change within about a
        second (paced so that copying takes at most a tenth of the time)."""
        while True:
            pause = TICK_SECONDS
            try:
                # A step that hangs (a driver waiting on a half-dead connection) is given
                # up and tried again: replay must not stop for good.
                async with asyncio.timeout(STEP_TIMEOUT_SECONDS):
                    if self.db.outage.degraded:
                        await self.render()
                        await self.recover()
                    else:
                        pause = await self.sync()
            except TimeoutError:
                log.warning("the mirror or the journal hung; trying again")
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise  # this loop is being stopped
                # A driver's own cancellation that leaked out of a lost connection.
                log.warning("the mirror or the journal was interrupted; trying again")
            except (StorageUnavailable, Conflict):
                pass  # said once by the unit of work; try again at the next tick
            except Exception:
                log.exception("the mirror or the journal failed; trying again")
            await asyncio.sleep(pause)

    async def sync(self) -> float:
        """Copy the database when it changed since the last copy; the pause until the next
        look."""
        looked_at = utcnow()
        token = await self.watcher.token()
        if token is None:
            return TICK_SECONDS
        if token == self._copied_token:
            synced_at = self.mirror.synced_at
            if synced_at is not None and looked_at - synced_at > CONFIRM_EVERY:
                await self.mirror.confirm(looked_at)
            return TICK_SECONDS
        try:
            await self.mirror.copy_from(self.primary_url)
        except CopyFailed as failed:
            if failed.meaning != "unavailable":
                raise
            self.db.outage.went_away(failed)
            return TICK_SECONDS
        self._copied_token = token
        if self.mirror.synced_at is not None:
            self.db.outage.copied(self.mirror.synced_at)
        return max(TICK_SECONDS, self.mirror.last_copy_seconds / COPY_SHARE)

    async def _connects(self) -> bool:
        """Whether a new connection to the database can be made and answers."""
        engine = build_engine(self.primary_url, pool_size=1)
        try:
            async with AsyncSession(engine) as session:
                await ping(session)
        except (SQLAlchemyError, OSError) as exc:
            if meaning(exc) != "unavailable":
                raise
            return False
        finally:
            await engine.dispose()
        return True

    async def render(self) -> None:
        """Re-render the status file from the mirror after journaled writes, so that the
        file (layer 4, and what people read) shows them too."""
        journal = self.db.outage.journal
        if journal is None or journal.appended == self._rendered_after:
            return
        appended = journal.appended
        owner = await self.mirror.status_owner(self.status_file.email, self.status_file.ledger)
        if owner is not None:
            report = await self.status.report(actor=owner.actor("render"))
            try:
                await asyncio.to_thread(write_atomically, self.status_file.path, report.markdown)
            except OSError as exc:
                log.warning("cannot re-render %s: %s", self.status_file.path, exc)
        self._rendered_after = appended

    async def recover(self) -> None:
        """Is the database back? Confirmed on a new connection (an open one may outlive
        the outage), it is; then replay the journal (which ends degraded mode)."""
        if self.db.outage.away:
            if not await self._connects():
                return
            async with self.db.transaction(write=False, layer="database") as session:
                await ping(session)
            self.db.outage.came_back()
        await self.replayer.drain()
        self._copied_token = None  # the mirror has the journal's writes: copy afresh,
        self.mirror.diverged()  # and whole
