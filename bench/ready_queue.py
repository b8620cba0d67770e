"""The ready queue at scale: ``list_work_items ready=true`` among 100,000 work items.

    python -m bench.ready_queue [--backend postgresql|sqlite|both] [--items 100000]
                                [--iterations 100]

The items are those of ``bench.generate`` (half active, a fifth claimed by one of two
agents); a third of them then depend on the item made seven before them, so that about
one active item in six waits on another. Times the first page of 50 (what an agent asks
for: the best next task), the second page by cursor, and the first page of ready tasks
only, each as the service answers it with its total count; then ``claim-next``: 16 agents
at once each taking the next ready item, over and over (every call timed, every item
taken once). Target: p95 < 20 ms (beads publishes 30 ms for its ``bd ready`` at 10,000
issues).
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid

from sqlalchemy import Uuid, bindparam, text

from bench.common import (
    AFTER_COMMIT,
    CACHED,
    UNCACHED,
    App,
    Stats,
    Target,
    add_backend_arguments,
    banner,
    command_line,
    measure,
    open_app,
    percentiles,
    scratch_database,
    selected_backends,
    uncached_work_items,
)
from bench.generate import load_work_items
from workledger.schemas.common import Actor
from workledger.schemas.work_item import ClaimNext, WorkItemListQuery
from workledger.services.work_item import WorkItemService

TARGET = Target(ours_ms=20.0)
PAGE = 50
CALLERS = 16  # agents taking the next item at once
LAG = 7  # each dependant waits on the item made this many before it
SHARE = {"postgresql": "random() < 0.33", "sqlite": "abs(random()) % 3 = 0"}


async def add_dependencies(app: App) -> int:
    """A third of the items depend on the one made LAG before them: one statement."""
    sql = f"""
        INSERT INTO work_item_dependencies (work_item_id, depends_on_id, dependency_type,
                                            created_at)
        SELECT id, earlier, 'depends_on', created_at FROM (
            SELECT id, created_at, lag(id, {LAG}) OVER (ORDER BY created_at, id) AS earlier
            FROM work_items WHERE ledger_id = :ledger
        ) AS items
        WHERE earlier IS NOT NULL AND {SHARE[app.backend]}
    """
    async with app.container.db.transaction() as session:
        statement = text(sql).bindparams(bindparam("ledger", type_=Uuid()))
        added = await session.execute(statement, {"ledger": app.actor.ledger_id})
    await app.container.work_items.recount(actor=app.actor)  # the edges came in raw
    if app.backend == "postgresql":
        # Outside a transaction; VACUUM sets the visibility map, as autovacuum soon would.
        async with app.container.db.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM (ANALYZE) work_items, work_item_dependencies"))
    else:
        async with app.container.db.transaction() as session:
            await session.execute(text("ANALYZE"))
    return int(getattr(added, "rowcount", 0))


async def ready_page(
    app: App, actor: Actor, service: WorkItemService | None = None, **query: object
) -> int:
    """The first page of ready items (from ``service``, else the app's, cache and all)."""
    page = await (service or app.container.work_items).list(
        actor=actor, query=WorkItemListQuery.load({"ready": True, "limit": PAGE, **query})
    )
    assert all(item.ready for item in page.items)
    return page.total_count


async def time_ready(
    app: App, name: str, *, n: int, cached: bool = False, **query: object
) -> Stats:
    """Answered by the read cache, or (as the first read after a commit) the database."""
    agent = app.actor.as_client("agent-a")
    service = app.container.work_items if cached else uncached_work_items(app)

    async def page() -> object:
        return await ready_page(app, agent, service, **query)

    return await measure(
        f"ready page of {PAGE}, {name}",
        path=CACHED if cached else AFTER_COMMIT,
        backend=app.backend,
        call=page,
        n=n,
        target=TARGET,
        warmup=min(5, n),
    )


async def time_claim_next(app: App, *, n: int) -> Stats:
    """CALLERS agents at once, each taking the next item again and again: every call
    timed, and every item taken once."""
    agents = [app.actor.as_client(f"agent-{k}") for k in range(CALLERS)]
    wanted = ClaimNext.load({})
    samples: list[float] = []
    taken: list[uuid.UUID] = []

    async def caller(agent: Actor, calls: int) -> None:
        for _ in range(calls):
            started = time.perf_counter_ns()
            item = await app.container.work_items.claim_next(actor=agent, wanted=wanted)
            samples.append((time.perf_counter_ns() - started) / 1e6)
            assert item is not None, "nothing left to take"
            taken.append(item.id)

    await asyncio.gather(*(caller(agent, max(1, n // 10 // CALLERS)) for agent in agents))
    samples.clear()  # the warm-up
    await asyncio.gather(*(caller(agent, max(1, n // CALLERS)) for agent in agents))
    if len(set(taken)) != len(taken):
        raise SystemExit(f"claim-next gave {len(taken) - len(set(taken))} items twice")
    p50, p95, p99 = percentiles(samples)
    stats = Stats(
        f"claim-next, {CALLERS} callers at once", UNCACHED, app.backend, len(samples), p50, p95,
        p99, TARGET,
    )  # fmt: skip
    print(f"{stats.line()}  ({len(taken):,} items, each taken once)", flush=True)
    return stats


async def bench_backend(args: argparse.Namespace, backend: str) -> list[Stats]:
    async with scratch_database(backend, keep=args.keep) as url, open_app(url) as app:
        print((await load_work_items(app, count=args.items)).line(), flush=True)
        edges = await add_dependencies(app)
        agent = app.actor.as_client("agent-a")
        ready = await ready_page(app, agent)
        print(f"{edges:,} dependencies; {ready:,} items ready for agent-a", flush=True)
        first = await app.container.work_items.list(
            actor=agent, query=WorkItemListQuery.load({"ready": True, "limit": PAGE})
        )
        return [
            await time_ready(app, "first", n=args.iterations, cached=True),
            await time_ready(app, "first", n=args.iterations),
            await time_ready(app, "second by cursor", n=args.iterations, cursor=first.next_cursor),
            await time_ready(app, "tasks only", n=args.iterations, item_type="task"),
            await time_claim_next(app, n=args.iterations * 4),
        ]


async def run(args: argparse.Namespace) -> list[Stats]:
    banner(f"ready_queue: {args.items:,} work items, pages of {PAGE}")
    results: list[Stats] = []
    for backend in selected_backends(args.backend):
        results += await bench_backend(args, backend)
    return results


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench.ready_queue",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_backend_arguments(p)
    p.add_argument("--items", type=int, default=100_000, help="work items to generate")
    p.add_argument("--iterations", type=int, default=100)
    return p


main = command_line(run, parser)

if __name__ == "__main__":
    main()
