"""The Alembic tree: upgrade → downgrade → upgrade works, and matches the models."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
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
    "ledgers",
    "memberships",
    "events",
    "event_counters",
    "comments",
    "work_logs",
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


async def _account(
    conn: AsyncConnection, email: str = "a@example.com", at: datetime | None = None
) -> uuid.UUID:
    account, at = uuid.uuid4(), at or datetime.now(UTC)
    accounts = await _as_of_now(conn, "accounts")
    await conn.execute(
        insert(accounts),
        _ids(conn, {"id": account, "email": email, "created_at": at, "updated_at": at}),
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
        await migrate.upgrade(engine, "0005")
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


# 0007: the tables whose rows move from their account to its ledger, those of them that
# name who made and changed a row, and the tables that only link rows to one another.
SCOPED = (
    "work_items",
    "archived_work_items",
    "work_item_counts",
    "vendors",
    "deployments",
    "enhancements",
    "project_configurations",
    "applied_operations",
)
AUDITED = set(SCOPED) - {"work_item_counts", "applied_operations"}
LINKS = (
    "work_item_dependencies",
    "deployment_vendors",
    "deployment_work_items",
    "enhancement_dependencies",
)
# Moved by the credentials' triggers whenever an account changes: not a record.
UNCOMPARED = {"credential_changes"}


def _audit(at: datetime, n: int) -> dict[str, Any]:
    return {
        "version": 3 + n,
        "created_at": at,
        "updated_at": at,
        "created_by": f"cli-{n}",
        "updated_by": f"mcp-{n}",
    }


async def _records(conn: AsyncConnection, account: uuid.UUID, n: int) -> None:
    """One of everything revision 0006 keeps for an account, linked the way the app links
    them: a project with two tasks (one waiting on the other) and a session, an archived
    item, a vendor and a deployment of it and a task, two enhancements (one waiting on the
    other), the project's configuration, a tally and an applied operation."""
    at = datetime(2024, 5, n, 12, 30, tzinfo=UTC)
    project, first, second, session, archived = (uuid.uuid4() for _ in range(5))
    vendor, deployment, enhancement, later, configuration = (uuid.uuid4() for _ in range(5))

    def item(item_id: uuid.UUID, parent: uuid.UUID | None, **values: Any) -> dict[str, Any]:
        path = (f"{parent.hex}/" if parent else "") + f"{item_id.hex}/"
        return _item(
            account,
            item_id,
            parent_id=parent,
            depth=1 if parent else 0,
            path=path,
            short_id=item_id.hex[-8:],
            title=f"{values.get('item_type', 'task')} of {n}",
            tags=["ledger", str(n)],
            metadata={"n": n},
            **_audit(at, n),
            **values,
        )

    async def add(table: str, rows: list[dict[str, Any]]) -> None:
        await conn.execute(insert(await _as_of_now(conn, table)), [_ids(conn, row) for row in rows])

    await add(
        "work_items",
        [
            item(project, None, item_type="project", status="active"),
            item(first, project, status="active", open_dependencies=1, due_date=at.date()),
            item(second, project, status="active", assignee=f"dev-{n}", pr_number=40 + n),
            item(session, None, item_type="session", status="active", branch_name=f"b{n}"),
        ],
    )
    await add(
        "work_item_dependencies",
        [
            {
                "work_item_id": first,
                "depends_on_id": second,
                "dependency_type": "depends_on",
                "created_at": at,
            }
        ],
    )
    await add(
        "archived_work_items",
        [
            {
                **item(archived, None, description="gone"),
                "archived_at": at,
                "dependencies": [str(first)],
            }
        ],
    )
    await add(
        "vendors",
        [
            {
                "id": vendor,
                "account_id": account,
                "name": f"vendor-{n}",
                "status": "operational",
                "supports_excel": True,
                "supports_csv": False,
                "supports_pdf": True,
                "supports_ocr": False,
                "tests_passing": 3,
                "tests_total": 5,
                "tests_skipped": n,
                "extractor_version": f"1.{n}",
                "manifest_compliant": True,
                **_audit(at, n),
            }
        ],
    )
    await add(
        "deployments",
        [
            {
                "id": deployment,
                "account_id": account,
                "deployed_at": at,
                "pr_number": 10 + n,
                "pr_title": f"ship {n}",
                "commit_hash": f"{n}" * 40,
                "test_summary": {"passed": 10, "n": n},
                "constitutional_compliance": n % 2 == 1,
                **_audit(at, n),
            }
        ],
    )
    await add("deployment_vendors", [{"deployment_id": deployment, "vendor_id": vendor}])
    await add("deployment_work_items", [{"deployment_id": deployment, "work_item_id": first}])
    await add(
        "enhancements",
        [
            {
                "id": enhancement_id,
                "account_id": account,
                "title": f"{title} {n}",
                "description": None,
                "priority": "high",
                "priority_rank": 3,
                "status": "planned",
                "target_quarter": "2025-Q3",
                "constitutional_principles": ["I", str(n)],
                **_audit(at, n),
            }
            for enhancement_id, title in ((enhancement, "faster"), (later, "smaller"))
        ],
    )
    await add("enhancement_dependencies", [{"enhancement_id": later, "depends_on_id": enhancement}])
    await add(
        "project_configurations",
        [
            {
                "id": configuration,
                "account_id": account,
                "active_context_type": "feature",
                "default_token_budget": 5000 + n,
                "token_budgets": {"feature": 5000 + n},
                "current_session_id": session,
                **_audit(at, n),
            }
        ],
    )
    tally = {"item_type": "task", "status": "active", "is_root": False, "is_deleted": False}
    await add("work_item_counts", [{"account_id": account, **tally, "slot": 0, "item_count": 2}])
    await add(
        "applied_operations",
        [{"id": uuid.uuid4(), "account_id": account, "applied_at": at, "refused": n == 2}],
    )


