"""A token that changes whenever any transaction commits, read in one round trip.

Read caches compare it before answering: an unchanged token proves nothing was committed
since the cached value was loaded — by this process or any other — so a cached answer is
exactly what the database would say. SQLite reports commits by other connections through
``PRAGMA data_version``; PostgreSQL's ``pg_current_snapshot()`` changes when any
transaction that wrote something completes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from typing import Protocol

import aiosqlite
import asyncpg
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)


class ChangeWatcher(Protocol):
    async def token(self) -> str | None:
        """The current token, or None when it cannot be told (then nothing is cached)."""

    async def close(self) -> None: ...


class SQLiteChangeWatcher:
    def __init__(self, path: str) -> None:
        self._path = path
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def token(self) -> str | None:
        async with self._lock:
            try:
                if self._conn is None:
                    self._conn = await aiosqlite.connect(self._path)
                rows = list(await self._conn.execute_fetchall("PRAGMA data_version"))
                return str(rows[0][0])
            except (sqlite3.Error, OSError, ValueError):
                log.warning("change watcher: SQLite did not answer; reads bypass the cache")
                await self._drop()
                return None

    async def close(self) -> None:
        async with self._lock:
            await self._drop()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(sqlite3.Error, ValueError):
                await conn.close()


class PostgresChangeWatcher:
    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._conn: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()

    async def token(self) -> str | None:
        async with self._lock:
            try:
                if self._conn is None or self._conn.is_closed():
                    self._conn = await asyncpg.connect(
                        self._dsn, server_settings={"application_name": "workledger-watch"}
                    )
                return str(await self._conn.fetchval("SELECT pg_current_snapshot()::text"))
            except (asyncpg.PostgresError, OSError, asyncpg.InterfaceError):
                log.warning("change watcher: PostgreSQL did not answer; reads bypass the cache")
                await self._drop()
                return None

    async def close(self) -> None:
        async with self._lock:
            await self._drop()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            conn.terminate()


class NoWatcher:
    """For databases no other connection can see (in-memory SQLite): never cache."""

    async def token(self) -> str | None:
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
