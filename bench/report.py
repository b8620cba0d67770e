"""The status report: 45 vendors, 50 work items, 20 deployments, 8 enhancements, and ten times that.

    python -m bench.report [--backend sqlite|postgresql|both] [--scale 1 10]
                           [--iterations 200] [--breakdown] [--profile]

Times ``status.report`` (the call behind ``workledger report``, the MCP tool
get_project_status, the resource workledger://status and ``GET /api/v1/status``): one
read of the whole account and the Jinja render of ``.project_status.md``. Each scale gets
a fresh database seeded through the services: vendors with mixed health, a work item tree
of a few projects down to five levels with dependencies, deployments linking 3 vendors
and 2 work items each, and enhancements, some of them completed.

``--breakdown`` then splits each report into SQL statements, the Jinja render and the
rest (sessions, ORM rows, schema conversions); ``--profile`` runs it under cProfile.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jinja2
from sqlalchemy import Engine, event

from bench.common import (
    AFTER_COMMIT,
    CACHED,
    App,
    Stats,
    Target,
    add_backend_arguments,
    banner,
    command_line,
    measure,
    open_app,
    scratch_database,
    selected_backends,
)
from bench.vendor_query import seed_vendors, vendor_names
from workledger.db.change_watcher import NoWatcher
from workledger.db.types import utcnow
from workledger.schemas.deployment import DeploymentCreate
from workledger.schemas.enhancement import EnhancementCreate
from workledger.schemas.status import StatusReport
from workledger.schemas.work_item import MAX_DEPTH, WorkItemCreate
from workledger.services.read_cache import ReadCache
from workledger.services.status import StatusService

# The design's data set; --scale multiplies every count.
VENDORS, WORK_ITEMS, DEPLOYMENTS, ENHANCEMENTS = 45, 50, 20, 8
PROJECTS = 3
DEPENDENCY_SHARE = 0.3  # ~15 of 50 items depend on an earlier one
VENDORS_PER_DEPLOYMENT, ITEMS_PER_DEPLOYMENT = 3, 2
TARGETS = {1: Target(ours_ms=15.0, design_ms=100.0), 10: Target(ours_ms=100.0)}
PRIORITIES = ("critical", "high", "medium", "low")
ITEM_STATUSES = ("active",) * 5 + ("completed",) * 3 + ("blocked",) * 2
ENHANCEMENT_STATUSES = ("planned", "planned", "approved", "implementing", "completed")
QUARTERS = ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4", "2027-Q1", None)
TYPES_BELOW = ("task",) * 6 + ("research",) * 2 + ("session",) * 2


@dataclass(frozen=True)
class Seeded:
    vendors: int
    work_items: int
    levels: int
    dependencies: int
    deployments: int
    enhancements: int
    seconds: float

    def line(self, backend: str) -> str:
        return (
            f"seeded {self.vendors} vendors, {self.work_items} work items ({self.levels} "
            f"levels, {self.dependencies} dependencies), {self.deployments} deployments, "
            f"{self.enhancements} enhancements through the services in {self.seconds:.1f} s "
            f"({backend})"
        )


async def seed_work_items(
    app: App, count: int, *, projects: int, rng: random.Random
) -> tuple[list[uuid.UUID], int, int]:
    """A few project roots, then items under random earlier ones, five levels at most.

    The first items below the first project form a chain to the deepest level, so the
    report always holds a five-level branch. An item depends only on earlier items, so
    no dependency closes a cycle. Returns the ids, the levels and the dependency count."""
    ids: list[uuid.UUID] = []
    depths: list[int] = []
    edges = 0
    for n in range(count):
        data: dict[str, object] = {
            "status": rng.choice(ITEM_STATUSES),
            "priority": rng.choice(PRIORITIES),
            "tags": rng.sample(("bench", "report", "backend", "ui", "docs"), rng.randint(0, 2)),
        }
        if n < projects:
            data |= {"item_type": "project", "title": f"Project {n}"}
            depth = 0
        else:
            chain = n - projects < MAX_DEPTH
            parent = (
                (0 if n == projects else n - 1)
                if chain
                else rng.choice([i for i, d in enumerate(depths) if d < MAX_DEPTH])
            )
            item_type = rng.choice(TYPES_BELOW)
            data |= {
                "item_type": item_type,
                "title": f"{item_type.capitalize()} {n}: report benchmark item",
                "parent_id": str(ids[parent]),
            }
            depth = depths[parent] + 1
            if rng.random() < DEPENDENCY_SHARE:
                target = rng.choice([i for i in range(n) if i != parent])
                kind = rng.choice(("depends_on", "depends_on", "blocks"))
                data["dependencies"] = [
                    {"depends_on_id": str(ids[target]), "dependency_type": kind}
                ]
                edges += 1
        item = await app.container.work_items.create(
            actor=app.actor, data=WorkItemCreate.load(data)
        )
        ids.append(item.id)
        depths.append(depth)
    return ids, max(depths) + 1, edges


async def seed_deployments(
    app: App, count: int, *, vendors: list[str], items: list[uuid.UUID], rng: random.Random
) -> None:
    """One deployment a day or so, newest first, each with 3 vendors and 2 work items."""
    now = utcnow()
    for n in range(count):
        failed = rng.choice((0, 0, 0, 1, 3))
        data = DeploymentCreate.load(
            {
                "pr_number": 1000 + n,
                "pr_title": f"PR {1000 + n}: extractor fixes and report polish",
                "commit_hash": f"{rng.getrandbits(160):040x}",
                "deployed_at": (
                    now - timedelta(days=n, hours=rng.randint(0, 20), minutes=rng.randint(0, 59))
                ).isoformat(),
                "test_summary": {
                    "passed": rng.randint(200, 900),
                    "failed": failed,
                    "skipped": rng.randint(0, 30),
                },
                "constitutional_compliance": failed == 0 and rng.random() < 0.9,
                "vendor_names": rng.sample(vendors, VENDORS_PER_DEPLOYMENT),
                "work_item_ids": [str(i) for i in rng.sample(items, ITEMS_PER_DEPLOYMENT)],
            }
        )
        await app.container.deployments.record(actor=app.actor, data=data)


async def seed_enhancements(app: App, count: int, *, rng: random.Random) -> None:
    earlier: list[uuid.UUID] = []
    for n in range(count):
        data = EnhancementCreate.load(
            {
                "title": f"Enhancement {n}: batch extraction",
                "description": "Planned work for the report benchmark.",
                "priority": rng.choice(PRIORITIES),
                "status": rng.choice(ENHANCEMENT_STATUSES),
                "target_quarter": rng.choice(QUARTERS),
                "constitutional_principles": rng.sample(("I", "II", "III", "IV"), 2),
                "depends_on": [str(rng.choice(earlier))] if earlier and rng.random() < 0.3 else [],
            }
        )
        enhancement = await app.container.enhancements.create(actor=app.actor, data=data)
        earlier.append(enhancement.id)


async def seed(app: App, *, scale: int, rng: random.Random) -> Seeded:
    started = time.perf_counter()
    names = vendor_names(VENDORS * scale)
    await seed_vendors(app, names, rng=rng)
    items, levels, edges = await seed_work_items(
        app, WORK_ITEMS * scale, projects=PROJECTS * scale, rng=rng
    )
    await seed_deployments(app, DEPLOYMENTS * scale, vendors=names, items=items, rng=rng)
    await seed_enhancements(app, ENHANCEMENTS * scale, rng=rng)
    return Seeded(
        vendors=len(names),
        work_items=len(items),
        levels=levels,
        dependencies=edges,
        deployments=DEPLOYMENTS * scale,
        enhancements=ENHANCEMENTS * scale,
        seconds=time.perf_counter() - started,
    )


async def bench_scale(backend: str, *, scale: int, args: argparse.Namespace) -> list[Stats]:
    rng = random.Random(args.seed)
    async with scratch_database(backend, keep=args.keep) as url, open_app(url) as app:
        seeded = await seed(app, scale=scale, rng=rng)
        print(seeded.line(backend), flush=True)

        async def report() -> StatusReport:
            return await app.container.status.report(actor=app.actor)

        # What the first report after any commit costs: the service without its cache.
        uncached_service = StatusService(app.container.db, read_cache=ReadCache(NoWatcher()))

        async def uncached() -> StatusReport:
            return await uncached_service.report(actor=app.actor)

        first = await report()
        assert first.counts.vendors == seeded.vendors, first.counts
        assert first.counts.deployments == seeded.deployments, first.counts
        print(
            f"report x{scale}: {first.markdown.count(chr(10))} lines, "
            f"{len(first.markdown.encode()):,} bytes; {first.counts.work_items} work items, "
            f"{first.counts.enhancements_pending} pending enhancements shown ({backend})",
            flush=True,
        )
        stats = [
            await measure(
                f"status report x{scale}",
                path=path,
                backend=backend,
                call=call,
                n=args.iterations,
                target=TARGETS.get(scale),
                warmup=max(5, args.iterations // 10),
            )
            for path, call in ((CACHED, report), (AFTER_COMMIT, uncached))
        ]
        if args.breakdown:
            await breakdown(app, uncached, iterations=args.iterations, scale=scale)
        if args.profile:
            await profile_report(uncached, iterations=args.iterations)
        return stats


@dataclass
class Probe:
    """Nanoseconds spent in SQL statements and in Jinja renders, and the statement count."""

    sql_ns: int = 0
    statements: int = 0
    render_ns: int = 0


@contextmanager
def probed(engine: Engine) -> Iterator[Probe]:
    """Time every statement (as the driver runs it, rows fetched included) and every
    Jinja render, without reaching into the service."""
    probe = Probe()
    original_render = jinja2.Template.render

    def render(self: jinja2.Template, *args: Any, **kwargs: Any) -> str:
        started = time.perf_counter_ns()
        try:
            return original_render(self, *args, **kwargs)
        finally:
            probe.render_ns += time.perf_counter_ns() - started

    def before(_conn: Any, _cursor: Any, _sql: str, _params: Any, context: Any, _m: bool) -> None:
        context.bench_started = time.perf_counter_ns()

    def after(_conn: Any, _cursor: Any, _sql: str, _params: Any, context: Any, _m: bool) -> None:
        probe.sql_ns += time.perf_counter_ns() - context.bench_started
        probe.statements += 1

    jinja2.Template.render = render  # type: ignore[method-assign]
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield probe
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
        jinja2.Template.render = original_render  # type: ignore[method-assign]


async def breakdown(
    app: App, call: Callable[[], Awaitable[object]], *, iterations: int, scale: int
) -> None:
    """Each report split into SQL, Jinja render and the rest: sessions, ORM rows, schema
    conversions and the service's own code."""
    parts: dict[str, list[float]] = {"total": [], "sql": [], "render": [], "rest": []}
    statements = 0
    with probed(app.container.db.engine.sync_engine) as probe:
        for _ in range(iterations):
            probe.sql_ns = probe.statements = probe.render_ns = 0
            started = time.perf_counter_ns()
            await call()
            total = (time.perf_counter_ns() - started) / 1e6
            sql, render = probe.sql_ns / 1e6, probe.render_ns / 1e6
            for name, value in zip(parts, (total, sql, render, total - sql - render), strict=True):
                parts[name].append(value)
            statements = probe.statements
    medians = "  ".join(f"{name} {statistics.median(v):7.3f}" for name, v in parts.items())
    print(
        f"  breakdown x{scale}, p50 ms over {iterations} calls: {medians}  "
        f"({statements} SQL statements a report)",
        flush=True,
    )


