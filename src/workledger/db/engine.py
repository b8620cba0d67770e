"""Engine per dialect: SQLite in WAL with foreign keys and a busy timeout, PostgreSQL pooled."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import event
from sqlalchemy.engine import Connection, ExceptionContext
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from workledger.config import normalize_database_url
from workledger.db.failures import meaning

if TYPE_CHECKING:  # each dialect's driver is loaded when its engine is made
    from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
    from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_connection

SQLITE_BUSY_TIMEOUT_MS = 30_000
# PostgreSQL: how long a request may wait for a pooled connection, for a new connection,
# and for one statement, so that no request waits more than ~5 s on a database that is
# frozen or unreachable (docs/reference/outage.md); then it fails as storage_unavailable.
POOL_TIMEOUT_SECONDS = 1.5
CONNECT_TIMEOUT_SECONDS = 1.5
STATEMENT_TIMEOUT_SECONDS = 2.5
WRITE = {"workledger_write": True}


def build_engine(url: str, *, pool_size: int = 20, echo: bool = False) -> AsyncEngine:
    """``pool_size``: the PostgreSQL connections kept, all of them: a connection once made
    stays open, and a transaction beyond them waits its turn (POOL_TIMEOUT_SECONDS) rather
    than open one of its own and close it after. Overflow connections, made and closed
    under a steady load above the pool, cost more than the transactions they served (new
    backend, cold statement cache): a fifth of POST's throughput at 16 writers."""
    url = normalize_database_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url, echo=echo)
    engine = create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=0,
        pool_recycle=1800,
        # Every checkout ends in COMMIT or ROLLBACK (the unit of work sees to it), so the
        # pool's own reset ROLLBACK would be a wasted round trip. No pre-ping either (a
        # third of a millisecond per transaction): a connection lost to a restart fails
        # once as storage_unavailable and the pool replaces it.
        pool_reset_on_return=None,
        pool_timeout=POOL_TIMEOUT_SECONDS,
        connect_args={
            "timeout": CONNECT_TIMEOUT_SECONDS,
            "command_timeout": STATEMENT_TIMEOUT_SECONDS,
            "server_settings": {"application_name": "workledger"},
        },
    )

    @event.listens_for(engine.sync_engine, "checkout")
    def _still_connected(
        dbapi_connection: AsyncAdapt_asyncpg_connection,
        _record: ConnectionPoolEntry,
        _proxy: PoolProxiedConnection,
    ) -> None:
        # A connection the server (or the network) cut is known to the driver without a
        # round trip: the pool replaces it now rather than failing the request on it, and
        # a database that refuses new connections is found before any work begins.
        if dbapi_connection.driver_connection.is_closed():
            raise DisconnectionError("the pooled connection was closed")

    @event.listens_for(engine.sync_engine, "handle_error")
    def _gone(context: ExceptionContext) -> None:
        # A connection that timed out or failed is cut at once and replaced: a ROLLBACK,
        # or the driver's polite close, to a frozen server would wait out more timeouts.
        error = context.sqlalchemy_exception or context.original_exception
        if error is None or meaning(error) != "unavailable":
            return
        context.is_disconnect = True
        pooled = getattr(context.connection, "connection", None)
        driver = getattr(pooled, "driver_connection", None)
        if driver is not None:
            driver.terminate()

    return engine


def _sqlite_engine(url: str, *, echo: bool) -> AsyncEngine:
    database = url.split(":///", 1)[1] if ":///" in url else ""
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        url, echo=echo, connect_args={"timeout": 30}, pool_reset_on_return=None
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(
        dbapi_connection: AsyncAdapt_aiosqlite_connection, _record: ConnectionPoolEntry
    ) -> None:
        # SQLAlchemy, not the driver, emits BEGIN: see _on_begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock up front so that a read-then-write transaction
        # waits its turn instead of failing with SQLITE_BUSY at its first write.
        writes = conn.get_execution_options().get("workledger_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")

    return engine
