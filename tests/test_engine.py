"""Engine settings a user relies on without seeing them."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from tests.conftest import make_settings
from workledger.container import Container
from workledger.db.dialect import dialect_named
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


def test_a_database_other_than_sqlite_or_postgresql_is_refused_by_name() -> None:
    with pytest.raises(SettingsError, match="SQLite or PostgreSQL, not mysql"):
        dialect_named("mysql")
