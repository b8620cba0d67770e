"""A token that changes whenever any transaction commits, read in one round trip.

Read caches compare it before answering: an unchanged token proves nothing was committed
since the cached value was loaded — by this process or any other — so a cached answer is
exactly what the database would say. SQLite reports commits by other connections through
``PRAGMA data_version``; PostgreSQL's ``pg_current_snapshot()`` changes when any
transaction that wrote something completes.

The same statement reads the credentials' version (``credential_changes``, moved by
triggers whenever an account or an API token changes): what a bearer token resolves to
stays cached across commits that touch neither.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Generic, NamedTuple, Protocol, TypeVar

import aiosqlite
from sqlalchemy.engine import make_url

from workledger.db.engine import CONNECT_TIMEOUT_SECONDS

if TYPE_CHECKING:  # imported by the PostgreSQL watcher when made: SQLite never loads it
    import asyncpg

# The token is one trivial statement: a database slower than this to answer it is in
# trouble, and reads do not wait on the read cache for it.
WATCH_TIMEOUT_SECONDS = 0.5
QUIET_AFTER_FAILURE = 1.0

log = logging.getLogger(__name__)
C = TypeVar("C")

_CREDENTIALS = "(SELECT version FROM credential_changes WHERE id = 1)"
SQLITE_TOKENS = f"SELECT (SELECT data_version FROM pragma_data_version()), {_CREDENTIALS}"
POSTGRES_TOKENS = f"SELECT pg_current_snapshot()::text, {_CREDENTIALS}"


def _tokens(data: object, credentials: object) -> Tokens:
    return Tokens(str(data), None if credentials is None else str(credentials))


class Tokens(NamedTuple):
    data: str  # moves with every commit
    credentials: str | None  # moves with changes to accounts and API tokens; None: unknown


class ChangeWatcher(Protocol):
    async def token(self) -> str | None:
        """The current token, or None when it cannot be told (then nothing is cached)."""

    async def tokens(self) -> Tokens | None:
        """Both tokens, read together; None when they cannot be told."""

    async def close(self) -> None: ...


class _DedicatedConnectionWatcher(ABC, Generic[C]):
    """Reads the token on a connection of its own, opened on first use and reopened after
    a failure; a failure means "cannot tell" (None), so reads fall through to the database."""

    errors: tuple[type[BaseException], ...] = (OSError,)

    def __init__(self) -> None:
        self._conn: C | None = None
        self._lock = asyncio.Lock()  # one statement at a time on the connection
        self._failed_at: float | None = None
        # The read under way, and the one that starts when it ends.
        self._reading: asyncio.Task[Tokens | None] | None = None
        self._next: asyncio.Task[Tokens | None] | None = None

    async def token(self) -> str | None:
        found = await self.tokens()
        return None if found is None else found.data

    async def tokens(self) -> Tokens | None:
        """Callers share reads: a caller joins the next read to start, never one already
        under way, which may have begun before a commit the caller has seen."""
        if self._next is None:
            self._next = asyncio.get_running_loop().create_task(self._read_next(self._reading))
        return await asyncio.shield(self._next)

    async def _read_next(self, after: asyncio.Task[Tokens | None] | None) -> Tokens | None:
        if after is not None:
            await asyncio.wait([after])
        self._reading, self._next = self._next, None
        try:
            return await self._read_now()
        finally:
            if self._reading is asyncio.current_task():
                self._reading = None

    async def _read_now(self) -> Tokens | None:
        async with self._lock:
            # After a failure the readers queued behind it, and those of the next second,
            # go straight to the database rather than each wait for another failure.
            failed_at = self._failed_at
            if failed_at is not None and time.monotonic() - failed_at < QUIET_AFTER_FAILURE:
                return None
            try:
                if self._conn is None:
                    self._conn = await self._open()
                token = await self._read(self._conn)
            except self.errors:
                if failed_at is None:
                    log.warning(
                        "change watcher: the database did not answer; reads bypass the read cache"
                    )
                self._failed_at = time.monotonic()
                await self._drop()
                return None
            self._failed_at = None
            return token

    async def close(self) -> None:
        pending = [task for task in (self._reading, self._next) if task is not None]
        if pending:  # they would open the connection again
            await asyncio.wait(pending)
        async with self._lock:
            await self._drop()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(*self.errors):
                await self._close(conn)

    @abstractmethod
    async def _open(self) -> C: ...

    @abstractmethod
    async def _read(self, conn: C) -> Tokens: ...

    @abstractmethod
    async def _close(self, conn: C) -> None: ...


class SQLiteChangeWatcher(_DedicatedConnectionWatcher[aiosqlite.Connection]):
    """``PRAGMA data_version`` changes when another connection commits to the file."""

    errors = (sqlite3.Error, OSError, ValueError)

    def __init__(self, path: str) -> None:
        super().__init__()
        self._path = path

    async def _open(self) -> aiosqlite.Connection:
        return await aiosqlite.connect(self._path)

    async def _read(self, conn: aiosqlite.Connection) -> Tokens:
        rows = list(await conn.execute_fetchall(SQLITE_TOKENS))
        return _tokens(*rows[0])

    async def _close(self, conn: aiosqlite.Connection) -> None:
        await conn.close()


class PostgresChangeWatcher(_DedicatedConnectionWatcher["asyncpg.Connection"]):
    """``pg_current_snapshot()`` changes when any transaction that wrote completes."""

    def __init__(self, dsn: str) -> None:
        import asyncpg

        super().__init__()
        self._dsn = dsn
        self.errors = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)

    async def _open(self) -> asyncpg.Connection:
        import asyncpg

        return await asyncpg.connect(
            self._dsn,
            timeout=CONNECT_TIMEOUT_SECONDS,
            server_settings={"application_name": "workledger-watch"},
        )

    async def _read(self, conn: asyncpg.Connection) -> Tokens:
        if conn.is_closed():
            raise OSError("watch connection closed")
        row = await conn.fetchrow(POSTGRES_TOKENS, timeout=WATCH_TIMEOUT_SECONDS)
        assert row is not None
        return _tokens(*row)

    async def _close(self, conn: asyncpg.Connection) -> None:
        conn.terminate()


class NoWatcher:
    """For databases no other connection can see (in-memory SQLite): the read cache
    keeps nothing."""

    async def token(self) -> str | None:
        return None

    async def tokens(self) -> Tokens | None:
        return None

    async def close(self) -> None:
        return None


def build_change_watcher(url: str) -> ChangeWatcher:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if not database or database == ":memory:" or "mode=memory" in str(parsed.query):
            return NoWatcher()
        return SQLiteChangeWatcher(database)
    dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    return PostgresChangeWatcher(dsn)
