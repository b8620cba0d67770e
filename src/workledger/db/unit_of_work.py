"""The one transaction seam: services open a unit of work; repositories only flush."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from workledger.db.checkpoint import background_checkpoints
from workledger.db.dialect import Dialect, dialect_named
from workledger.db.engine import WRITE
from workledger.db.failures import meaning
from workledger.db.outer_transaction import OuterTransaction
from workledger.db.write_queue import WriteQueue
from workledger.errors import Conflict, StorageUnavailable
from workledger.fallback.outage import Outage
from workledger.fallback.provenance import Source, note
from workledger.fallback.route import Route, layer_after, layer_before

_DRIVER_ERRORS = (SQLAlchemyError, OSError, TimeoutError)


class _Unreachable(Exception):
    """No connection: raised from the driver's error, before anything was sent."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(cause)
        self.cause = cause


class Database:
    """Owns the engine and hands out sessions, one transaction each.

    ``outage`` (fallback/outage.py) says where a unit of work goes while the database is
    away (fallback/route.py), and this reports to it what each transaction met. ``layer``
    names the fallback layer this database is, if it is one (its sessions say so in
    ``info["layer"]``)."""

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
        self._alone: AsyncEngine | None = None  # statements that commit as they run
        if self.dialect.autocommit_statements:
            self._alone = engine.execution_options(isolation_level="AUTOCOMMIT")
            self._statements = async_sessionmaker(
                self._alone, expire_on_commit=False, autoflush=False, info=info
            )
        self._layer = layer
        # Write transactions committed on the database by this process.
        self.commits = 0
        self._outer = OuterTransaction(f"workledger_transaction_{id(self)}")
        self._write_queue = WriteQueue(single_writer=self.dialect.single_writer)
        # A fallback layer keeps SQLite's own checkpoints (db/checkpoint.py).
        self._checkpoints = background_checkpoints(engine) if layer is None else None

    @property
    def in_transaction(self) -> bool:
        return self._outer.session() is not None

    @property
    def runs_statements_alone(self) -> bool:
        """Whether a write may now run as statements that commit as they run (``statement``,
        or a ``single_statement`` unit of work): on a database that commits them so, outside
        another unit of work. The one test of it, for every write that would."""
        return self._alone is not None and self._layer is None and not self.in_transaction

    @asynccontextmanager
    async def statement(self) -> AsyncIterator[AsyncConnection]:
        """A connection for one write statement, which commits as it runs: no session,
        BEGIN or COMMIT, the least a write can cost. The database only (a write is never
        answered by a fallback layer); what it meets is told as a unit of work tells it.
        Only where ``runs_statements_alone``."""
        assert self._alone is not None, "no statement runs alone on this database"
        await layer_before(self.outage, write=True, route="auto")  # refused while away
        async with self._write_queue.turn():
            connection = self._alone.connect()
            try:
                async with self._reporting():
                    await self._check_out(connection.start)
                    try:
                        yield connection
                    finally:
                        await connection.close()
            except _Unreachable as failed:
                await layer_after(self.outage, failed.cause, write=True, route="auto")  # raises
        self.commits += 1

    @asynccontextmanager
    async def transaction(
        self, *, write: bool = True, layer: Route = "auto", single_statement: bool = False
    ) -> AsyncIterator[AsyncSession]:
        """Commit on success, roll back on any error; a lost database is StorageUnavailable.

        Inside another write transaction of the same task, a unit of work joins it
        (db/outer_transaction.py).

        ``layer``: which layer answers (fallback/route.py): ``auto`` reads from a fallback
        layer while degraded (and when the database cannot be reached).

        ``single_statement``: a unit of work that runs one statement, which is consistent
        (and, for a write, atomic) by itself: where the dialect can, it runs without BEGIN
        and COMMIT."""
        outer = self._outer.session()
        if outer is not None:
            async with self._outer.join(outer, write=write) as session:
                yield session
            return
        fallback = await layer_before(self.outage, write=write, route=layer)
        if fallback is None:
            try:
                async with self._on_database(
                    write=write, single_statement=single_statement
                ) as session:
                    yield session
                return
            except _Unreachable as failed:
                fallback = await layer_after(self.outage, failed.cause, write=write, route=layer)
        # Noted first: a refusal read from a copy (a 404, a 503) says so too.
        note(fallback.source, as_of=fallback.as_of)
        async with fallback.db.transaction(write=write) as session:
            with self._outer.joinable(session, write=write):  # a journaled write's calls join it
                yield session

    @asynccontextmanager
    async def _on_database(
        self, *, write: bool, single_statement: bool
    ) -> AsyncIterator[AsyncSession]:
        if self._checkpoints is not None:
            self._checkpoints.ensure_running()
        if not write:
            factory = self._statements if single_statement else self._reads
            async with self._session(factory, write=False) as session:
                yield session
            return
        alone = single_statement and self.dialect.autocommit_statements
        factory = self._statements if alone else self._writes
        async with self._write_queue.turn(), self._session(factory, write=True) as session:
            yield session
        self.commits += 1

    @asynccontextmanager
    async def _session(
        self, factory: async_sessionmaker[AsyncSession], *, write: bool
    ) -> AsyncIterator[AsyncSession]:
        """One transaction on the database; what it met is told to the outage state."""
        async with self._reporting(), factory() as session, session.begin():
            await self._check_out(session.connection)
            with self._outer.joinable(session, write=write):
                yield session

    @asynccontextmanager
    async def _reporting(self) -> AsyncIterator[None]:
        """Tell the outage state what the work on the database met; a driver's error
        becomes the error the caller is told."""
        try:
            yield
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
        note(Source.DATABASE)
        self.outage.answered()

    async def _check_out(self, connect: Callable[[], Awaitable[object]]) -> None:
        """Take a connection now (``connect``): one that cannot be had is known before any
        work, and the work can go elsewhere. A pool with none free within its timeout
        while the database answered other units of work meanwhile is busy, not away: the
        wait goes on, in turn. Only a database that answered nothing that long is held to
        be away."""
        while True:
            answers = self.outage.answers
            try:
                await connect()
                return
            except _DRIVER_ERRORS as exc:
                busy = isinstance(exc, PoolTimeout) and self.outage.answers > answers
                if busy:
                    continue
                if meaning(exc) != "unavailable":
                    raise
                raise _Unreachable(exc) from exc

    async def dispose(self) -> None:
        if self._checkpoints is not None:
            await self._checkpoints.close()
        await self.engine.dispose()
        await self.outage.close()
