"""Layer 2 of the outage path: a SQLite copy of the PostgreSQL database, in the data directory.

It has the same schema (the same migrations) and is refreshed by copying every table from
one consistent PostgreSQL snapshot. It serves reads, and takes journaled writes, while
its last copy is younger than ``WORKLEDGER_CACHE_TTL_SECONDS`` (the setting's name, and
the ``cache`` clients are told it served, keep the mirror's older name). It is a copy:
deleting the file loses nothing (the journal, which is not, lives in a file of its own)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple, TypeVar

from sqlalchemy import Column, Integer, MetaData, Table, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from workledger.db.engine import WRITE, build_engine
from workledger.db.types import UTCDateTime, utcnow
from workledger.models import Account, Base, Ledger
from workledger.schemas.common import Actor

log = logging.getLogger(__name__)
T = TypeVar("T")

MIRROR_FILE = "mirror.sqlite3"
# Rows read, and written, per step of a copy: few statements, bounded memory.
COPY_BATCH = 1000
# After each step a copy pauses this many times as long as the step took: the thread
# that copies shares the interpreter with the requests, which would otherwise run at half
# speed for the whole copy (a tail of slow answers under a stream of writes).
COPY_YIELD = 3.0

# The mirror's own bookkeeping, beside the copied tables (not part of the schema).
_state = Table(
    "workledger_mirror",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("synced_at", UTCDateTime, nullable=False),
)


class Mirror:
    def __init__(self, path: Path, *, ttl_seconds: int) -> None:
        self.path = path
        self.engine: AsyncEngine = build_engine(f"sqlite+aiosqlite:///{path}")
        self.ttl = timedelta(seconds=ttl_seconds)
        # When the newest copy was taken (the data matched the database then), if any.
        self.synced_at: datetime | None = None
        # How long the last copy took, in seconds: the sync paces itself by it.
        self.last_copy_seconds = 0.0

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
            await conn.run_sync(_state.create, checkfirst=True)
            self.synced_at = await conn.scalar(select(_state.c.synced_at))

    def fresh(self) -> bool:
        return self.synced_at is not None and utcnow() - self.synced_at < self.ttl

    async def copy_from(self, primary_url: str) -> None:
        """Replace every table with its rows in one snapshot of the database at
        ``primary_url``. Readers of the mirror see the old copy until the new one commits.

        The copy runs on a thread of its own, with its own event loop and connections:
        turning rows into values and back is Python work that would otherwise hold up
        every request of this process for the length of a batch. It works in steps and
        pauses after each (``COPY_YIELD``); ``last_copy_seconds`` is its working time."""
        started, steps = utcnow(), _Steps()
        await asyncio.to_thread(asyncio.run, self._copy(primary_url, started, steps))
        self.synced_at = started
        self.last_copy_seconds = steps.worked

    async def _copy(self, primary_url: str, started: datetime, steps: _Steps) -> None:
        """Read every table first, then write them: the mirror's write lock, which
        journaled writes need too, is never held while the database is slow to answer."""
        primary = build_engine(primary_url, pool_size=1)
        mirror = build_engine(f"sqlite+aiosqlite:///{self.path}")
        tables = [t for t in Base.metadata.sorted_tables if t.info.get("mirrored", True)]
        try:
            async with primary.connect() as source:
                source = await source.execution_options(isolation_level="REPEATABLE READ")
                async with source.begin():
                    rows: list[list[dict[str, object]]] = []
                    for table in tables:
                        read = await source.stream(select(table))
                        rows.append([])
                        async for batch in steps.each(read.mappings().partitions(COPY_BATCH)):
                            rows[-1].extend(dict(row) for row in batch)
            async with mirror.execution_options(**WRITE).begin() as target:
                await target.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
                for table in reversed(tables):
                    await target.execute(delete(table))
                for table, copied in zip(tables, rows, strict=True):
                    for start in range(0, len(copied), COPY_BATCH):
                        async with steps.step():
                            await target.execute(insert(table), copied[start : start + COPY_BATCH])
                await target.execute(delete(_state))
                await target.execute(insert(_state), {"id": 1, "synced_at": started})
        finally:
            await primary.dispose()
            await mirror.dispose()

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
            await conn.execute(update(_state).values(synced_at=at))
        self.synced_at = at

    async def dispose(self) -> None:
        await self.engine.dispose()


class _Steps:
    """A copy's steps: each timed, and followed by a pause ``COPY_YIELD`` times as long
    (the copy's own event loop sleeps, so its thread leaves the interpreter to others)."""

    def __init__(self) -> None:
        self.worked = 0.0

    @contextlib.asynccontextmanager
    async def step(self) -> AsyncIterator[None]:
        began = time.perf_counter()
        yield
        took = time.perf_counter() - began
        self.worked += took
        await asyncio.sleep(took * COPY_YIELD)

    async def each(self, batches: AsyncIterator[T]) -> AsyncIterator[T]:
        """``batches``, each fetched and used as one step."""
        while True:
            async with self.step():
                batch = await anext(batches, None)
                if batch is None:
                    return
                yield batch


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
