"""What a failing database means to a client: away (retry later), a lost race (retry now),
or a bug (neither). Each failure here is real: a file that cannot be opened, a port
nobody listens on, connections terminated by the server, a deadlock."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from workledger.db.engine import build_engine
from workledger.db.unit_of_work import Database
from workledger.errors import Conflict, StorageUnavailable, StorageUnreachable


async def scalar(db: Database, sql: str) -> object:
    async with db.transaction(write=False) as session:
        return (await session.execute(text(sql))).scalar()


async def assert_unavailable(url: str, *, before: Callable[[], object] = lambda: None) -> None:
    db = Database(build_engine(url))
    before()
    try:
        with pytest.raises(StorageUnavailable):
            await scalar(db, "SELECT 1")
    finally:
        await db.dispose()


async def test_a_sqlite_file_that_cannot_be_opened_is_unavailable(tmp_path: Path) -> None:
    # Built (its folder made), then the folder goes.
    url = f"sqlite+aiosqlite:///{tmp_path / 'gone' / 'x.db'}"
    running = set(threading.enumerate())
    await assert_unavailable(url, before=lambda: shutil.rmtree(tmp_path / "gone"))
    # aiosqlite stops the worker thread of a connection that failed to open without
    # waiting for it: wait here, while this test's event loop can still hear it finish
    # (a server's loop outlives it; a test's closes at once, and the thread then fails).
    started = [thread for thread in threading.enumerate() if thread not in running]
    await asyncio.to_thread(lambda: [thread.join(timeout=5) for thread in started])
    assert not any(thread.is_alive() for thread in started)


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_a_postgresql_port_nobody_listens_on_is_unavailable(database_url: str) -> None:
    await assert_unavailable(make_url(database_url).set(port=1).render_as_string(False))


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_connections_terminated_by_the_server_are_replaced(database_url: str) -> None:
    """A pooled connection the server cut is replaced at checkout once the driver has seen
    it go; a use that comes first fails as storage_unavailable, and only that one."""
    db = Database(build_engine(database_url, pool_size=2))
    admin = Database(build_engine(database_url, pool_size=1))
    try:
        pid = await scalar(db, "SELECT pg_backend_pid()")  # now pooled, idle
        assert await scalar(admin, f"SELECT pg_terminate_backend({pid})") is True
        with contextlib.suppress(StorageUnavailable):
            await scalar(db, "SELECT 1")
        assert await scalar(db, "SELECT pg_backend_pid()") != pid  # connected afresh
    finally:
        await db.dispose()
        await admin.dispose()


async def alone(db: Database, sql: str) -> object:
    """``sql`` as a write that runs alone (``Database.statement``), as a create does."""
    async with db.statement() as connection:
        return (await connection.execute(text(sql))).scalar()


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_a_statement_alone_on_a_port_nobody_listens_on_never_reached_the_database(
    database_url: str,
) -> None:
    db = Database(build_engine(make_url(database_url).set(port=1).render_as_string(False)))
    try:
        with pytest.raises(StorageUnreachable):  # nothing sent: a journal may keep it
            await alone(db, "SELECT 1")
        assert db.outage.away
    finally:
        await db.dispose()


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_a_statement_alone_on_a_terminated_connection_fails_once(database_url: str) -> None:
    """As a unit of work: the use that meets the cut connection is storage_unavailable
    (it may have reached the database), the next one connects afresh and commits."""
    db = Database(build_engine(database_url, pool_size=1))
    admin = Database(build_engine(database_url, pool_size=1))
    try:
        pid = await alone(db, "SELECT pg_backend_pid()")
        assert await scalar(admin, f"SELECT pg_terminate_backend({pid})") is True
        with contextlib.suppress(StorageUnavailable):
            await alone(db, "SELECT 1")
        assert await alone(db, "SELECT pg_backend_pid()") != pid
        assert db.commits >= 2
        assert not db.outage.away
    finally:
        await db.dispose()
        await admin.dispose()


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_a_burst_larger_than_the_pool_waits_its_turn_while_the_database_answers(
    database_url: str,
) -> None:
    """Two connections, eight transactions of 0.6 s at once: the last pair waits 1.8 s
    for a connection, past the pool's timeout, while the database answers the others.
    That is a busy pool, not an outage: every transaction gets its turn."""
    db = Database(build_engine(database_url, pool_size=2))
    try:
        slept = await asyncio.gather(*(scalar(db, "SELECT pg_sleep(0.6)::text") for _ in range(8)))
        assert slept == [""] * 8
        assert not db.outage.away
    finally:
        await db.dispose()


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_a_pool_held_by_a_database_that_answers_nobody_is_an_outage(
    database_url: str,
) -> None:
    """Both connections held by statements that do not end: the third caller, which the
    database answered nothing while it waited, is told the database is unavailable."""
    db = Database(build_engine(database_url, pool_size=2))
    try:
        held = [asyncio.create_task(scalar(db, "SELECT pg_sleep(2.2)::text")) for _ in range(2)]
        await asyncio.sleep(0.2)
        with pytest.raises(StorageUnavailable):
            await scalar(db, "SELECT 1")
        assert db.outage.away
        await asyncio.gather(*held)
    finally:
        await db.dispose()


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_a_deadlock_is_a_conflict_for_one_side_only(database_url: str) -> None:
    db = Database(build_engine(database_url, pool_size=2))
    async with db.transaction() as session:
        await session.execute(text("CREATE TABLE deadlock_probe (id int PRIMARY KEY, n int)"))
        await session.execute(text("INSERT INTO deadlock_probe VALUES (1, 0), (2, 0)"))
    both_hold_one = asyncio.Barrier(2)

    async def lock_in_order(first: int, second: int) -> None:
        async with db.transaction() as session:
            update = text("UPDATE deadlock_probe SET n = n + 1 WHERE id = :id")
            await session.execute(update, {"id": first})
            await both_hold_one.wait()
            await session.execute(update, {"id": second})

    try:
        outcomes = await asyncio.gather(
            lock_in_order(1, 2), lock_in_order(2, 1), return_exceptions=True
        )
        assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "NoneType"]
        assert isinstance(next(o for o in outcomes if o is not None), Conflict)
        assert await scalar(db, "SELECT sum(n) FROM deadlock_probe") == 2  # the winner's
    finally:
        async with db.transaction() as session:
            await session.execute(text("DROP TABLE deadlock_probe"))
        await db.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_a_bad_statement_is_not_mistaken_for_an_outage(database_url: str) -> None:
    db = Database(build_engine(database_url))
    try:
        with pytest.raises(DBAPIError):  # not StorageUnavailable, not Conflict
            await scalar(db, "SELECT * FROM no_such_table")
        assert await scalar(db, "SELECT 1") == 1
    finally:
        await db.dispose()
