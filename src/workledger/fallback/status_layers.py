"""Layers 3 and 4 of the outage path, for when the database is away and the mirror is stale:
the newest committed version of the status file in the git history of
``WORKLEDGER_REPO_DIR`` (``git``), else the file on disk (``file``).

The file is imported, with the importer every ``workledger import`` uses, into a SQLite
database of its own in the data directory, for the account the file belongs to; reads
are then answered by the same services as always. It is rebuilt when the file changes.
Work items keep their short ids (the last 8 hex digits) but not their full ids, which the
file does not hold."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from workledger.db.change_watcher import NoWatcher
from workledger.db.engine import build_engine
from workledger.db.migrate import upgrade
from workledger.db.types import utcnow
from workledger.db.unit_of_work import Database
from workledger.fallback.mirror import StatusOwner
from workledger.fallback.provenance import Source
from workledger.models import Account, Ledger, Membership
from workledger.services.deployment import DeploymentService
from workledger.services.enhancement import EnhancementService
from workledger.services.git_state import run_git
from workledger.services.importer import ImportService
from workledger.services.read_cache import ReadCache
from workledger.services.vendor import VendorService
from workledger.services.work_item import WorkItemService
from workledger.services.work_log import WorkLogService
from workledger.status_file.parser import parse_status_file

log = logging.getLogger(__name__)

LAYER_FILE = "status-layer.sqlite3"


@dataclass(frozen=True)
class StatusText:
    layer: Source  # GIT or FILE
    text: str
    as_of: datetime  # the commit's time, or the file's modification time
    where: str


@dataclass(frozen=True)
class _Built:
    key: str
    db: Database
    as_of: datetime
    layer: Source


class StatusLayers:
    def __init__(
        self,
        *,
        status_file: Path,
        repo_dir: Path,
        data_dir: Path,
        owner: Callable[[], Awaitable[StatusOwner | None]],
    ) -> None:
        """``owner``: the account and ledger the file belongs to, if known."""
        self.status_file = status_file
        self.repo_dir = repo_dir
        self.data_dir = data_dir
        self._owner = owner
        self._built: _Built | None = None
        self._lock = asyncio.Lock()  # one build at a time

    @property
    def serving(self) -> Source | None:
        """The layer the last read fell back to, if any."""
        return None if self._built is None else self._built.layer

    async def database(self) -> tuple[Database, Source, datetime] | None:
        """The database answering from the newest status text, or None without one."""
        found = await newest_status_text(self.status_file, self.repo_dir)
        if found is None:
            return None
        key = hashlib.sha256(f"{found.layer}\0{found.text}".encode()).hexdigest()
        async with self._lock:
            built = self._built
            if built is None or built.key != key:
                built = await self._build(found, key)
                if built is None:
                    return None
                old, self._built = self._built, built
                if old is not None:
                    await old.db.dispose()
        return built.db, built.layer, built.as_of

    async def close(self) -> None:
        if self._built is not None:
            await self._built.db.dispose()
            self._built = None

    async def _build(self, found: StatusText, key: str) -> _Built | None:
        owner = await self._owner()
        if owner is None:
            log.warning("the status file cannot be served: its ledger is not known here yet")
            return None
        path = self.data_dir / LAYER_FILE
        await asyncio.to_thread(path.unlink, missing_ok=True)
        db = Database(build_engine(f"sqlite+aiosqlite:///{path}"), layer=found.layer)
        await upgrade(db.engine)
        async with db.transaction() as session:
            now = utcnow()
            session.add(Ledger(id=owner.ledger_id, slug=owner.slug, name=owner.slug))
            await session.flush()  # no relationships tell the flush which row goes first
            session.add(
                Account(
                    id=owner.account_id,
                    email=owner.email,
                    created_at=now,
                    updated_at=now,
                    default_ledger_id=owner.ledger_id,
                )
            )
            await session.flush()
            session.add(
                Membership(ledger_id=owner.ledger_id, account_id=owner.account_id, role="owner")
            )
        read_cache = ReadCache(NoWatcher())
        importer = ImportService(
            db,
            vendors=VendorService(db, read_cache=read_cache),
            work_items=WorkItemService(db, read_cache=read_cache),
            deployments=DeploymentService(db),
            enhancements=EnhancementService(db),
            work_logs=WorkLogService(db),
        )
        document = parse_status_file(found.text, source=found.where)
        result = await importer.run(actor=owner.actor("migration"), document=document)
        if not result.committed:
            failed = [check.name for check in result.checks if not check.passed]
            log.warning("the status file %s cannot be served: %s", found.where, failed)
            await db.dispose()
            return None
        log.warning("serving reads from %s (as of %s)", found.where, found.as_of.isoformat())
        return _Built(key, db, found.as_of, found.layer)


async def newest_status_text(status_file: Path, repo_dir: Path) -> StatusText | None:
    """The newest committed version of ``status_file``, else the file on disk."""
    committed = await _committed(status_file, repo_dir)
    if committed is not None:
        return committed
    return await asyncio.to_thread(_on_disk, status_file)


def _on_disk(status_file: Path) -> StatusText | None:
    try:
        text = status_file.read_text(encoding="utf-8")
        modified = status_file.stat().st_mtime
    except (OSError, UnicodeDecodeError):
        return None
    return StatusText(Source.FILE, text, datetime.fromtimestamp(modified, UTC), str(status_file))


def _inside(status_file: Path, repo_dir: Path) -> str | None:
    """The file's path in the work tree, if it is in it."""
    try:
        return status_file.resolve().relative_to(repo_dir.resolve()).as_posix()
    except ValueError:
        return None


async def _committed(status_file: Path, repo_dir: Path) -> StatusText | None:
    relative = _inside(status_file, repo_dir)
    if relative is None:
        return None
    found = await run_git(repo_dir, "log", "-1", "--format=%H %cI", "--", relative)
    if not found or not found.strip():
        return None
    commit, committed_at = found.strip().split(" ", 1)
    text = await run_git(repo_dir, "show", f"{commit}:{relative}")
    if text is None:
        return None
    when = datetime.fromisoformat(committed_at).astimezone(UTC)
    return StatusText(Source.GIT, text, when, f"git {commit[:12]}:{relative}")
