"""Fixtures: every test that takes ``container`` runs once on SQLite and once on PostgreSQL.

SQLite: a migrated template file, copied fresh for each test.
PostgreSQL: one database per session (``WORKLEDGER_TEST_POSTGRES_URL``, else 127.0.0.1:5432),
migrated once, every table emptied before each test, dropped at the end. When PostgreSQL
does not answer, its tests skip with a loud notice, or fail under
``WORKLEDGER_REQUIRE_POSTGRES=1``.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import secrets
import shutil
import socket
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from workledger.config import Settings, load_settings
from workledger.container import Container
from workledger.db import migrate
from workledger.db.engine import build_engine
from workledger.models import Base
from workledger.schemas.common import Actor, Role

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"

# The commands tests start reach a command server (workledger.launch) of this test process
# only, in a folder removed when it ends; the server leaves within half a minute of that.
_COMMAND_SERVERS = tempfile.mkdtemp(prefix="wl-")
os.environ["XDG_RUNTIME_DIR"] = _COMMAND_SERVERS
atexit.register(shutil.rmtree, _COMMAND_SERVERS, ignore_errors=True)
REQUIRE_POSTGRES = os.environ.get("WORKLEDGER_REQUIRE_POSTGRES") == "1"
TEST_SECRET = "test-secret-" + "x" * 40
POSTGRES_UNREACHABLE = "PostgreSQL is not reachable (set WORKLEDGER_TEST_POSTGRES_URL)"
# Whether the test database's role may skip triggers and foreign keys (see empty_tables).
_may_skip_triggers = True


def postgres_admin_url() -> str | None:
    """The server tests may create databases on, or None when nothing answers."""
    configured = os.environ.get("WORKLEDGER_TEST_POSTGRES_URL")
    url = make_url(configured or DEFAULT_POSTGRES_URL).set(drivername="postgresql+asyncpg")
    try:
        with socket.create_connection((url.host or "127.0.0.1", url.port or 5432), timeout=1):
            pass
    except OSError:
        return None
    return url.render_as_string(hide_password=False)


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _migrate(url: str) -> None:
    engine = build_engine(url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "workledger.db"
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    admin = postgres_admin_url()
    if admin is None:
        yield None
        return
    name = f"workledger_test_{uuid.uuid4().hex[:12]}"

    asyncio.run(_admin_execute(admin, f'CREATE DATABASE "{name}"'))
    # A commit need not wait for the disk (~2 ms each): what a test can see of its data is
    # the same, only a crash of the server could lose it, and then the tests fail anyway.
    asyncio.run(_admin_execute(admin, f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    try:
        asyncio.run(_migrate(url))
        yield url
    finally:
        asyncio.run(_admin_execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "sqlite":
        path = tmp_path / "workledger.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    if url is None:
        reason = POSTGRES_UNREACHABLE
        if REQUIRE_POSTGRES:
            pytest.fail(f"{reason}, and WORKLEDGER_REQUIRE_POSTGRES=1 forbids skipping")
        pytest.skip(reason)
    return str(url)


@pytest.fixture
def empty_database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[str]:
    """A database with no tables at all, for migration tests."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    request.getfixturevalue("database_url")  # skips or fails when PostgreSQL is absent
    admin = postgres_admin_url()
    assert admin is not None
    name = f"workledger_empty_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin_execute(admin, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin_execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin_execute(admin: str, statement: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(admin))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def empty_tables(container: Container) -> None:
    """Every table as a fresh migration leaves it: empty, but for the credentials' version
    (a new one, as if the database were made anew).

    DELETE, in one transaction, with triggers and foreign-key checks off for it (the
    credentials' triggers would only move a version that is replaced anyway): a test leaves
    a handful of rows, and deleting them costs little, where TRUNCATE makes every table a
    new file (~0.2 s a test). No table has a sequence to restart. A role that may not turn
    triggers off (not a superuser) truncates instead."""
    global _may_skip_triggers
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    version = secrets.randbits(48)
    async with container.db.engine.connect() as conn:
        if _may_skip_triggers:
            driver = (await conn.get_raw_connection()).driver_connection
            assert driver is not None
            deletes = "".join(f"DELETE FROM {table}; " for table in tables)
            try:
                # One round trip: asyncpg sends a script without arguments as one message.
                await driver.execute(
                    "BEGIN; SET LOCAL session_replication_role = replica; "
                    f"{deletes}INSERT INTO credential_changes (id, version) "
                    f"VALUES (1, {version}); COMMIT;"
                )
                return
            except asyncpg.InsufficientPrivilegeError:
                await driver.execute("ROLLBACK")
                _may_skip_triggers = False
        async with conn.begin():
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            await conn.execute(
                text("INSERT INTO credential_changes (id, version) VALUES (1, :version)"),
                {"version": version},
            )


def make_settings(database_url: str, tmp_path: Path, **overrides: object) -> Settings:
    return load_settings(
        database_url=database_url,
        data_dir=tmp_path / ".workledger",
        jwt_secret=TEST_SECRET,
        repo_dir=tmp_path,
        **overrides,
    )


@pytest.fixture
async def container(database_url: str, backend: str, tmp_path: Path) -> AsyncIterator[Container]:
    settings = make_settings(database_url, tmp_path)
    built = Container.from_settings(settings)
    if backend == "postgresql":
        await empty_tables(built)
    try:
        yield built
    finally:
        await built.close()


async def new_actor(container: Container, email: str, client: str = "test-client") -> Actor:
    """The account ``email`` (made if new) in its own ledger, as its owner."""
    principal = await container.accounts.principal(email)
    return await container.ledgers.actor(principal, ledger=None, client=client)


async def new_member(
    container: Container, owner: Actor, email: str, *, client: str, role: Role = Role.member
) -> Actor:
    """The account ``email`` (made if new) added to ``owner``'s ledger with ``role``,
    acting there through ``client``."""
    principal = await container.accounts.principal(email)
    await container.ledgers.set_member(owner, email=email, role=role)
    return await container.ledgers.actor(principal, ledger=owner.ledger, client=client)


@pytest.fixture
async def actor(container: Container) -> Actor:
    return await new_actor(container, "alice@example.com")


@pytest.fixture
async def other_actor(container: Container) -> Actor:
    """A second account: nothing of ``actor``'s may be visible to it."""
    return await new_actor(container, "bob@example.com", client="other-client")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    # Counted from the reports, which reach this process from every xdist worker.
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if POSTGRES_UNREACHABLE in str(getattr(report, "longrepr", ""))
    ]
    if skipped:
        bar = "!" * 78
        terminalreporter.write_line(bar, red=True, bold=True)
        terminalreporter.write_line(
            f"  {len(skipped)} PostgreSQL tests SKIPPED: no server answered. "
            "Start one or set WORKLEDGER_TEST_POSTGRES_URL.",
            red=True,
            bold=True,
        )
        terminalreporter.write_line(bar, red=True, bold=True)