async def profile_report(call: Callable[[], Awaitable[object]], *, iterations: int) -> None:
    """cProfile over more reports, top functions by own time and by cumulative time.

    Coroutines are counted once per resumption: trust the times, not ncalls."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(iterations):
        await call()
    profiler.disable()
    stats = pstats.Stats(profiler)
    for key in ("tottime", "cumulative"):
        print(f"-- profile of {iterations} reports, top 25 by {key}", flush=True)
        stats.sort_stats(key).print_stats(25)


async def run(args: argparse.Namespace) -> list[Stats]:
    scales = ", ".join(f"x{s}" for s in args.scale)
    banner(
        f"report: status.report, {VENDORS} vendors, {WORK_ITEMS} work items, {DEPLOYMENTS} "
        f"deployments, {ENHANCEMENTS} enhancements at {scales}; {args.iterations} iterations"
    )
    results: list[Stats] = []
    for backend in selected_backends(args.backend):
        for scale in args.scale:
            results.extend(await bench_scale(backend, scale=scale, args=args))
    return results


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench.report",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_backend_arguments(p)
    p.add_argument(
        "--scale",
        type=int,
        nargs="+",
        default=[1, 10],
        help="multiples of the design's data set to run (default: 1 10)",
    )
    p.add_argument("--iterations", type=int, default=200)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument(
        "--breakdown",
        action="store_true",
        help="after timing, split each report into SQL, Jinja render and the rest",
    )
    p.add_argument(
        "--profile",
        action="store_true",
        help="after timing, run the reports under cProfile and print the top functions",
    )
    return p


main = command_line(run, parser)


if __name__ == "__main__":
    main()
