"""The one transaction seam: services open a unit of work; repositories only flush."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from workledger.db.dialect import Dialect, dialect_named
from workledger.db.engine import WRITE
from workledger.db.failures import meaning
from workledger.db.source import Source, note
from workledger.errors import Conflict, StorageUnavailable, StorageUnreachable

if TYPE_CHECKING:  # a SQLite ledger never loads the outage machinery
    from workledger.db.checkpoint import WalCheckpointer
    from workledger.db.journal import Journal
    from workledger.db.mirror import Mirror

log = logging.getLogger(__name__)


Layer = Literal["auto", "database", "cache"]
# How long a journaled write waits for the mirror to catch up before it is refused (503).
CATCH_UP_WAIT_SECONDS = 2.0
_DRIVER_ERRORS = (SQLAlchemyError, OSError, TimeoutError)


class _Unreachable(Exception):
    """No connection: raised from the driver's error, before anything was sent."""


class ReadOnlyLayers(Protocol):
    """Layers 3 and 4 (the status file from git, or on disk), as a database to read."""

    async def database(self) -> tuple[Database, Source, datetime] | None: ...

    async def close(self) -> None: ...

    @property
    def serving(self) -> Source | None: ...


class Database:
    """Owns the engine and hands out sessions, one transaction each.

    Given a mirror and a journal (PostgreSQL only), reads fall back to the mirror while the
    database is away and the mirror is fresh, then to the status file; journaled writes
    are applied to the mirror (CONTRACT §9). ``layer`` names a read-only fallback layer
    this database is (its sessions say so in ``info["layer"]``)."""

    def __init__(self, engine: AsyncEngine, *, layer: Source | None = None) -> None:
        self.engine = engine
        self.dialect: Dialect = dialect_named(engine.dialect.name)
        self.mirror: Mirror | None = None
        self.journal: Journal | None = None
        self.status_layers: ReadOnlyLayers | None = None
        # Writes this process made on the database that the mirror may not hold yet, and
        # what applies them to it (see services/journaling.py).
        self.unmirrored: list[Any] = []
        self.catch_up: Callable[[], Coroutine[Any, Any, None]] | None = None
        self._catching_up: asyncio.Task[None] | None = None
        self._on_mirror: Database | None = None
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
        # Whether the last unit of work found the database away: the change either way is
        # logged once, not per request.
        self.away = False
        # The write transaction this task is inside of, if any (see ``transaction``).
        self._outer: ContextVar[AsyncSession | None] = ContextVar(
            f"workledger_transaction_{id(self)}", default=None
        )
        # SQLite has one writer per file. Left to the file's lock, waiting writers sleep
        # and retry in its busy handler, and the unlucky ones wait seconds; queued here,
        # the process's writers take their turns first come, first served.
        self._write_turns: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None
        self._checkpoints = _background_checkpoints(engine) if layer is None else None

    def fall_back_on(
        self, mirror: Mirror, journal: Journal, status_layers: ReadOnlyLayers | None = None
    ) -> None:
        """Serve from ``mirror`` (then ``status_layers``) and write to ``journal`` while
        the database is away."""
        self.mirror, self.journal = mirror, journal
        self.status_layers = status_layers
        self._on_mirror = Database(mirror.engine, layer="cache")

    @property
    def in_transaction(self) -> bool:
        return self._outer.get() is not None

    @property
    def degraded(self) -> bool:
        """The database was away at the last try, or journaled writes still wait for it."""
        return self.away or (self.journal is not None and self.journal.pending > 0)

    @property
    def mirror_serves(self) -> bool:
        return self._on_mirror is not None and self.mirror is not None and self.mirror.fresh()

    @property
    def journals(self) -> bool:
        """Whether a write made now goes to the journal (and the mirror)."""
        return self.journal is not None and self.degraded and self.mirror_serves

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
        if layer == "cache":
            fallback = self._mirror_layer()
        elif layer == "auto" and not write and self.degraded:
            fallback = await self._read_fallback()
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
                self.went_away(cause)
                if not write and layer == "auto":
                    fallback = await self._read_fallback()
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
                self.went_away(exc)
                raise StorageUnavailable("the database is unavailable; retry shortly") from exc
            raise
        note("database")
        if self.away:
            self.away = False
            log.warning("the %s database is back", self.dialect.name)

    def _mirror_layer(self) -> _Fallback:
        assert self._on_mirror is not None
        assert self.mirror is not None
        return _Fallback(self._on_mirror, "cache", self.mirror.synced_at)

    async def mirror_caught_up(self, *, wait: bool = True) -> None:
        """Bring the mirror up to this process's own writes before it serves: on a task
        of its own, which a journaled write waits for (its version must be the true
        one; after CATCH_UP_WAIT_SECONDS it is refused as storage_unavailable) and a read
        does not (it says how old its data is anyway)."""
        if self.catch_up is None:
            return
        if self.unmirrored and (self._catching_up is None or self._catching_up.done()):
            self._catching_up = asyncio.create_task(self._catch_up(), name="workledger-catch-up")
        if wait and self._catching_up is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._catching_up), CATCH_UP_WAIT_SECONDS)
            except TimeoutError:
                # Bounded like every wait on storage; the write is not made against a
                # version the mirror may not have yet.
                raise StorageUnavailable(
                    "the local copy is still catching up with the database; retry shortly"
                ) from None

    async def _catch_up(self) -> None:
        assert self.catch_up is not None
        try:
            await self.catch_up()
        except Exception:  # the mirror is a cache: it serves what it has
            log.exception("the mirror could not catch up with this process's writes")

    async def _read_fallback(self) -> _Fallback | None:
        """The first layer after the database that can answer a read now."""
        if self.mirror_serves:
            await self.mirror_caught_up(wait=False)
            return self._mirror_layer()
        if self.status_layers is not None:
            found = await self.status_layers.database()
            if found is not None:
                return _Fallback(*found)
        return None

    @asynccontextmanager
    async def _fallback_transaction(
        self, fallback: _Fallback, *, write: bool
    ) -> AsyncIterator[AsyncSession]:
        async with fallback.db.transaction(write=write) as session:
            with self._joinable(session, write=write):  # a journaled write's calls join it
                yield session
        note(fallback.source, as_of=fallback.as_of)

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

    def went_away(self, exc: BaseException) -> None:
        if not self.away:
            self.away = True
            log.warning(
                "the %s database is away (%s): answering storage_unavailable until it is back",
                self.dialect.name,
                type(exc).__name__,
            )

    async def dispose(self) -> None:
        if self._checkpoints is not None:
            await self._checkpoints.close()
        await self.engine.dispose()
        if self.mirror is not None:
            await self.mirror.dispose()
        if self.journal is not None:
            await self.journal.close()
        if self.status_layers is not None:
            await self.status_layers.close()


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


@dataclass(frozen=True)
class _Fallback:
    db: Database
    source: Source
    as_of: datetime | None
