"""What one copy of the database into the mirror does (run in the copier's helper process).

A **whole** copy reads every mirrored table in one snapshot of the database and replaces
the mirror's rows with them.

A copy **since** an earlier one reads only what changed. PostgreSQL stamps each row
version with the transaction that wrote it (the ``xmin`` system column), and every
transaction whose writes the earlier snapshot could not see has an id at or after that
snapshot's oldest running transaction (its own ``xmin``, ``since``). Those rows are read
again and written over the mirror's: a few transactions more than needed, never one too
few (a subtransaction's id comes after its parent's). Rows deleted since leave no trace
there, so they are found by counting: a table whose rows the database counts differently
from what the mirror would hold has its keys compared, in the same snapshot, and the
mirror's extra rows are deleted.

Either way every row is read before the mirror's write transaction begins, so the
mirror's write lock, which journaled writes need too, is never held while the database
is slow to answer; readers of the mirror see the old copy until the new one commits."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Table,
    delete,
    func,
    insert,
    select,
    text,
    tuple_,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from workledger.db.engine import WRITE, build_engine
from workledger.db.types import UTCDateTime
from workledger.models import Base

# Rows read, and written, per statement: few statements, bounded memory per batch.
COPY_BATCH = 1000
# Keys per statement when looking keys up in the mirror (SQLite binds each one).
KEYS_BATCH = 500

# The mirror's own bookkeeping, beside the copied tables (not part of the schema): when
# its data last matched the database.
SYNC_STATE = Table(
    "workledger_mirror",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("synced_at", UTCDateTime, nullable=False),
)

# The oldest transaction the snapshot still saw running: a copy since it is complete.
_SNAPSHOT_XMIN = text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
# Row versions written at or after :since, compared as PostgreSQL compares transaction
# ids: modulo 2**32, within half of it. Ids below 3 are special (bootstrap, frozen) and
# older than any other. (Past 2**31 transactions, a row frozen long ago can compare as
# newer, and is copied again each time: more work, never a row missed.)
_WRITTEN_SINCE = text(
    "xmin::text::bigint >= 3 "
    "AND (xmin::text::bigint - :since + 4294967296) % 4294967296 < 2147483648"
)

Row = dict[str, Any]
Key = tuple[Any, ...]
T = TypeVar("T")


def mirrored_tables() -> list[Table]:
    """Parents before children; last, what the mirror's own triggers write to."""
    tables = [t for t in Base.metadata.sorted_tables if t.info.get("mirrored", True)]
    return sorted(tables, key=lambda t: bool(t.info.get("copied_last")))


@dataclass
class _Read:
    """What one snapshot of the database holds for one table: every row, or the rows
    written since the last copy and the keys of rows to delete from the mirror."""

    table: Table
    rows: list[Row] = field(default_factory=list)
    deleted: list[Key] = field(default_factory=list)


@dataclass(frozen=True)
class Copied:
    """One copy's outcome: the ``since`` of the next copy, and the rows it wrote."""

    since: int
    rows: int
    whole: bool


class Engines:
    """The copy's engines, kept from one copy to the next with the statements compiled
    for them; made anew after a copy that failed. The database's connection is not kept
    (``done``): each copy connects anew, and so also tells whether a new connection can
    be had (a database that refuses them, while connections it already has still answer,
    is away)."""

    def __init__(self) -> None:
        self._sources: dict[str, AsyncEngine] = {}
        self._targets: dict[Path, AsyncEngine] = {}

    def source(self, url: str) -> AsyncEngine:
        if url not in self._sources:
            self._sources[url] = build_engine(url, pool_size=1)
        return self._sources[url]

    def target(self, path: Path) -> AsyncEngine:
        if path not in self._targets:
            self._targets[path] = build_engine(f"sqlite+aiosqlite:///{path}")
        return self._targets[path]

    async def done(self) -> None:
        """A copy is over: close the database's connection, keep the mirror's."""
        for engine in self._sources.values():
            await engine.dispose()

    async def dispose(self) -> None:
        await self.done()
        for engine in self._targets.values():
            await engine.dispose()
        self._sources, self._targets = {}, {}


