"""The Alembic tree: upgrade → downgrade → upgrade works, and matches the models."""

from __future__ import annotations

import uuid
import warnings
from datetime import UTC, datetime
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, inspect, text
from sqlalchemy.engine import Connection

from workledger.db import migrate
from workledger.db.engine import build_engine
from workledger.models import Account, ArchivedWorkItem, Base, WorkItem

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


# Reflection cannot read an index on an expression back (SQLAlchemy skips it, with a
# warning); _indexes below finds it by name instead.
EXPRESSION_INDEXES = ("ix_work_items_ready",)


def _schema_diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    with warnings.catch_warnings():
        for name in EXPRESSION_INDEXES:
            warnings.filterwarnings("ignore", f".*expression-based index '?{name}")
        return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


def _indexes(connection: Connection, table: str) -> set[str]:
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(f"PRAGMA index_list({table})")
        return {row[1] for row in rows if not row[1].startswith("sqlite_autoindex")}
    rows = connection.execute(
        text("SELECT indexname FROM pg_indexes WHERE tablename = :table"), {"table": table}
    )
    return {row[0] for row in rows if not row[0].startswith("pk_")}


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
        "ix_work_items_ready",
        "ix_work_items_short_id",
    } <= indexes


async def test_items_made_before_short_ids_get_theirs(empty_database_url: str) -> None:
    """0003 gives every existing work item (live and archived) its short id."""
    engine = build_engine(empty_database_url)
    account, live, archived = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    at = datetime.now(UTC)
    audit = {"version": 1, "created_at": at, "updated_at": at, "created_by": "t", "updated_by": "t"}
    item = {"account_id": account, "item_type": "task", "title": "old", "status": "completed"}
    item |= {"priority": "medium", "priority_rank": 2, "tags": [], "depth": 0, "metadata": {}}
    try:
        await migrate.upgrade(engine, "0002")
        async with engine.begin() as conn:
            # The model's tables, for their column types: only the columns 0002 has are sent.
            await conn.execute(
                insert(Account.__table__),
                {"id": account, "email": "a@example.com", "created_at": at, "updated_at": at},
            )
            row = {**item, **audit, "id": live, "path": live.hex + "/"}
            await conn.execute(insert(WorkItem.__table__), row)
            row = {**item, **audit, "id": archived, "path": archived.hex + "/", "archived_at": at}
            await conn.execute(insert(ArchivedWorkItem.__table__), {**row, "dependencies": []})
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            found = {
                item_id: short
                for table in ("work_items", "archived_work_items")
                for item_id, short in await conn.execute(text(f"SELECT id, short_id FROM {table}"))
            }
    finally:
        await engine.dispose()
    assert {uuid.UUID(str(k)): v for k, v in found.items()} == {
        live: live.hex[-8:],
        archived: archived.hex[-8:],
    }


def test_the_head_a_process_checks_without_alembic_is_alembics_head() -> None:
    assert migrate.head() == migrate.HEAD
