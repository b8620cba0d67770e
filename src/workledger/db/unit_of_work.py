"""The one transaction seam: services open a unit of work; repositories only flush."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from workledger.db.dialect import Dialect, dialect_named
from workledger.db.engine import WRITE
from workledger.db.failures import meaning
from workledger.errors import Conflict, StorageUnavailable

log = logging.getLogger(__name__)


class Database:
    """Owns the engine and hands out sessions, one transaction each."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect: Dialect = dialect_named(engine.dialect.name)
        # Repositories find the dialect in their session's info.
        info = {"dialect": self.dialect}
        self._reads = async_sessionmaker(engine, expire_on_commit=False, autoflush=False, info=info)
        self._writes = async_sessionmaker(
            engine.execution_options(**WRITE), expire_on_commit=False, autoflush=False, info=info
        )
        # Whether the last unit of work found the database away: the change either way is
        # logged once, not per request.
        self.away = False
        # The write transaction this task is inside of, if any (see ``transaction``).
        self._outer: ContextVar[AsyncSession | None] = ContextVar(
            f"workledger_transaction_{id(self)}", default=None
        )

    @property
    def in_transaction(self) -> bool:
        return self._outer.get() is not None

    @asynccontextmanager
    async def transaction(self, *, write: bool = True) -> AsyncIterator[AsyncSession]:
        """Commit on success, roll back on any error; a lost database is StorageUnavailable.

        Inside another write transaction of the same task, a unit of work joins it: a
        write runs in a savepoint (its failure undoes only itself), and everything
        commits or rolls back with the outer transaction. That is how an import makes
        hundreds of service calls one all-or-nothing change."""
        outer = self._outer.get()
        if outer is not None:
            if not write:
                yield outer
                return
            async with outer.begin_nested():
                yield outer
            return
        factory = self._writes if write else self._reads
        try:
            async with factory() as session, session.begin():
                token = self._outer.set(session) if write else None
                try:
                    yield session
                finally:
                    if token is not None:
                        self._outer.reset(token)
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            found = meaning(exc)
            if found == "collision":
                raise Conflict(
                    "a concurrent change to the same records collided with this one; retry"
                ) from exc
            if found == "unavailable":
                self._went_away(exc)
                raise StorageUnavailable("the database is unavailable; retry shortly") from exc
            raise
        if self.away:
            self.away = False
            log.warning("the %s database is back", self.dialect.name)

    def _went_away(self, exc: BaseException) -> None:
        if not self.away:
            self.away = True
            log.warning(
                "the %s database is away (%s): answering storage_unavailable until it is back",
                self.dialect.name,
                type(exc).__name__,
            )

    async def dispose(self) -> None:
        await self.engine.dispose()
