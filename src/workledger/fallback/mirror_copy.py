"""What one copy of the database into the mirror does (run in the copier's helper process).

A copy reads every mirrored table in one snapshot of the database and replaces the
mirror's rows with them. Every row is read before the mirror's write transaction begins,
so the mirror's write lock, which journaled writes need too, is never held while the
database is slow to answer; readers of the mirror see the old copy until the new one
commits."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Integer, MetaData, Table, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from workledger.db.engine import WRITE, build_engine
from workledger.db.types import UTCDateTime
from workledger.models import Base

# Rows read, and written, per statement: few statements, bounded memory per batch.
COPY_BATCH = 1000

# The mirror's own bookkeeping, beside the copied tables (not part of the schema): when
# its data last matched the database.
SYNC_STATE = Table(
    "workledger_mirror",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("synced_at", UTCDateTime, nullable=False),
)

Row = dict[str, Any]


def mirrored_tables() -> list[Table]:
    """Parents before children."""
    return [t for t in Base.metadata.sorted_tables if t.info.get("mirrored", True)]


class Engines:
    """The copy's two engines, kept from one copy to the next with the statements
    compiled for them; made anew after a copy that failed. The database's connection is
    not kept (``done``): each copy connects anew, and so also tells whether a new
    connection can be had (a database that refuses them, while connections it already
    has still answer, is away)."""

    def __init__(self) -> None:
        self._made: dict[str, AsyncEngine] = {}

    def source(self, url: str) -> AsyncEngine:
        return self._engine(url, pool_size=1)

    def target(self, path: Path) -> AsyncEngine:
        return self._engine(f"sqlite+aiosqlite:///{path}")

    def _engine(self, url: str, **options: Any) -> AsyncEngine:
        if url not in self._made:
            self._made[url] = build_engine(url, **options)
        return self._made[url]

    async def done(self) -> None:
        """A copy is over: close the database's connection, keep the mirror's."""
        for url, engine in self._made.items():
            if not url.startswith("sqlite"):
                await engine.dispose()

    async def dispose(self) -> None:
        made, self._made = self._made, {}
        for engine in made.values():
            await engine.dispose()


async def copy_database(
    source_engine: AsyncEngine, target_engine: AsyncEngine, started: datetime
) -> int:
    """Replace the mirror of ``target_engine`` with one snapshot of the database of
    ``source_engine``; the rows written."""
    tables = mirrored_tables()
    async with source_engine.connect() as source:
        source = await source.execution_options(isolation_level="REPEATABLE READ")
        async with source.begin():
            reads = [await _all_rows(source, t) for t in tables]
    async with target_engine.execution_options(**WRITE).begin() as mirror:
        await mirror.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
        for table in reversed(tables):
            await mirror.execute(delete(table))
        written = 0
        for table, rows in zip(tables, reads, strict=True):
            for start in range(0, len(rows), COPY_BATCH):
                await mirror.execute(insert(table), rows[start : start + COPY_BATCH])
            written += len(rows)
        await mirror.execute(delete(SYNC_STATE))
        await mirror.execute(insert(SYNC_STATE), {"id": 1, "synced_at": started})
    return written


async def _all_rows(source: AsyncConnection, table: Table) -> list[Row]:
    rows: list[Row] = []
    read = await source.stream(select(table))
    async for batch in read.mappings().partitions(COPY_BATCH):
        rows.extend(dict(row) for row in batch)
    return rows
