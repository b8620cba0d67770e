"""The web pages' server time with 1,000 work items.

    python -m bench.web_pages [--backend postgresql|sqlite|both] [--iterations 200]

Seeds the report bench's data set at scale 1 (45 vendors, 50 work items in a tree, 20
deployments, 8 enhancements), then bulk-loads 950 more work items: 1,000 in all. Each
page is asked for through the real ASGI app (session cookie and all, no network), once
as it is served (the read cache on) and once as the first view after a commit, which is
what every open page asks for when the live signal tells it something changed. Target:
p95 < 50 ms per page.
"""

from __future__ import annotations

import argparse
import random

import httpx

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
from bench.generate import load_work_items
from bench.report import seed
from workledger.app import create_app
from workledger.container import Container
from workledger.db.change_watcher import NoWatcher
from workledger.schemas.work_item import WorkItemListQuery
from workledger.services.read_cache import ReadCache
from workledger.web.session import SESSION_COOKIE

TARGET = Target(ours_ms=50.0)
ITEMS = 1_000


def uncached(app: App) -> Container:
    """A second container on the same database whose reads no cache serves: what a
    page costs right after a commit. (Bench only: it sets the cache before first use.)"""
    container = Container.from_settings(app.container.settings)
    container.__dict__["read_cache"] = ReadCache(NoWatcher())
    return container


async def pages(app: App) -> list[str]:
    """The pages a person opens: overview, tree, board, ready queue, a filtered list,
    and one item's page (a task with dependencies, somewhere in the middle)."""
    listed = await app.container.work_items.list(
        actor=app.actor, query=WorkItemListQuery.load({"item_type": "task", "limit": 100})
    )
    item = listed.items[len(listed.items) // 2]
    return [
        "/",
        "/items",
        "/board",
        "/ready",
        "/items?type=task&status=active",
        f"/items/{item.id.hex[-8:]}",
    ]


async def bench_backend(args: argparse.Namespace, backend: str) -> list[Stats]:
    async with scratch_database(backend, keep=args.keep) as url, open_app(url) as app:
        seeded = await seed(app, scale=1, rng=random.Random(args.seed))
        await load_work_items(app, count=ITEMS - seeded.work_items)
        token = app.container.accounts.issue_access_token(app.actor.account_id).access_token
        cold = uncached(app)
        results: list[Stats] = []
        try:
            for path, container in ((CACHED, app.container), (AFTER_COMMIT, cold)):
                transport = httpx.ASGITransport(app=create_app(container))
                async with httpx.AsyncClient(
                    transport=transport,
                    base_url="http://bench",
                    cookies={SESSION_COOKIE: token},
                ) as client:
                    for page in await pages(app):

                        async def get(page: str = page) -> None:
                            answer = await client.get(page)
                            assert answer.status_code == 200, (page, answer.status_code)

                        results.append(
                            await measure(
                                "GET " + ("/items/{id}" if page.startswith("/items/") else page),
                                path=path,
                                backend=backend,
                                call=get,
                                n=args.iterations,
                                target=TARGET,
                            )
                        )
        finally:
            await cold.close()
        return results


async def run(args: argparse.Namespace) -> list[Stats]:
    banner(f"web_pages: {ITEMS:,} work items, every page through the ASGI app")
    results: list[Stats] = []
    for backend in selected_backends(args.backend):
        results += await bench_backend(args, backend)
    return results


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench.web_pages",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_backend_arguments(p)
    p.add_argument("--iterations", type=int, default=200)
    p.add_argument("--seed", type=int, default=7)
    return p


main = command_line(run, parser)

if __name__ == "__main__":
    main()
