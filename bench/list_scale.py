"""``list_work_items`` at scale: a page of 50 with a filter among 1,000,000 items.

    python -m bench.list_scale [--backend postgresql|sqlite|both] [--items 1000000]
                               [--database-url URL] [--iterations 100] [--explain]

For each filter (``item_type=task``, ``status=active``) it times the first page, a page
reached by walking the cursor chain (to row 100,000 by default), a cursor page near the
end of the result, and offset pages (0, and 10,000: the deepest offset the service
accepts). The deep cursors are built from one SQL query for the row's sort key, checked
against the walked cursor. With ``--database-url`` it reuses a database filled by
``python -m bench.generate``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.common import (
    AFTER_COMMIT,
    App,
    Stats,
    Target,
    add_backend_arguments,
    backend_of,
    banner,
    command_line,
    measure,
    open_app,
    scratch_database,
    selected_backends,
    uncached_work_items,
)
from bench.generate import load_work_items
from workledger.models import WorkItem
from workledger.repositories.paging import Keyset
from workledger.schemas.work_item import MAX_OFFSET, WorkItemListQuery

TARGET = Target(ours_ms=20.0)
PAGE = 50
WALK_PAGE = 100
FILTERS: dict[str, dict[str, str]] = {
    "item_type=task": {"item_type": "task"},
    "status=active": {"status": "active"},
}
OFFSETS = (0, MAX_OFFSET)
# The default order of a list: newest first, by (created_at, id).
NEWEST_FIRST = Keyset(name="created", columns=(), decoders=(), descending=True)


# --- pages ----------------------------------------------------------------------------------


def list_query(filters: dict[str, str], **paging: Any) -> WorkItemListQuery:
    return WorkItemListQuery.load({**filters, **paging})


async def matching(app: App, filters: dict[str, str]) -> int:
    page = await app.container.work_items.list(actor=app.actor, query=list_query(filters, limit=1))
    return page.total_count


async def walk(app: App, filters: dict[str, str], *, rows: int) -> str:
    """Follow ``next_cursor`` with pages of 100 until ``rows`` rows lie behind the cursor."""
    cursor: str | None = None
    seen = 0
    started = time.perf_counter()
    while seen < rows:
        paging: dict[str, Any] = {"limit": min(WALK_PAGE, rows - seen)}
        if cursor is not None:
            paging["cursor"] = cursor
        page = await app.container.work_items.list(
            actor=app.actor, query=list_query(filters, **paging)
        )
        seen += len(page.items)
        cursor = page.next_cursor
        if cursor is None:
            raise SystemExit(f"the result ended after {seen} rows, before {rows}")
    calls = -(-rows // WALK_PAGE)
    elapsed = time.perf_counter() - started
    print(
        f"  walked {rows:,} rows in {calls} pages of {WALK_PAGE}: {elapsed:.1f} s, "
        f"{elapsed / calls * 1000:.1f} ms a page",
        flush=True,
    )
    if cursor is None:
        raise SystemExit("walk at least one row")
    return cursor


async def cursor_at(app: App, filters: dict[str, str], *, row: int) -> str:
    """The cursor the service hands out after row ``row`` (0-based), from one SQL query."""
    stmt = (
        select(WorkItem.created_at, WorkItem.id)
        .where(WorkItem.ledger_id == app.actor.ledger_id, WorkItem.deleted_at.is_(None))
        .where(*(getattr(WorkItem, name) == value for name, value in filters.items()))
        .order_by(WorkItem.created_at.desc(), WorkItem.id.desc())
        .offset(row)
        .limit(1)
    )
    async with app.container.db.transaction(write=False) as session:
        created_at, item_id = (await session.execute(stmt)).one()
    return NEWEST_FIRST.encode([created_at, item_id])


# --- measuring ------------------------------------------------------------------------------


async def time_page(app: App, name: str, query: WorkItemListQuery, *, n: int, expect: int) -> Stats:
    service, actor = uncached_work_items(app), app.actor

    async def page() -> object:
        answer = await service.list(actor=actor, query=query)
        assert len(answer.items) == expect, (name, len(answer.items))
        return answer

    return await measure(
        f"list page of {PAGE}, {name}",
        path=AFTER_COMMIT,
        backend=app.backend,
        call=page,
        n=n,
        target=TARGET,
        warmup=min(5, n),
    )


async def bench_filter(
    app: App, label: str, filters: dict[str, str], *, iterations: int, walk_rows: int
) -> list[Stats]:
    total = await matching(app, filters)
    print(f"-- {label}: {total:,} matching rows", flush=True)
    few = max(5, iterations // 10)
    results = [
        await time_page(
            app, f"{label} first page", list_query(filters, limit=PAGE), n=iterations, expect=PAGE
        )
    ]
    if total > walk_rows + PAGE:
        walked = await walk(app, filters, rows=walk_rows)
        built = await cursor_at(app, filters, row=walk_rows - 1)
        if built != walked:
            print("  warning: the SQL-built cursor differs from the walked one", flush=True)
        query = list_query(filters, limit=PAGE, cursor=walked)
        name = f"{label} cursor page {walk_rows // PAGE + 1}"
        results.append(await time_page(app, name, query, n=iterations, expect=PAGE))
    deep_row = total - 2 * PAGE
    if deep_row > walk_rows:
        query = list_query(filters, limit=PAGE, cursor=await cursor_at(app, filters, row=deep_row))
        name = f"{label} cursor page {deep_row // PAGE + 1} (end)"
        results.append(await time_page(app, name, query, n=iterations, expect=PAGE))
    for offset in OFFSETS:
        at = min(offset, max(total - PAGE, 0))
        query = list_query(filters, limit=PAGE, offset=at)
        n = iterations if at < 100_000 else few
        expect = min(PAGE, total - at)
        results.append(await time_page(app, f"{label} offset {at:,}", query, n=n, expect=expect))
    return results


# --- EXPLAIN ----------------------------------------------------------------------------------


@contextmanager
def captured_sql(engine: AsyncEngine) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Connection, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)


async def explain(app: App, title: str, query: WorkItemListQuery) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) every SELECT the service runs for ``query``."""
    engine = app.container.db.engine
    with captured_sql(engine) as statements:
        await app.container.work_items.list(actor=app.actor, query=query)
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if app.backend == "postgresql" else "EXPLAIN QUERY PLAN "
    for statement, parameters in statements:
        if not statement.lstrip().upper().startswith("SELECT"):
            continue
        print(f"\n-- {title} ({app.backend})\n{statement}\n-- parameters: {parameters}")
        async with engine.connect() as conn:
            plan = await conn.exec_driver_sql(prefix + statement, parameters)
            for row in plan:
                print("   " + " | ".join(str(v) for v in row))


