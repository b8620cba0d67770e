"""Layer 2 of the outage path: a SQLite copy of the PostgreSQL database, in the data directory.

It has the same schema (the same migrations) and is brought up to consistent PostgreSQL
snapshots by a helper process (copier.py): whole at first, then only what changed since
the copy before (mirror_copy.py). It serves reads, and takes journaled writes, while its
last copy is younger than ``WORKLEDGER_CACHE_TTL_SECONDS`` (the setting's name, and the
``cache`` clients are told it served, keep the mirror's older name). It is a copy: deleting
the file loses nothing (the journal, which is not, lives in a file of its own)."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from workledger.db.engine import WRITE, build_engine
from workledger.db.types import utcnow
from workledger.fallback.copier import Copier
from workledger.fallback.mirror_copy import SYNC_STATE, Copied
from workledger.models import Account, Ledger
from workledger.schemas.common import Actor

log = logging.getLogger(__name__)

MIRROR_FILE = "mirror.sqlite3"


class Mirror:
    def __init__(self, path: Path, *, ttl_seconds: int) -> None:
        self.path = path
        self.engine: AsyncEngine = build_engine(f"sqlite+aiosqlite:///{path}")
        self.ttl = timedelta(seconds=ttl_seconds)
        # When the newest copy was taken (the data matched the database then), if any.
        self.synced_at: datetime | None = None
        # The CPU seconds the last copy took: the sync paces itself by them.
        self.last_copy_seconds = 0.0
        self._copier = Copier()
        # Where the next copy may start (mirror_copy.py); None: it copies everything.
        self._since: int | None = None

    async def open(self) -> None:
        """Bring the file's schema to head and read when it was last synced (a process
        that restarts during an outage serves the copy its predecessor made)."""
        from workledger.db.migrate import upgrade

        log.info(
            "the local mirror %s (a copy that answers reads while PostgreSQL is away): "
            "bringing its schema up to date",
            self.path,
        )
        await upgrade(self.engine, quiet=True)
        async with self.engine.begin() as conn:
            await conn.run_sync(SYNC_STATE.create, checkfirst=True)
            self.synced_at = await conn.scalar(select(SYNC_STATE.c.synced_at))

    def fresh(self) -> bool:
        return self.synced_at is not None and utcnow() - self.synced_at < self.ttl

    async def copy_from(self, primary_url: str, *, whole: bool = False) -> Copied:
        """Bring the copy up to one snapshot of the database at ``primary_url``, in the
        copier's process (copier.py): only what changed since the last copy, unless
        ``whole`` or the mirror took writes of its own since (``diverged``). Readers of the
        mirror see the old copy until the new one commits."""
        started = utcnow()
        since = None if whole else self._since
        copied, self.last_copy_seconds = await self._copier.copy(
            primary_url, self.path, started, since=since
        )
        self._since = copied.since
        self.synced_at = started
        return copied

    def diverged(self) -> None:
        """The mirror took writes of its own (the journal's): the next copy is whole."""
        self._since = None

    async def status_owner(self, email: str, ledger: str | None) -> StatusOwner | None:
        """Whose the status file is, in the copy however old it is: the account ``email``
        and its ledger ``ledger`` (a slug; ``None``: its default ledger)."""
        async with self.engine.connect() as conn:
            account = (
                await conn.execute(
                    select(Account.id, Account.default_ledger_id).where(Account.email == email)
                )
            ).first()
            if account is None:
                return None
            which = Ledger.slug == ledger if ledger else Ledger.id == account.default_ledger_id
            found = (await conn.execute(select(Ledger.id, Ledger.slug).where(which))).first()
        if found is None:
            return None
        return StatusOwner(account.id, email, found.id, found.slug)

    async def confirm(self, at: datetime) -> None:
        """The database was seen unchanged since the last copy at ``at``."""
        async with self.engine.execution_options(**WRITE).begin() as conn:
            await conn.execute(update(SYNC_STATE).values(synced_at=at))
        self.synced_at = at

    async def dispose(self) -> None:
        await self._copier.close()
        await self.engine.dispose()


class StatusOwner(NamedTuple):
    """The account and the ledger the status file is of."""

    account_id: uuid.UUID
    email: str
    ledger_id: uuid.UUID
    slug: str

    def actor(self, client: str) -> Actor:
        return Actor(
            ledger_id=self.ledger_id,
            client=client,
            account_id=self.account_id,
            account=self.email,
            ledger=self.slug,
        )