async def copy_database(
    source: AsyncEngine, target: AsyncEngine, started: datetime, *, since: int | None
) -> Copied:
    """Copy the database of ``source`` into the mirror of ``target``: only what changed
    since the copy whose snapshot gave ``since``, else all of it. A copy since that the
    mirror cannot take (two rows that traded a unique value) is made whole."""
    if since is not None:
        try:
            return await _copy(source, target, started, since)
        except IntegrityError:
            pass
    return await _copy(source, target, started, None)


async def _copy(
    source_engine: AsyncEngine, target_engine: AsyncEngine, started: datetime, since: int | None
) -> Copied:
    tables = mirrored_tables()
    async with source_engine.connect() as source:
        source = await source.execution_options(isolation_level="REPEATABLE READ")
        async with source.begin():
            next_since = int(await source.scalar(_SNAPSHOT_XMIN))  # fixes the snapshot
            if since is not None and next_since < since:
                since = None  # not the database of the last copy (restored, replaced)
            if since is None:
                reads = [_Read(t, await _all_rows(source, t)) for t in tables]
            else:
                async with target_engine.connect() as mirror:
                    counted = await _counts(source, tables)
                    held = await _counts(mirror, tables)
                    reads = [
                        await _changes(source, mirror, t, since, counted=c, held=h)
                        for t, c, h in zip(tables, counted, held, strict=True)
                    ]
    async with target_engine.execution_options(**WRITE).begin() as mirror:
        await mirror.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
        if since is None:
            for table in reversed(tables):
                await mirror.execute(delete(table))
        for read in reversed(reads):
            for keys in _batches(read.deleted, KEYS_BATCH):
                await mirror.execute(delete(read.table).where(_key_in(read.table, keys)))
        written = 0
        for read in reads:
            statement = insert(read.table) if since is None else _upsert(read.table)
            for rows in _batches(read.rows, COPY_BATCH):
                await mirror.execute(statement, rows)
                written += len(rows)
        await mirror.execute(delete(SYNC_STATE))
        await mirror.execute(insert(SYNC_STATE), {"id": 1, "synced_at": started})
    return Copied(since=next_since, rows=written, whole=since is None)


async def _all_rows(source: AsyncConnection, table: Table) -> list[Row]:
    rows: list[Row] = []
    read = await source.stream(select(table))
    async for batch in read.mappings().partitions(COPY_BATCH):
        rows.extend(dict(row) for row in batch)
    return rows


async def _counts(conn: AsyncConnection, tables: list[Table]) -> list[int]:
    """How many rows each table holds, in one statement."""
    counts = [select(func.count()).select_from(t).scalar_subquery() for t in tables]
    return list((await conn.execute(select(*counts))).one())


async def _changes(
    source: AsyncConnection,
    mirror: AsyncConnection,
    table: Table,
    since: int,
    *,
    counted: int,
    held: int,
) -> _Read:
    """The rows of ``table`` written since ``since``, and the keys the mirror holds that
    the database no longer does (it ``counted`` rows, and the mirror ``held``)."""
    written = select(table).where(_WRITTEN_SINCE.bindparams(since=since % (1 << 32)))
    read = _Read(table, [dict(row) for row in (await source.execute(written)).mappings()])
    key = list(table.primary_key.columns)
    changed = [tuple(row[c.key] for c in key) for row in read.rows]
    known = 0
    for keys in _batches(changed, KEYS_BATCH):
        found = select(func.count()).select_from(table).where(_key_in(table, keys))
        known += await mirror.scalar(found) or 0
    if counted != held - known + len(changed):  # rows were deleted since
        present = {tuple(k) for k in await source.execute(select(*key))}
        kept = [tuple(k) for k in await mirror.execute(select(*key))]
        read.deleted = [k for k in kept if k not in present]
    return read


def _upsert(table: Table) -> Any:
    """An insert that overwrites the row already under its key."""
    statement = sqlite_insert(table)
    key = [c.name for c in table.primary_key.columns]
    others = {c.name: statement.excluded[c.name] for c in table.columns if not c.primary_key}
    if not others:
        return statement.on_conflict_do_nothing(index_elements=key)
    return statement.on_conflict_do_update(index_elements=key, set_=others)


def _key_in(table: Table, keys: Sequence[Key]) -> Any:
    columns = list(table.primary_key.columns)
    if len(columns) == 1:
        return columns[0].in_([k[0] for k in keys])
    return tuple_(*columns).in_(keys)


def _batches(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
