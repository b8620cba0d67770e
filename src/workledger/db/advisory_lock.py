"""One process of several elected by a PostgreSQL advisory lock."""

from __future__ import annotations

import contextlib
import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from workledger.db.failures import meaning
from workledger.db.unit_of_work import Database

log = logging.getLogger(__name__)


class AdvisoryLock:
    """Whether this process is the one (of those sharing a database) that does a job.

    On PostgreSQL: while it holds the advisory lock ``key``, on a connection of its own
    (the lock goes with that connection's session, so a process that dies or loses the
    database lets another take over). SQLite has one writer per file anyway: there every
    process holds it."""

    def __init__(self, db: Database, key: int) -> None:
        self.db = db
        self.key = key
        self._connection: AsyncConnection | None = None

    async def held(self) -> bool:
        if not self.db.dialect.locks:
            return True
        try:
            if self._connection is None:
                self._connection = await self.db.engine.connect()
                locked = await self._connection.scalar(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
                )
                await self._connection.commit()
                if not locked:
                    await self.release(holding=False)
                return bool(locked)
            await self._connection.execute(text("SELECT 1"))  # still our session?
            await self._connection.commit()
            return True
        except Exception as exc:
            # A database away is expected here and said in one line; anything else is a bug.
            log.warning(
                "advisory lock %#x: lost the database (%s); will try again",
                self.key,
                type(exc).__name__,
                exc_info=meaning(exc) != "unavailable",
            )
            await self.release()
            return False

    async def release(self, *, holding: bool = True) -> None:
        """Give the lock up. A connection that held it is discarded, not pooled: its
        session, and the lock with it, must end."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        with contextlib.suppress(Exception):
            if holding:
                await connection.invalidate()
            await connection.close()
