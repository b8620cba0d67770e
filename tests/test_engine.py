"""Engine settings a user relies on without seeing them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.conftest import make_settings
from workledger.container import Container
from workledger.db.dialect import dialect_named
from workledger.db.engine import build_engine
from workledger.db.unit_of_work import Database
from workledger.errors import SettingsError


async def test_sqlite_runs_in_wal_with_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    container = Container.from_settings(
        make_settings(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", tmp_path)
    )
    try:
        async with container.db.engine.connect() as conn:
            pragmas = [
                (await conn.execute(text(f"PRAGMA {name}"))).scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            ]
    finally:
        await container.close()
    assert pragmas == ["wal", 1, 30000]


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_postgresql_pool_is_sized_from_settings(database_url: str, tmp_path: Path) -> None:
    sized = Container.from_settings(make_settings(database_url, tmp_path, db_pool_size=7))
    try:
        assert sized.db.engine.pool.size() == 7  # type: ignore[attr-defined]
    finally:
        await sized.close()


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_a_load_above_the_pool_reuses_its_connections(database_url: str) -> None:
    """Twelve transactions at once on a pool of three: they take turns on the same three
    server processes, and the next burst finds those same three, none opened afresh."""
    db = Database(build_engine(database_url, pool_size=3))

    async def backend_pid() -> int:
        async with db.transaction(write=False) as session:
            pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            await session.execute(text("SELECT pg_sleep(0.05)"))
            return int(pid)

    try:
        first = set(await asyncio.gather(*(backend_pid() for _ in range(12))))
        again = set(await asyncio.gather(*(backend_pid() for _ in range(12))))
    finally:
        await db.dispose()
    assert len(first) == 3
    assert again == first


def test_a_database_other_than_sqlite_or_postgresql_is_refused_by_name() -> None:
    with pytest.raises(SettingsError, match="SQLite or PostgreSQL, not mysql"):
        dialect_named("mysql")