async def explain_all(app: App, *, walk_rows: int) -> None:
    banner(f"EXPLAIN ({app.backend})")
    for label, filters in FILTERS.items():
        await explain(app, f"{label} first page", list_query(filters, limit=PAGE))
        deep = await cursor_at(app, filters, row=walk_rows - 1)
        await explain(app, f"{label} cursor deep", list_query(filters, limit=PAGE, cursor=deep))
        await explain(
            app,
            f"{label} offset {MAX_OFFSET:,}",
            list_query(filters, limit=PAGE, offset=MAX_OFFSET),
        )


# --- entry points -----------------------------------------------------------------------------


@asynccontextmanager
async def filled_app(args: argparse.Namespace, backend: str) -> AsyncIterator[App]:
    if args.database_url:
        async with open_app(args.database_url) as app:
            yield app
        return
    async with scratch_database(backend, keep=args.keep) as url, open_app(url) as app:
        report = await load_work_items(app, count=args.items)
        print(report.line(), flush=True)
        yield app


async def bench_backend(args: argparse.Namespace, backend: str) -> list[Stats]:
    results: list[Stats] = []
    async with filled_app(args, backend) as app:
        everything = await matching(app, {})
        print(f"{everything:,} live work items in the account ({app.backend})", flush=True)
        for label, filters in FILTERS.items():
            results += await bench_filter(
                app, label, filters, iterations=args.iterations, walk_rows=args.walk_rows
            )
        if args.explain:
            await explain_all(app, walk_rows=args.walk_rows)
    return results


async def run(args: argparse.Namespace) -> list[Stats]:
    backends = [backend_of(args.database_url)] if args.database_url else None
    backends = backends or selected_backends(args.backend)
    banner(f"list_scale: work_items.list, pages of {PAGE}, {args.iterations} iterations")
    results: list[Stats] = []
    for backend in backends:
        results += await bench_backend(args, backend)
    return results


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench.list_scale",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_backend_arguments(p, default="postgresql")
    p.add_argument("--items", type=int, default=1_000_000, help="work items to generate")
    p.add_argument("--database-url", help="reuse a database filled by bench.generate")
    p.add_argument("--iterations", type=int, default=100)
    p.add_argument(
        "--walk-rows", type=int, default=100_000, help="how deep to walk the cursor chain"
    )
    p.add_argument("--explain", action="store_true", help="print the query plans too")
    return p


main = command_line(run, parser)


if __name__ == "__main__":
    main()