def _in_order(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda row: repr(sorted(row.items())))


async def _snapshot(conn: AsyncConnection) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, as the driver hands it over (what the migration copies)."""
    tables = await conn.run_sync(_tables)
    return {
        table: _in_order(
            [dict(row._mapping) for row in await conn.execute(text(f"SELECT * FROM {table}"))]
        )
        for table in sorted(tables - UNCOMPARED)
    }


def _at_head(at_0006: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """The rows 0007 should leave: each record under its account's ledger (the same id),
    naming the account's email as who made and changed it; the rest as they were."""
    emails = {account["id"]: account["email"] for account in at_0006["accounts"]}
    expected: dict[str, list[dict[str, Any]]] = {}
    for table, rows in at_0006.items():
        if table == "accounts":
            rows = [{**row, "default_ledger_id": row["id"]} for row in rows]
        elif table == "api_tokens":
            rows = [{**row, "ledger_id": None, "role": None} for row in rows]
        elif table in SCOPED:
            moved = []
            for row in rows:
                new = {("ledger_id" if k == "account_id" else k): v for k, v in row.items()}
                if table in AUDITED:
                    email = emails[row["account_id"]]
                    new |= {"created_by_account": email, "updated_by_account": email}
                if table in ("work_items", "archived_work_items"):
                    new |= {"assignee_account": None}  # claimed before accounts were named
                    new |= {"claimed_until": None}  # claimed before claims were leases
                    new |= dict.fromkeys(("spent_minutes", "spent_tokens", "spent_cost_micros"), 0)
                moved.append(new)
            rows = moved
        expected[table] = _in_order(rows)
    return expected


def _triggers(connection: Connection) -> set[str]:
    if connection.dialect.name == "sqlite":
        found = connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    else:
        found = connection.execute(
            text("SELECT DISTINCT trigger_name FROM information_schema.triggers")
        )
    return {row[0] for row in found}


def _shape(connection: Connection) -> dict[str, Any]:
    """What a downgrade must give back: each table's columns, keys, references,
    unique constraints and indexes, and the triggers."""
    inspector = inspect(connection)
    shape: dict[str, Any] = {"triggers": _triggers(connection)}
    with _reflecting():
        for table in _tables(connection):
            shape[table] = {
                "columns": [
                    (c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)
                ],
                "primary key": inspector.get_pk_constraint(table)["constrained_columns"],
                "references": sorted(
                    (
                        fk["name"],
                        tuple(fk["constrained_columns"]),
                        fk["referred_table"],
                        tuple(fk["referred_columns"]),
                        fk["options"].get("ondelete"),
                    )
                    for fk in inspector.get_foreign_keys(table)
                ),
                "unique": sorted(
                    (u["name"], tuple(u["column_names"]))
                    for u in inspector.get_unique_constraints(table)
                ),
                "indexes": _indexes(connection, table),
            }
    return shape


