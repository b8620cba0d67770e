"""Every benchmark in one go, with a summary of all figures at the end.

    python -m bench.run_all [--items 1000000] [--list-database-url URL] [--skip-list]
                            [--json bench/results.json]

vendor_query, mcp_query, hierarchy_query, report (at 1x and 10x the design's data),
import_file (a 5 MB status file), ready_queue (100,000 items) and web_pages (1,000 items)
run on SQLite and PostgreSQL; list_scale runs on PostgreSQL
with ``--items`` generated work items (or on ``--list-database-url``).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from bench import (
    hierarchy_query,
    import_file,
    list_scale,
    mcp_query,
    readme_table,
    ready_queue,
    report,
    vendor_query,
    web_pages,
)
from bench.common import Stats, banner, command_line


async def run(args: argparse.Namespace) -> list[Stats]:
    started = time.perf_counter()
    results = await vendor_query.run(vendor_query.parser().parse_args(["--backend", "both"]))
    results += await mcp_query.run(mcp_query.parser().parse_args(["--backend", "both"]))
    results += await hierarchy_query.run(
        hierarchy_query.parser().parse_args(["--backend", "both", "--others", str(args.others)])
    )
    results += await report.run(report.parser().parse_args(["--backend", "both"]))
    results += await import_file.run(import_file.parser().parse_args(["--backend", "both"]))
    results += await ready_queue.run(ready_queue.parser().parse_args(["--backend", "both"]))
    results += await web_pages.run(web_pages.parser().parse_args(["--backend", "both"]))
    if not args.skip_list:
        list_args = ["--backend", "postgresql", "--items", str(args.items)]
        if args.list_database_url:
            list_args += ["--database-url", args.list_database_url]
        if args.explain:
            list_args.append("--explain")
        results += await list_scale.run(list_scale.parser().parse_args(list_args))
    banner(f"summary ({time.perf_counter() - started:.0f} s)")
    for stats in results:
        print(stats.line())
    misses = [s for s in results if s.target and s.p95 >= s.target.ours_ms]
    print(f"\n{len(results) - len(misses)} of {len(results)} measures meet our p95 target")
    if args.json:
        readme_table.save(results, args.json, load=os.getloadavg())
        print(f"saved the figures to {args.json}")
    return results


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench.run_all",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--items", type=int, default=1_000_000, help="work items for list_scale")
    p.add_argument("--others", type=int, default=100_000, help="other items for hierarchy")
    p.add_argument("--list-database-url", help="reuse a database filled by bench.generate")
    p.add_argument("--skip-list", action="store_true", help="leave list_scale out")
    p.add_argument("--explain", action="store_true", help="print list_scale's query plans")
    p.add_argument(
        "--json", type=Path, help="save the figures there, for python -m bench.readme_table"
    )
    return p


main = command_line(run, parser)


if __name__ == "__main__":
    main()
