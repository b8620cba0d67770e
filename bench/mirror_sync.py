"""What keeping the mirror costs (docs/reference/outage.md): a whole copy of the database
into the SQLite mirror, a copy of what changed since the last, and what whole copies do to
reads served beside them.

python -m bench.mirror_sync [--items 1000 10000] [--copies 10] [--reads 2000]

PostgreSQL only (SQLite needs no mirror). For each size: the p50/p95/p99 of a whole copy
and of a copy since the last after 100 new work items, then the p50/p95/p99 of reading
one work item by id, alone and while whole copies run as the server paces them (a copy,
then a pause of at least ten times its CPU time). The copies are made by the copier's
helper process, as in a server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import shutil
import tempfile
import time
from pathlib import Path

from bench.common import (
    UNCACHED,
    App,
    banner,
    command_line,
    measure,
    open_app,
    percentiles,
    scratch_database,
)
from bench.generate import load_work_items
from workledger.fallback.loop import COPY_SHARE, TICK_SECONDS
from workledger.fallback.mirror import MIRROR_FILE, Mirror
from workledger.schemas.work_item import WorkItemListQuery


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.mirror_sync", description=__doc__)
    parser.add_argument("--items", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--reads", type=int, default=2000)
    return parser


def size(path: Path) -> int:
    """The mirror's bytes, its write-ahead log included."""
    return sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())


CHANGED_BETWEEN_COPIES = 100


async def copies(app: App, mirror: Mirror, n: int, *, whole: bool) -> list[float]:
    """``n`` copies, each timed; before each copy since the last, 100 new work items."""
    taken = []
    for round_number in range(n):
        if not whole:
            seed = 1000 + round_number
            await load_work_items(app, count=CHANGED_BETWEEN_COPIES, seed=seed, analyze=False)
        started = time.perf_counter()
        await mirror.copy_from(app.url, whole=whole)
        taken.append((time.perf_counter() - started) * 1000)
    return taken


async def paced_copies(app: App, mirror: Mirror) -> None:
    """Copy whole for ever, paced as fallback/loop.py paces its copies."""
    while True:
        await mirror.copy_from(app.url, whole=True)
        await asyncio.sleep(max(TICK_SECONDS, mirror.last_copy_seconds / COPY_SHARE))


async def run_size(app: App, items: int, args: argparse.Namespace) -> None:
    await load_work_items(app, count=items)
    page = await app.container.work_items.list(
        actor=app.actor, query=WorkItemListQuery.load({"limit": 100})
    )
    ids = [item.id for item in page.items]
    rng = random.Random(7)
    directory = Path(tempfile.mkdtemp(prefix="workledger_bench_mirror_"))
    mirror = Mirror(directory / MIRROR_FILE, ttl_seconds=1800)
    try:
        await mirror.open()
        for label, whole in (("whole copy", True), ("copy since the last", False)):
            taken = await copies(app, mirror, args.copies, whole=whole)
            p50, p95, p99 = percentiles(taken)
            what = "" if whole else f" after {CHANGED_BETWEEN_COPIES} new ones"
            print(
                f"{label}, {items:,} work items{what}: n={len(taken)} p50={p50:.1f} "
                f"p95={p95:.1f} p99={p99:.1f} ms ({size(mirror.path) / 1e6:.1f} MB)",
                flush=True,
            )

        async def read() -> None:
            await app.container.work_items.get(actor=app.actor, item_id=rng.choice(ids))

        row = f"work item by id, {items:,} items"
        for label in (row, f"{row}, copies running"):
            copier = None if label == row else asyncio.create_task(paced_copies(app, mirror))
            try:
                await measure(
                    label, path=UNCACHED, backend="postgresql", call=read, n=args.reads, target=None
                )
            finally:
                if copier is not None:
                    copier.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await copier
    finally:
        await mirror.dispose()
        shutil.rmtree(directory, ignore_errors=True)


async def run(args: argparse.Namespace) -> None:
    for items in args.items:
        banner(f"mirror sync: {items:,} work items, PostgreSQL")
        async with scratch_database("postgresql") as url, open_app(url) as app:
            await run_size(app, items, args)


main = command_line(run, parser)

if __name__ == "__main__":
    main()