async def test_ledgers_take_every_record_token_and_link_and_give_them_back(
    empty_database_url: str,
) -> None:
    """0007 gives each account a ledger of its own id, and moves its records there with
    their values, links and tallies; its downgrade gives them back to the account."""
    engine = build_engine(empty_database_url)
    try:
        await migrate.upgrade(engine, "0006")
        async with engine.begin() as conn:
            # The same local part twice: the second ledger's slug is told apart.
            ada = await _account(conn, "Ada@a.org", datetime(2024, 1, 1, tzinfo=UTC))
            other = await _account(conn, "ada@b.org", datetime(2024, 1, 2, tzinfo=UTC))
            tokens = await _as_of_now(conn, "api_tokens")
            await conn.execute(
                insert(tokens),
                _ids(
                    conn,
                    {
                        "id": uuid.uuid4(),
                        "account_id": ada,
                        "name": "ci",
                        "token_hash": "f" * 64,
                        "prefix": "wl_ci",
                        "created_at": datetime(2024, 2, 1, tzinfo=UTC),
                        "last_used_at": datetime(2024, 2, 2, tzinfo=UTC),
                        "revoked_at": None,
                    },
                ),
            )
            for n, account in enumerate((ada, other), start=1):
                await _records(conn, account, n)
        async with engine.connect() as conn:
            at_0006 = await _snapshot(conn)
            shape_0006 = await conn.run_sync(_shape)
        assert all(at_0006[table] for table in (*SCOPED, *LINKS, "api_tokens"))

        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            at_head = await _snapshot(conn)
        ledgers = {
            uuid.UUID(str(row["id"])): (row["slug"], row["name"]) for row in at_head["ledgers"]
        }
        assert ledgers == {ada: ("ada", "Ada@a.org"), other: ("ada-2", "ada@b.org")}
        memberships = {
            (uuid.UUID(str(row["ledger_id"])), uuid.UUID(str(row["account_id"])), row["role"])
            for row in at_head["memberships"]
        }
        assert memberships == {(ada, ada, "owner"), (other, other, "owner")}
        defaults = {
            uuid.UUID(str(row["id"])): uuid.UUID(str(row["default_ledger_id"]))
            for row in at_head["accounts"]
        }
        assert defaults == {ada: ada, other: other}
        expected = _at_head(at_0006)
        history = {"events", "event_counters", "comments", "work_logs"}  # new since, and empty
        assert set(at_head) == set(expected) | {"ledgers", "memberships"} | history
        assert not any(at_head[table] for table in history)
        for table, rows in expected.items():
            assert at_head[table] == rows, table

        await migrate.downgrade(engine, "0006")
        async with engine.connect() as conn:
            assert await _snapshot(conn) == at_0006
            assert await conn.run_sync(_shape) == shape_0006

        await migrate.upgrade(engine)
        assert await migrate.current(engine) == migrate.head()
        async with engine.connect() as conn:
            again = await _snapshot(conn)
    finally:
        await engine.dispose()
    assert again == at_head


