"""The Alembic tree: upgrade → downgrade → upgrade works, and matches the models."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from workledger.db import migrate
from workledger.db.engine import build_engine
from workledger.models import Base

EXPECTED_TABLES = {
    "accounts",
    "api_tokens",
    "applied_operations",
    "work_items",
    "work_item_dependencies",
    "work_item_counts",
    "archived_work_items",
    "vendors",
    "deployments",
    "deployment_vendors",
    "deployment_work_items",
    "enhancements",
    "enhancement_dependencies",
    "project_configurations",
}


def _schema_diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


def _indexes(connection: Connection, table: str) -> set[str]:
    return {ix["name"] for ix in inspect(connection).get_indexes(table) if ix["name"]}


async def test_upgrade_downgrade_upgrade_matches_models(empty_database_url: str) -> None:
    engine = build_engine(empty_database_url)
    try:
        await migrate.upgrade(engine)
        assert await migrate.current(engine) == migrate.head()
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) == EXPECTED_TABLES
            assert await conn.run_sync(_schema_diff) == []

        await migrate.downgrade(engine, "base")
        assert await migrate.current(engine) is None
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) == set()

        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            assert await conn.run_sync(_schema_diff) == []
            indexes = await conn.run_sync(_indexes, "work_items")
    finally:
        await engine.dispose()
    assert {
        "ix_work_items_parent_id",
        "ix_work_items_path",
        "ix_work_items_live_listing",
        "ix_work_items_live_created",
    } <= indexes
