"""``query_work_item`` with hierarchy: a 5-level tree of 340 descendants, then 100,000 others.

    python -m bench.hierarchy_query [--backend sqlite|postgresql|both] [--iterations 500]
                                    [--others 100000]

Times ``work_items.get_hierarchy`` for the root (every descendant, with depth and
dependencies) and for a leaf four levels down (its four ancestors), first with the tree
alone in the account and again after bulk-loading other trees into the same account.
"""

from __future__ import annotations

import argparse
import uuid
from dataclasses import dataclass

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
    uncached_work_items,
)
from bench.generate import load_work_items
from workledger.schemas.work_item import WorkItemCreate
from workledger.services.work_item import WorkItemService

TARGET = Target(ours_ms=3.0, design_ms=10.0)
# A leaf's first read after a commit has a tighter bound of its own.
LEAF_TARGETS = {CACHED: TARGET, AFTER_COMMIT: Target(ours_ms=1.5, design_ms=10.0)}
FAN_OUT = 4
LEVELS = 5  # depths 0-4: 1 + 4 + 16 + 64 + 256 items
# "Unchanged" with the other items: p95 within this factor of the tree-alone p95.
UNCHANGED_FACTOR = 1.25
ITEM_TYPE_AT_DEPTH = ("project", "session", "task", "task", "task")


@dataclass(frozen=True)
class Tree:
    root: uuid.UUID
    leaf: uuid.UUID
    size: int
    dependencies: int


async def build_tree(app: App) -> Tree:
    """The tree through the service, level by level; some items depend on a sibling."""
    service, actor = app.container.work_items, app.actor
    root = await service.create(
        actor=actor, data=WorkItemCreate.load({"item_type": "project", "title": "Bench root"})
    )
    level = [root.id]
    size, edges = 1, 0
    for depth in range(1, LEVELS):
        below: list[uuid.UUID] = []
        for parent in level:
            for n in range(FAN_OUT):
                data: dict[str, object] = {
                    "item_type": ITEM_TYPE_AT_DEPTH[depth],
                    "title": f"Level {depth} item {len(below)}",
                    "parent_id": str(parent),
                    "priority": ("critical", "high", "medium", "low")[n],
                    "tags": ["bench", f"level-{depth}"],
                }
                if n and n % 2 == 0:
                    # Every other child waits on its previous sibling; odd ones block nothing.
                    kind = "depends_on" if depth % 2 else "blocks"
                    data["dependencies"] = [
                        {"depends_on_id": str(below[-1]), "dependency_type": kind}
                    ]
                    edges += 1
                item = await service.create(actor=actor, data=WorkItemCreate.load(data))
                below.append(item.id)
        size += len(below)
        level = below
    return Tree(root=root.id, leaf=level[-1], size=size, dependencies=edges)


async def measure_tree(app: App, tree: Tree, *, label: str, iterations: int) -> list[Stats]:
    """The container's service (read cache on), and one without the cache: the second
    shows the database path, which every read after any commit takes."""
    uncached = uncached_work_items(app)
    results = []
    for path, service in ((CACHED, app.container.work_items), (AFTER_COMMIT, uncached)):

        async def root_query(service: WorkItemService = service) -> object:
            answer = await service.get_hierarchy(
                actor=app.actor, item_id=tree.root, max_depth=LEVELS
            )
            assert len(answer.descendants or []) == tree.size - 1
            return answer

        async def leaf_query(service: WorkItemService = service) -> object:
            answer = await service.get_hierarchy(
                actor=app.actor, item_id=tree.leaf, max_depth=LEVELS
            )
            assert len(answer.ancestors or []) == LEVELS - 1
            return answer

        for row, call, target in (
            (f"hierarchy root, {tree.size - 1} descendants{label}", root_query, TARGET),
            (f"hierarchy leaf, 4 ancestors{label}", leaf_query, LEAF_TARGETS[path]),
        ):
            results.append(
                await measure(
                    row, path=path, backend=app.backend, call=call, n=iterations, target=target
                )
            )
    return results


async def bench_backend(
    backend: str, *, iterations: int, others: int, keep: bool, analyze: bool
) -> list[Stats]:
    async with scratch_database(backend, keep=keep) as url, open_app(url) as app:
        tree = await build_tree(app)
        print(
            f"tree: {tree.size} items over {LEVELS} levels, {tree.dependencies} dependencies "
            f"({backend})",
            flush=True,
        )
        alone = await measure_tree(app, tree, label="", iterations=iterations)
        report = await load_work_items(app, count=others, analyze=analyze)
        print(report.line(), flush=True)
        crowded = await measure_tree(
            app, tree, label=f", +{others:,} other items", iterations=iterations
        )
        for before, after in zip(alone, crowded, strict=True):
            ratio = after.p95 / before.p95
            verdict = "unchanged" if ratio < UNCHANGED_FACTOR else "CHANGED"
            print(f"  {after.name}: p95 x{ratio:.2f} vs alone -> {verdict}", flush=True)
        return alone + crowded


async def run(args: argparse.Namespace) -> list[Stats]:
    banner(
        f"hierarchy_query: work_items.get_hierarchy, {args.iterations} iterations, "
        f"then +{args.others:,} other items"
    )
    results: list[Stats] = []
    for backend in selected_backends(args.backend):
        results += await bench_backend(
            backend,
            iterations=args.iterations,
            others=args.others,
            keep=args.keep,
            analyze=not args.no_analyze,
        )
    return results


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench.hierarchy_query",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_backend_arguments(p)
    p.add_argument("--iterations", type=int, default=500)
    p.add_argument("--others", type=int, default=100_000, help="other work items to add")
    p.add_argument(
        "--no-analyze",
        action="store_true",
        help="leave the planner without statistics after adding the others",
    )
    return p


main = command_line(run, parser)


if __name__ == "__main__":
    main()
