"""SQLite's write-ahead log copied back into the database file off the write path.

By default the connection whose commit makes the log pass 1,000 pages copies it back
and syncs the file inside that commit, while it holds the one write lock. With readers
busy the log cannot start over, so commit after commit pays for it, and every writer
queued behind waits (the tail of 8 writers beside 4 readers went past a second). The
serving database's connections turn that off; instead, once a second, a thread runs a
passive checkpoint on a connection of its own, which never blocks a reader or a writer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3

from sqlalchemy import event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import ConnectionPoolEntry

log = logging.getLogger(__name__)

CHECKPOINT_EVERY_SECONDS = 1.0


def background_checkpoints(engine: AsyncEngine) -> WalCheckpointer | None:
    """For a SQLite file: its connections leave the log to a checkpointer of their own.
    Other databases, and a database in memory, keep their default."""
    url = engine.url
    path = url.database or ""
    if url.get_backend_name() != "sqlite" or path in ("", ":memory:") or url.query:
        return None

    @event.listens_for(engine.sync_engine, "connect")
    def _no_checkpoint_in_commits(
        dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry
    ) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    return WalCheckpointer(path)


class WalCheckpointer:
    def __init__(self, path: str, *, every: float = CHECKPOINT_EVERY_SECONDS) -> None:
        self._path = path
        self._every = every
        self._task: asyncio.Task[None] | None = None
        self._failing = False

    def ensure_running(self) -> None:
        """Start the checkpoints on this event loop, unless they run on it already."""
        loop = asyncio.get_running_loop()
        task = self._task
        if task is None or task.done() or task.get_loop() is not loop:
            self._task = loop.create_task(self._run(), name="workledger-wal-checkpoint")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._every)
            try:
                await asyncio.to_thread(_checkpoint, self._path)
            except sqlite3.Error as exc:
                if not self._failing:
                    log.warning("the SQLite log could not be checkpointed: %s", exc)
                self._failing = True
            else:
                self._failing = False

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is None or task.done() or task.get_loop() is not asyncio.get_running_loop():
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _checkpoint(path: str) -> None:
    with contextlib.closing(sqlite3.connect(path, timeout=1)) as conn:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
