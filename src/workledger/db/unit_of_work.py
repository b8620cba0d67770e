"""The one transaction seam: services open a unit of work; repositories only flush."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from workledger.db.dialect import Dialect, dialect_named
from workledger.db.engine import WRITE
from workledger.db.failures import meaning
from workledger.errors import Conflict, StorageUnavailable, StorageUnreachable
from workledger.fallback.outage import Layer as FallbackLayer
from workledger.fallback.outage import Outage
from workledger.fallback.source import Source, note

if TYPE_CHECKING:  # a SQLite ledger never loads the checkpointer's machinery
    from workledger.db.checkpoint import WalCheckpointer


Layer = Literal["auto", "database", "cache"]
_DRIVER_ERRORS = (SQLAlchemyError, OSError, TimeoutError)


class _Unreachable(Exception):
    """No connection: raised from the driver's error, before anything was sent."""


class Database:
    """Owns the engine and hands out sessions, one transaction each.

    ``outage`` (fallback/outage.py) says where a read goes while the database is away,
    and this reports to it what each transaction met. ``layer`` names the fallback layer
    this database is, if it is one (its sessions say so in ``info["layer"]``)."""

    def __init__(self, engine: AsyncEngine, *, layer: Source | None = None) -> None:
        self.engine = engine
        self.dialect: Dialect = dialect_named(engine.dialect.name)
        self.outage = Outage(self.dialect.name)
        # Repositories find the dialect in their session's info.
        info: dict[str, object] = {"dialect": self.dialect, "layer": layer}
        self._reads = async_sessionmaker(engine, expire_on_commit=False, autoflush=False, info=info)
        self._writes = async_sessionmaker(
            engine.execution_options(**WRITE), expire_on_commit=False, autoflush=False, info=info
        )
        self._statements = self._reads
        if self.dialect.autocommit_statements:
            self._statements = async_sessionmaker(
                engine.execution_options(isolation_level="AUTOCOMMIT"),
                expire_on_commit=False,
                autoflush=False,
                info=info,
            )
        # Write transactions committed on the database by this process.
        self.commits = 0
        # The write transaction this task is inside of, if any (see ``transaction``).
        self._outer: ContextVar[AsyncSession | None] = ContextVar(
            f"workledger_transaction_{id(self)}", default=None
        )
        # SQLite has one writer per file. Left to the file's lock, waiting writers sleep
        # and retry in its busy handler, and the unlucky ones wait seconds; queued here,
        # the process's writers take their turns first come, first served.
        self._write_turns: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None
        self._checkpoints = _background_checkpoints(engine) if layer is None else None

    @property
    def in_transaction(self) -> bool:
        return self._outer.get() is not None

    @asynccontextmanager
    async def transaction(
        self, *, write: bool = True, layer: Layer = "auto", single_statement: bool = False
    ) -> AsyncIterator[AsyncSession]:
        """Commit on success, roll back on any error; a lost database is StorageUnavailable.

        Inside another write transaction of the same task, a unit of work joins it: a
        write runs in a savepoint (its failure undoes only itself), and everything
        commits or rolls back with the outer transaction. That is how an import makes
        hundreds of service calls one all-or-nothing change, and how a journaled write
        or its replay makes one.

        ``layer``: ``auto`` reads from a fallback layer while degraded (and when the
        database cannot be reached); ``database`` and ``cache`` choose.

        ``single_statement``: a read that runs one statement, which is consistent by
        itself: where the dialect can, it runs without BEGIN and COMMIT."""
        outer = self._outer.get()
        if outer is not None:
            if not write:
                yield outer
                return
            async with outer.begin_nested():
                yield outer
            return
        fallback = None
        if write and layer == "auto" and self.outage.refuses_writes:
            raise StorageUnreachable("the database is unavailable; retry shortly")
        if layer == "cache":
            fallback = self.outage.mirror_layer()
        elif layer == "auto" and not write and self.outage.degraded:
            fallback = await self.outage.read_layer()
        if fallback is None:
            try:
                async with self._primary_transaction(
                    write=write, single_statement=single_statement and not write
                ) as session:
                    yield session
                return
            except _Unreachable as failed:
                cause = failed.__cause__
                assert cause is not None
                self.outage.went_away(cause)
                if not write and layer == "auto":
                    fallback = await self.outage.read_layer()
                if fallback is None:
                    raise StorageUnreachable(
                        "the database is unavailable; retry shortly"
                    ) from cause
        async with self._fallback_transaction(fallback, write=write) as session:
            yield session

    @asynccontextmanager
    async def _primary_transaction(
        self, *, write: bool, single_statement: bool = False
    ) -> AsyncIterator[AsyncSession]:
        if self._checkpoints is not None:
            self._checkpoints.ensure_running()
        if not write:
            factory = self._statements if single_statement else self._reads
            async with self._transaction_on_primary(factory) as session:
                yield session
            return
        if self.dialect.single_writer:
            async with self._write_turn(), self._transaction_on_primary(self._writes) as session:
                yield session
        else:
            async with self._transaction_on_primary(self._writes) as session:
                yield session
        self.commits += 1

    def _write_turn(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._write_turns is None or self._write_turns[0] is not loop:
            self._write_turns = (loop, asyncio.Lock())
        return self._write_turns[1]

    @asynccontextmanager
    async def _transaction_on_primary(
        self, factory: async_sessionmaker[AsyncSession]
    ) -> AsyncIterator[AsyncSession]:
        write = factory is self._writes  # a write joins nested units of work to it
        try:
            async with factory() as session, session.begin():
                try:
                    # Check out a connection now: one that cannot be had is known before
                    # any work, and the work can go elsewhere.
                    await session.connection()
                except _DRIVER_ERRORS as exc:
                    if meaning(exc) != "unavailable":
                        raise
                    raise _Unreachable from exc
                with self._joinable(session, write=write):
                    yield session
        except _DRIVER_ERRORS as exc:
            found = meaning(exc)
            if found == "collision":
                raise Conflict(
                    "a concurrent change to the same records collided with this one; retry"
                ) from exc
            if found == "unavailable":
                self.outage.went_away(exc)
                raise StorageUnavailable("the database is unavailable; retry shortly") from exc
            raise
        note("database")
        self.outage.answered()

    @asynccontextmanager
    async def _fallback_transaction(
        self, fallback: FallbackLayer, *, write: bool
    ) -> AsyncIterator[AsyncSession]:
        # Noted first: a refusal read from a copy (a 404, a 503) says so too.
        note(fallback.source, as_of=fallback.as_of)
        async with fallback.db.transaction(write=write) as session:
            with self._joinable(session, write=write):  # a journaled write's calls join it
                yield session

    @contextmanager
    def _joinable(self, session: AsyncSession, *, write: bool) -> Iterator[None]:
        """Inside, the units of work of this task join ``session``'s write transaction."""
        if not write:
            yield
            return
        token = self._outer.set(session)
        try:
            yield
        finally:
            self._outer.reset(token)

    async def dispose(self) -> None:
        if self._checkpoints is not None:
            await self._checkpoints.close()
        await self.engine.dispose()
        await self.outage.close()


def _background_checkpoints(engine: AsyncEngine) -> WalCheckpointer | None:
    """For a SQLite file: its connections leave the log to a checkpointer of their own
    (see db/checkpoint.py). Fallback layers and other files keep SQLite's default."""
    url = engine.url
    path = url.database or ""
    if url.get_backend_name() != "sqlite" or path in ("", ":memory:") or url.query:
        return None
    from workledger.db.checkpoint import WalCheckpointer

    @event.listens_for(engine.sync_engine, "connect")
    def _no_checkpoint_in_commits(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    return WalCheckpointer(path)
