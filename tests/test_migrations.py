"""The Alembic tree: upgrade → downgrade → upgrade works, and matches the models."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, Table, insert, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from workledger.db import migrate
from workledger.db.engine import build_engine
from workledger.models import Base

EXPECTED_TABLES = {
    "accounts",
    "api_tokens",
    "applied_operations",
    "credential_changes",
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


@contextmanager
def _reflecting() -> Iterator[None]:
    with warnings.catch_warnings():
        for name in EXPRESSION_INDEXES:
            warnings.filterwarnings("ignore", f".*expression-based index '?{name}")
        yield


def _schema_diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    with _reflecting():
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


async def _as_of_now(conn: AsyncConnection, name: str) -> Table:
    """The table as the database has it at this revision (not as the models have it)."""
    with _reflecting():
        return await conn.run_sync(lambda sync: Table(name, MetaData(), autoload_with=sync))


def _ids(conn: AsyncConnection, row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with its ids as a reflected table takes them (SQLite keeps 32 hex digits)."""
    if conn.dialect.name != "sqlite":
        return row
    return {k: v.hex if isinstance(v, uuid.UUID) else v for k, v in row.items()}


def _item(account: uuid.UUID, item_id: uuid.UUID, **values: Any) -> dict[str, Any]:
    at = datetime.now(UTC)
    return {
        "id": item_id,
        "account_id": account,
        "item_type": "task",
        "title": "old",
        "status": "completed",
        "priority": "medium",
        "priority_rank": 2,
        "tags": "[]",
        "metadata": "{}",
        "depth": 0,
        "path": item_id.hex + "/",
        "version": 1,
        "created_at": at,
        "updated_at": at,
        "created_by": "t",
        "updated_by": "t",
        **values,
    }


async def _account(conn: AsyncConnection) -> uuid.UUID:
    account, at = uuid.uuid4(), datetime.now(UTC)
    accounts = await _as_of_now(conn, "accounts")
    await conn.execute(
        insert(accounts),
        _ids(conn, {"id": account, "email": "a@example.com", "created_at": at, "updated_at": at}),
    )
    return account


async def test_items_made_before_short_ids_get_theirs(empty_database_url: str) -> None:
    """0003 gives every existing work item (live and archived) its short id."""
    engine = build_engine(empty_database_url)
    live, archived = uuid.uuid4(), uuid.uuid4()
    try:
        await migrate.upgrade(engine, "0002")
        async with engine.begin() as conn:
            account = await _account(conn)
            await conn.execute(
                insert(await _as_of_now(conn, "work_items")), _ids(conn, _item(account, live))
            )
            archived_row = _item(account, archived, archived_at=datetime.now(UTC))
            await conn.execute(
                insert(await _as_of_now(conn, "archived_work_items")),
                _ids(conn, {**archived_row, "dependencies": "[]"}),
            )
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


async def test_items_made_before_the_counter_count_their_open_dependencies(
    empty_database_url: str,
) -> None:
    """0004 counts, for every existing item, the dependencies that still hold it back."""
    engine = build_engine(empty_database_url)
    waiting, open_one, done, gone = (uuid.uuid4() for _ in range(4))
    try:
        await migrate.upgrade(engine, "0003")
        async with engine.begin() as conn:
            account = await _account(conn)
            items = await _as_of_now(conn, "work_items")
            for item_id, status, deleted in [
                (waiting, "active", None),
                (open_one, "active", None),
                (done, "completed", None),
                (gone, "active", datetime.now(UTC)),
            ]:
                row = _item(account, item_id, status=status, deleted_at=deleted)
                await conn.execute(insert(items), _ids(conn, {**row, "short_id": item_id.hex[-8:]}))
            edges = await _as_of_now(conn, "work_item_dependencies")
            await conn.execute(
                insert(edges),
                [
                    _ids(
                        conn,
                        {
                            "work_item_id": waiting,
                            "depends_on_id": target,
                            "dependency_type": "depends_on",
                            "created_at": datetime.now(UTC),
                        },
                    )
                    for target in (open_one, done, gone)
                ],
            )
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            found = {
                uuid.UUID(str(item_id)): count
                for item_id, count in await conn.execute(
                    text("SELECT id, open_dependencies FROM work_items")
                )
            }
    finally:
        await engine.dispose()
    # Only the active, live dependency holds it back; nothing holds back the others.
    assert found == {waiting: 1, open_one: 0, done: 0, gone: 0}


async def test_tallies_keep_their_counts_through_slots_and_back(empty_database_url: str) -> None:
    """0005 keeps each tally as slot 0; its downgrade adds a key's slots back together."""
    engine = build_engine(empty_database_url)
    key = {"item_type": "task", "status": "planned", "is_root": True, "is_deleted": False}
    try:
        await migrate.upgrade(engine, "0004")
        async with engine.begin() as conn:
            account = await _account(conn)
            counts = await _as_of_now(conn, "work_item_counts")
            await conn.execute(
                insert(counts), _ids(conn, {"account_id": account, **key, "item_count": 7})
            )
        await migrate.upgrade(engine)
        async with engine.begin() as conn:
            counts = await _as_of_now(conn, "work_item_counts")
            slots = [tuple(row) for row in await conn.execute(text(SLOTS_SQL))]
            assert slots == [(0, 7)]
            done = {**key, "status": "completed"}
            await conn.execute(
                insert(counts),
                [
                    _ids(conn, {"account_id": account, **key, "slot": 3, "item_count": 2}),
                    _ids(conn, {"account_id": account, **done, "slot": 5, "item_count": 4}),
                ],
            )
        await migrate.downgrade(engine, "0004")
        async with engine.connect() as conn:
            found = sorted(
                tuple(row)
                for row in await conn.execute(
                    text("SELECT status, item_count FROM work_item_counts")
                )
            )
    finally:
        await engine.dispose()
    assert found == [("completed", 4), ("planned", 9)]


SLOTS_SQL = "SELECT slot, item_count FROM work_item_counts ORDER BY slot"