async def test_a_downgrade_that_would_merge_ledgers_is_refused_naming_them(
    empty_database_url: str, tmp_path: Any
) -> None:
    """One account first owns two ledgers that hold records: going below 0007 would have
    to merge them. Refused with one line naming them, and nothing changes."""
    from workledger.config import load_settings
    from workledger.container import Container
    from workledger.errors import Conflict
    from workledger.schemas.account import AccountCreate
    from workledger.schemas.ledger import LedgerCreate
    from workledger.schemas.vendor import VendorCreate

    settings = load_settings(
        database_url=empty_database_url, data_dir=tmp_path, jwt_secret="x" * 32
    )
    container = Container.from_settings(settings)
    try:
        await migrate.upgrade(container.db.engine)
        await container.accounts.create(AccountCreate.load({"email": "ada@example.com"}))
        principal = await container.accounts.principal("ada@example.com")
        await container.ledgers.create(principal, LedgerCreate.load({"slug": "team"}))
        for slug in ("ada", "team"):
            actor = await container.ledgers.actor(principal, ledger=slug, client="test")
            await container.vendors.create(actor=actor, data=VendorCreate.load({"name": "Acme"}))
        with pytest.raises(Conflict, match=r"ada@example\.com: ada, team"):
            await migrate.downgrade(container.db.engine, "0006")
        assert await migrate.current(container.db.engine) == migrate.head()
    finally:
        await container.close()


async def test_a_database_made_before_ledgers_answers_through_the_doors(
    empty_database_url: str, tmp_path: Any
) -> None:
    """What a 0006 database holds, and its API token, work after the upgrade: REST and
    MCP read every record back in the account's ledger, and the token still writes."""
    import hashlib
    import secrets

    import httpx
    from mcp import Client

    from workledger.app import create_app
    from workledger.config import load_settings
    from workledger.container import Container
    from workledger.mcp.server import WorkledgerMCP

    engine = build_engine(empty_database_url)
    secret = "wl_" + secrets.token_urlsafe(32)
    try:
        await migrate.upgrade(engine, "0006")
        async with engine.begin() as conn:
            ada = await _account(conn, "ada@example.com", datetime(2024, 1, 1, tzinfo=UTC))
            await _records(conn, ada, 1)
            tokens = await _as_of_now(conn, "api_tokens")
            token = {"id": uuid.uuid4(), "account_id": ada, "name": "ci", "prefix": secret[:10]}
            token |= {"token_hash": hashlib.sha256(secret.encode()).hexdigest()}
            token |= {"created_at": datetime(2024, 2, 1, tzinfo=UTC)}
            await conn.execute(insert(tokens), _ids(conn, token))
            # What 0006 holds, read with SQL: the titles and names the doors must answer.
            titles = {row[0] for row in await conn.execute(text("SELECT title FROM work_items"))}
            vendors = {row[0] for row in await conn.execute(text("SELECT name FROM vendors"))}
    finally:
        await engine.dispose()

    settings = load_settings(
        database_url=empty_database_url, data_dir=tmp_path, jwt_secret="x" * 32
    )
    container = Container.from_settings(settings)
    try:
        await migrate.upgrade(container.db.engine)
        transport = httpx.ASGITransport(app=create_app(container))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as api:
            old_token = {"Authorization": f"Bearer {secret}"}
            ledgers = (await api.get("/api/v1/ledgers", headers=old_token)).json()["items"]
            assert [(x["slug"], x["role"]) for x in ledgers] == [("ada", "owner")]
            for path in ("/api/v1/work-items", "/api/v1/ledgers/ada/work-items"):
                listed = await api.get(path, headers=old_token)
                assert {item["title"] for item in listed.json()["items"]} == titles, path
            found = await api.get("/api/v1/vendors", headers=old_token)
            assert {vendor["name"] for vendor in found.json()["items"]} == vendors
            for path in ("/api/v1/deployments", "/api/v1/enhancements"):
                assert (await api.get(path, headers=old_token)).json()["total_count"] > 0
            report = await api.get("/api/v1/status", headers=old_token)
            assert all(title in report.text for title in titles)
            made = await api.post(
                "/api/v1/work-items", json={"item_type": "task", "title": "new"}, headers=old_token
            )
            assert made.status_code == 201, made.text
            assert made.json()["created_by_account"] == "ada@example.com"
        principal = await container.accounts.principal("ada@example.com")
        actor = await container.ledgers.actor(principal, ledger=None, client="claude-code")
        async with Client(WorkledgerMCP(container, actor=actor)) as client:
            result = await client.call_tool("list_work_items", {"limit": 100})
        assert {item["title"] for item in result.structured_content["items"]} == titles | {"new"}
        assert result.meta is not None
        assert result.meta["workledger/ledger"] == "ada"
    finally:
        await container.close()
