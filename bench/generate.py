"""Bulk-load work items for one account, far faster than the service can create them.

PostgreSQL: binary ``COPY`` through asyncpg. SQLite: multi-row ``INSERT`` statements run
with ``executemany`` inside large transactions. Rows are what the service would write:
uuid7 ids, materialized paths, depth, priority_rank matching priority, JSON tags and
metadata. The trees are up to four levels deep (depth 0-3), parents before children.

    python -m bench.generate --backend postgresql --items 1000000 [--database-url URL]

Without ``--database-url`` a fresh ``workledger_bench_*`` database (or SQLite file) is
created and kept; its URL is printed for ``bench.list_scale --database-url``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from typing import Any

import asyncpg

from bench.common import (
    App,
    add_backend_arguments,
    asyncpg_dsn,
    command_line,
    open_app,
    scratch_database,
    sqlite_path,
)
from workledger.models.base import new_id

TABLE = "work_items"
COLUMNS = (
    "id",
    "ledger_id",
    "parent_id",
    "item_type",
    "title",
    "description",
    "status",
    "priority",
    "priority_rank",
    "due_date",
    "tags",
    "path",
    "depth",
    "branch_name",
    "commit_hash",
    "pr_number",
    "metadata",
    "deleted_at",
    "version",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
    "short_id",
    "assignee",
)
# Column positions the encoders rewrite.
ID, ACCOUNT, PARENT, DUE, TAGS, PATH, META, DELETED, CREATED, UPDATED = (
    COLUMNS.index(name)
    for name in (
        "id",
        "ledger_id",
        "parent_id",
        "due_date",
        "tags",
        "path",
        "metadata",
        "deleted_at",
        "created_at",
        "updated_at",
    )
)


@dataclass(frozen=True)
class Weighted:
    """Names drawn with the given relative weights."""

    names: tuple[str, ...]
    cumulative: tuple[int, ...]

    @classmethod
    def of(cls, **weights: int) -> Weighted:
        return cls(tuple(weights), tuple(accumulate(weights.values())))

    def draw(self, rng: random.Random) -> str:
        return rng.choices(self.names, cum_weights=self.cumulative)[0]

    def draw_or_none(self, rng: random.Random) -> str | None:
        return self.draw(rng) or None


ITEM_TYPES = Weighted.of(task=50, session=20, research=15, project=15)
STATUSES = Weighted.of(active=50, completed=35, blocked=15)
PRIORITIES = Weighted.of(critical=10, high=25, medium=40, low=25)
PRIORITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}
# Most items have no assignee; a few are claimed by one of two agents.
AGENTS = Weighted.of(**{"": 80, "agent-a": 10, "agent-b": 10})
TAG_WORDS = ("backend", "frontend", "infra", "docs", "bug", "perf", "ux", "security", "data")
# Children per item at depth 0, 1 and 2; depth 3 items are leaves.
FAN_OUT = (4, 3, 2)
MAX_LEVEL = len(FAN_OUT)
CREATOR = "bench"
YEAR = timedelta(days=365)
SQLITE_ROWS_PER_STATEMENT = 500  # x 25 columns stays under SQLite's 32,766 variables
SQLITE_ROWS_PER_TRANSACTION = 100_000
POSTGRES_ROWS_PER_COPY = 50_000

Row = tuple[Any, ...]


@dataclass(frozen=True)
class LoadReport:
    backend: str
    rows: int
    load_seconds: float
    analyze_seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.load_seconds if self.load_seconds else float("inf")

    def line(self) -> str:
        return (
            f"generate {self.backend:<10} {self.rows:>9,} work items in "
            f"{self.load_seconds:7.1f} s = {self.rows_per_second:>9,.0f} rows/s "
            f"(+ analyze {self.analyze_seconds:.1f} s)"
        )


# --- rows -----------------------------------------------------------------------------------


class RowFactory:
    """Work item rows in schema column order, with Python values (UUID, datetime, list)."""

    def __init__(self, *, ledger_id: uuid.UUID, count: int, seed: int) -> None:
        self.ledger_id = ledger_id
        self.count = count
        self.rng = random.Random(seed)
        self.start = datetime.now(UTC) - YEAR
        self.step = YEAR / max(count, 1)
        self.today = self.start.date() + YEAR

    def rows(self) -> Iterator[Row]:
        """``count`` rows: whole trees, parents first; the last tree may be cut short."""
        emitted = 0
        while emitted < self.count:
            for row in self._tree(level=0, parent=None, emitted=emitted):
                yield row
                emitted += 1
                if emitted == self.count:
                    return

    def _tree(self, *, level: int, parent: Row | None, emitted: int) -> Iterator[Row]:
        row = self._row(index=emitted, level=level, parent=parent)
        yield row
        if level == MAX_LEVEL:
            return
        produced = 1
        for _ in range(self.rng.randint(0, FAN_OUT[level])):
            for child in self._tree(level=level + 1, parent=row, emitted=emitted + produced):
                yield child
                produced += 1

    def _row(self, *, index: int, level: int, parent: Row | None) -> Row:
        rng = self.rng
        item_id = new_id()
        item_type = ITEM_TYPES.draw(rng)
        priority = PRIORITIES.draw(rng)
        created = self.start + self.step * index
        due = self.today + timedelta(days=rng.randint(-30, 180)) if rng.random() < 0.3 else None
        tags = rng.sample(TAG_WORDS, rng.randint(0, 3))
        path = (parent[PATH] if parent else "") + item_id.hex + "/"
        return (
            item_id,
            self.ledger_id,
            parent[ID] if parent else None,
            item_type,
            f"{item_type.capitalize()} {index}",
            None,
            STATUSES.draw(rng),
            priority,
            PRIORITY_RANK[priority],
            due,
            tags,
            path,
            level,
            None,
            None,
            None,
            {},
            None,
            1,
            created,
            created,
            CREATOR,
            CREATOR,
            item_id.hex[-8:],
            AGENTS.draw_or_none(rng),
        )


def chunks(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# --- PostgreSQL -----------------------------------------------------------------------------


def _postgres_record(row: Row) -> Row:
    # asyncpg's jsonb codec takes text; everything else goes over in binary as is.
    values = list(row)
    values[TAGS] = json.dumps(row[TAGS])
    values[META] = json.dumps(row[META])
    return tuple(values)


async def load_postgresql(url: str, factory: RowFactory, *, analyze: bool = True) -> LoadReport:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        started = time.perf_counter()
        loaded = 0
        for batch in chunks(factory.rows(), POSTGRES_ROWS_PER_COPY):
            await conn.copy_records_to_table(
                TABLE, records=[_postgres_record(r) for r in batch], columns=list(COLUMNS)
            )
            loaded += len(batch)
            _progress(loaded, factory.count, started)
        load_seconds = time.perf_counter() - started
        started = time.perf_counter()
        if analyze:
            # VACUUM too: sets the visibility map as autovacuum soon would, so index-only
            # scans behave as on a settled database rather than a freshly loaded one.
            await conn.execute(f"VACUUM (ANALYZE) {TABLE}")
        return LoadReport("postgresql", loaded, load_seconds, time.perf_counter() - started)
    finally:
        await conn.close()


# --- SQLite ---------------------------------------------------------------------------------


def _sqlite_time(value: datetime | None) -> str | None:
    # What SQLAlchemy's UTCDateTime stores on SQLite: naive UTC, microseconds.
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _sqlite_record(row: Row) -> Row:
    values = list(row)
    values[ID] = row[ID].hex
    values[ACCOUNT] = row[ACCOUNT].hex
    values[PARENT] = row[PARENT].hex if row[PARENT] else None
    due: date | None = row[DUE]
    values[DUE] = due.isoformat() if due else None
    values[TAGS] = json.dumps(row[TAGS])
    values[META] = json.dumps(row[META])
    values[DELETED] = _sqlite_time(row[DELETED])
    values[CREATED] = _sqlite_time(row[CREATED])
    values[UPDATED] = _sqlite_time(row[UPDATED])
    return tuple(values)


def _insert_sql(rows: int) -> str:
    one = "(" + ", ".join("?" * len(COLUMNS)) + ")"
    return f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES " + ", ".join([one] * rows)


def _sqlite_write(conn: sqlite3.Connection, batch: list[Row]) -> None:
    per = SQLITE_ROWS_PER_STATEMENT
    records = [_sqlite_record(r) for r in batch]
    whole = len(records) - len(records) % per
    params = [
        [value for record in records[i : i + per] for value in record] for i in range(0, whole, per)
    ]
    conn.execute("BEGIN")
    if params:
        conn.executemany(_insert_sql(per), params)
    if whole < len(records):
        tail = records[whole:]
        conn.execute(_insert_sql(len(tail)), [value for record in tail for value in record])
    conn.execute("COMMIT")


def load_sqlite_sync(url: str, factory: RowFactory, *, analyze: bool = True) -> LoadReport:
    conn = sqlite3.connect(sqlite_path(url), isolation_level=None, timeout=30)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        started = time.perf_counter()
        loaded = 0
        for batch in chunks(factory.rows(), SQLITE_ROWS_PER_TRANSACTION):
            _sqlite_write(conn, batch)
            loaded += len(batch)
            _progress(loaded, factory.count, started)
        load_seconds = time.perf_counter() - started
        started = time.perf_counter()
        if analyze:
            conn.execute("ANALYZE")
        return LoadReport("sqlite", loaded, load_seconds, time.perf_counter() - started)
    finally:
        conn.close()


# --- entry points ---------------------------------------------------------------------------


async def load_work_items(
    app: App, *, count: int, seed: int = 7, analyze: bool = True
) -> LoadReport:
    """Append ``count`` work items (whole trees) to the app's account, then recount its
    list totals as the service keeps them."""
    factory = RowFactory(ledger_id=app.actor.ledger_id, count=count, seed=seed)
    if app.backend == "postgresql":
        report = await load_postgresql(app.url, factory, analyze=analyze)
    else:
        report = await asyncio.to_thread(load_sqlite_sync, app.url, factory, analyze=analyze)
    await app.container.work_items.recount(actor=app.actor)
    return report


def _progress(loaded: int, total: int, started: float) -> None:
    if total >= 200_000 and (loaded % 200_000 < POSTGRES_ROWS_PER_COPY or loaded == total):
        elapsed = time.perf_counter() - started
        print(f"  {loaded:>9,} / {total:,} rows, {loaded / elapsed:,.0f} rows/s", flush=True)


async def generate_into(url: str, *, count: int, seed: int, analyze: bool) -> LoadReport:
    async with open_app(url) as app:
        report = await load_work_items(app, count=count, seed=seed, analyze=analyze)
    print(report.line(), flush=True)
    return report


async def run(args: argparse.Namespace) -> LoadReport:
    if args.database_url:
        return await generate_into(
            args.database_url, count=args.items, seed=args.seed, analyze=not args.no_analyze
        )
    if args.backend == "both":
        raise SystemExit("generate loads one database: pass --backend sqlite or postgresql")
    async with scratch_database(args.backend, keep=True) as url:
        return await generate_into(
            url, count=args.items, seed=args.seed, analyze=not args.no_analyze
        )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench.generate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_backend_arguments(p, default="postgresql", keep=False)
    p.add_argument("--items", type=int, default=1_000_000, help="work items to add")
    p.add_argument("--database-url", help="load into this (migrated or empty) database instead")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--no-analyze", action="store_true", help="skip ANALYZE after loading")
    return p


main = command_line(run, parser)


if __name__ == "__main__":
    main()
