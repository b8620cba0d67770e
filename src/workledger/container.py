"""The composition root: settings → engine → database → services."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from workledger.config import Settings
from workledger.db.engine import build_engine
from workledger.db.unit_of_work import Database

# Each service is built, and its module imported, when first asked for: a command that
# needs one service does not pay for all of them (the command line starts in a blink).
if TYPE_CHECKING:
    from workledger.db.change_watcher import ChangeWatcher
    from workledger.fallback.journaling import Replayer
    from workledger.fallback.loop import FallbackLoop
    from workledger.services.account import AccountService
    from workledger.services.archive import ArchiveService
    from workledger.services.change_signal import Changes
    from workledger.services.comment import CommentService
    from workledger.services.conflicts import ConflictService
    from workledger.services.deployment import DeploymentService
    from workledger.services.enhancement import EnhancementService
    from workledger.services.health import HealthService
    from workledger.services.history import HistoryService
    from workledger.services.importer import ImportService
    from workledger.services.ledger import LedgerService
    from workledger.services.project_configuration import ProjectConfigurationService
    from workledger.services.read_cache import ReadCache
    from workledger.services.status import StatusService
    from workledger.services.task import TaskService
    from workledger.services.vendor import VendorService
    from workledger.services.work_item import WorkItemService
    from workledger.services.work_log import WorkLogService


@dataclass
class Container:
    settings: Settings
    db: Database
    # What replays the journal (a PostgreSQL ledger, after ``start``).
    replayer: Replayer | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Container:
        engine = build_engine(settings.resolved_database_url, pool_size=settings.db_pool_size)
        return cls(settings=settings, db=Database(engine))

    async def start(self) -> None:
        """Open what a PostgreSQL ledger falls back on while its database is away: the
        mirror and the journal in the data directory, then the status file."""
        outage = self.db.outage
        if self.db.dialect.name != "postgresql" or outage.has_layers:
            return
        from workledger.fallback.journal import JOURNAL_FILE, Journal
        from workledger.fallback.journaling import Replayer
        from workledger.fallback.mirror import MIRROR_FILE, Mirror
        from workledger.fallback.status_layers import StatusLayers

        data_dir = self.settings.ensure_data_dir()
        mirror = Mirror(data_dir / MIRROR_FILE, ttl_seconds=self.settings.cache_ttl_seconds)
        journal = Journal(data_dir / JOURNAL_FILE)
        await mirror.open()
        await journal.open()
        email, ledger = self.settings.account_email, self.settings.ledger
        status_layers = StatusLayers(
            status_file=self.settings.status_file,
            repo_dir=self.settings.repo_dir,
            data_dir=data_dir,
            owner=lambda: mirror.status_owner(email, ledger),
        )
        self.replayer = Replayer(self.db, journal, handlers=self)
        outage.open(
            mirror=mirror,
            journal=journal,
            status=status_layers,
            catch_up=self.replayer.catch_up_mirror,
        )

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Started, with the fallback's background work running, for a serving process."""
        await self.start()
        if self.fallback is None:
            yield
            return
        keeper = asyncio.create_task(self.fallback.run(), name="workledger-fallback")
        try:
            yield
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper

    @cached_property
    def fallback(self) -> FallbackLoop | None:
        """What keeps the mirror current and replays the journal (after ``start``)."""
        mirror = self.db.outage.mirror
        if mirror is None or self.replayer is None:
            return None
        from workledger.db.change_watcher import build_change_watcher
        from workledger.fallback.loop import FallbackLoop, StatusFile

        watcher = build_change_watcher(self.settings.resolved_database_url)
        status_file = StatusFile(
            self.settings.status_file, self.settings.account_email, self.settings.ledger
        )
        return FallbackLoop(
            self.db, mirror, self.replayer, watcher, status=self.status, status_file=status_file
        )

    @cached_property
    def accounts(self) -> AccountService:
        from workledger.services.account import AccountService

        return AccountService(
            self.db,
            read_cache=self.read_cache,
            signing_key=self.settings.signing_key,
            token_minutes=self.settings.access_token_minutes,
        )

    @cached_property
    def ledgers(self) -> LedgerService:
        from workledger.services.ledger import LedgerService

        return LedgerService(self.db, read_cache=self.read_cache)

    @cached_property
    def work_items(self) -> WorkItemService:
        from workledger.services.work_item import WorkItemService

        return WorkItemService(self.db, read_cache=self.read_cache)

    @cached_property
    def change_watcher(self) -> ChangeWatcher:
        """The database's change token, on a connection of its own: what the read cache
        and the open web pages go by."""
        from workledger.db.change_watcher import build_change_watcher

        return build_change_watcher(self.settings.resolved_database_url)

    @cached_property
    def read_cache(self) -> ReadCache:
        from workledger.services.read_cache import ReadCache

        return ReadCache(
            self.change_watcher,
            # Reads the mirror serves are not the database's, and its token cannot be read.
            bypass=lambda: self.db.in_transaction or self.db.outage.degraded,
            commits=lambda: self.db.commits,
        )

    @cached_property
    def tasks(self) -> TaskService:
        from workledger.services.task import TaskService

        return TaskService(self.db, work_items=self.work_items)

    @cached_property
    def vendors(self) -> VendorService:
        from workledger.services.vendor import VendorService

        return VendorService(self.db, read_cache=self.read_cache)

    @cached_property
    def deployments(self) -> DeploymentService:
        from workledger.services.deployment import DeploymentService

        return DeploymentService(self.db, repo_dir=self.settings.repo_dir)

    @cached_property
    def enhancements(self) -> EnhancementService:
        from workledger.services.enhancement import EnhancementService

        return EnhancementService(self.db)

    @cached_property
    def configuration(self) -> ProjectConfigurationService:
        from workledger.services.project_configuration import ProjectConfigurationService

        return ProjectConfigurationService(
            self.db, repo_dir=self.settings.repo_dir, health=self.health
        )

    @cached_property
    def status(self) -> StatusService:
        from workledger.services.status import StatusService

        return StatusService(self.db, read_cache=self.read_cache)

    @cached_property
    def importer(self) -> ImportService:
        from workledger.services.importer import ImportService

        return ImportService(
            self.db,
            vendors=self.vendors,
            work_items=self.work_items,
            deployments=self.deployments,
            enhancements=self.enhancements,
            work_logs=self.work_logs,
        )

    @cached_property
    def history(self) -> HistoryService:
        from workledger.services.history import HistoryService

        return HistoryService(self.db)

    @cached_property
    def comments(self) -> CommentService:
        from workledger.services.comment import CommentService

        return CommentService(self.db)

    @cached_property
    def work_logs(self) -> WorkLogService:
        from workledger.services.work_log import WorkLogService

        return WorkLogService(self.db)

    @cached_property
    def archive(self) -> ArchiveService:
        from workledger.services.archive import ArchiveService

        return ArchiveService(self.db)

    @cached_property
    def conflicts(self) -> ConflictService:
        from workledger.services.conflicts import ConflictService

        return ConflictService(self.db)

    @cached_property
    def page_changes(self) -> Changes:
        """What tells open web pages that something was committed."""
        from workledger.services.change_signal import Changes

        return Changes(self.change_watcher)

    @cached_property
    def health(self) -> HealthService:
        from workledger.services.health import HealthService

        return HealthService(self.db)

    async def close(self) -> None:
        if "page_changes" in self.__dict__:
            await self.page_changes.close()
        if "read_cache" in self.__dict__:
            self.read_cache.clear()
        if "change_watcher" in self.__dict__:
            await self.change_watcher.close()
        fallback = self.__dict__.get("fallback")
        if fallback is not None:
            await fallback.watcher.close()
        await self.db.dispose()
