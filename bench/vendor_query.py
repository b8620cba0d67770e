"""``query_vendor_status`` by name: 45 vendors, the service call, random names.

python -m bench.vendor_query [--backend sqlite|postgresql|both] [--iterations 2000]
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Iterator

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
from workledger.db.change_watcher import NoWatcher
from workledger.schemas.vendor import VendorCreate
from workledger.services.read_cache import ReadCache
from workledger.services.vendor import VendorService

VENDORS = 45
TARGET = Target(ours_ms=0.3, design_ms=1.0)
FORMATS = ("excel", "csv", "pdf", "ocr")


def vendor_names(count: int = VENDORS) -> list[str]:
    return [f"vendor-{i:02d}" for i in range(count)]


async def seed_vendors(app: App, names: list[str], *, rng: random.Random) -> None:
    for name in names:
        total = rng.randint(20, 400)
        skipped = rng.randint(0, total // 10)
        data = VendorCreate.load(
            {
                "name": name,
                "status": rng.choice(("operational", "operational", "operational", "broken")),
                "test_results": {
                    "passing": rng.randint(0, total - skipped),
                    "total": total,
                    "skipped": skipped,
                },
                "format_support": {fmt: rng.random() < 0.5 for fmt in FORMATS},
                "extractor_version": f"{rng.randint(1, 4)}.{rng.randint(0, 20)}.0",
                "manifest_compliant": rng.random() < 0.8,
            }
        )
        await app.container.vendors.create(actor=app.actor, data=data)


async def bench_backend(backend: str, *, iterations: int, keep: bool, seed: int) -> list[Stats]:
    rng = random.Random(seed)
    async with scratch_database(backend, keep=keep) as url, open_app(url) as app:
        names = vendor_names()
        await seed_vendors(app, names, rng=rng)
        results = []
        for path, service in services(app):
            picks = iter([rng.choice(names) for _ in range(iterations * 2)])

            async def by_name(
                service: VendorService = service, picks: Iterator[str] = picks
            ) -> object:
                return await service.get(actor=app.actor, name=next(picks))

            results.append(
                await measure(
                    f"vendor by name, {VENDORS} vendors",
                    path=path,
                    backend=backend,
                    call=by_name,
                    n=iterations,
                    target=TARGET,
                    warmup=iterations // 2,
                )
            )
        return results


def services(app: App) -> list[tuple[str, VendorService]]:
    """The container's service, and (when the service has a read cache) one without it.

    The second shows what a cache miss costs: every read after any commit is one."""
    uncached = VendorService(app.container.db, read_cache=ReadCache(NoWatcher()))
    return [(CACHED, app.container.vendors), (AFTER_COMMIT, uncached)]


async def run(args: argparse.Namespace) -> list[Stats]:
    banner(f"vendor_query: {VENDORS} vendors, vendors.get(name=...), {args.iterations} iterations")
    results: list[Stats] = []
    for backend in selected_backends(args.backend):
        results += await bench_backend(
            backend, iterations=args.iterations, keep=args.keep, seed=args.seed
        )
    return results


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.vendor_query", description=__doc__)
    add_backend_arguments(p)
    p.add_argument("--iterations", type=int, default=2000)
    p.add_argument("--seed", type=int, default=42)
    return p


main = command_line(run, parser)


if __name__ == "__main__":
    main()
