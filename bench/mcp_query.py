"""``query_vendor_status`` by name through an in-process MCP client: 45 vendors.

python -m bench.mcp_query [--backend sqlite|postgresql|both] [--iterations 2000]

The same call as ``bench.vendor_query``, through the MCP SDK's own client connected to
``WorkledgerMCP`` in memory: mode "auto" (the 2026-07-28 protocol, dispatched directly)
and mode "legacy" (the initialize handshake, JSON-RPC over memory streams). The difference
from the service figure is what the MCP door costs.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Iterator

from mcp.client.client import Client
from mcp_types import CallToolResult, Implementation

from bench.common import (
    CACHED,
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
from bench.vendor_query import VENDORS, seed_vendors, vendor_names
from workledger.mcp.server import WorkledgerMCP

TARGET = Target(ours_ms=2.0)
MODES = ("auto", "legacy")
TOOL = "query_vendor_status"


def checked(result: CallToolResult) -> CallToolResult:
    """A benchmark of error answers would be meaningless: stop at the first one."""
    if result.is_error:
        raise SystemExit(f"{TOOL} failed: {result.content}")
    return result


async def bench_backend(backend: str, *, iterations: int, keep: bool, seed: int) -> list[Stats]:
    rng = random.Random(seed)
    async with scratch_database(backend, keep=keep) as url, open_app(url) as app:
        names = vendor_names()
        await seed_vendors(app, names, rng=rng)
        results = []
        for mode in MODES:
            server = WorkledgerMCP(app.container, actor=app.actor)
            info = Implementation(name="bench", version="1")
            async with Client(server, client_info=info, mode=mode) as client:
                picks = iter([rng.choice(names) for _ in range(iterations * 2)])

                async def by_name(client: Client = client, picks: Iterator[str] = picks) -> object:
                    return checked(await client.call_tool(TOOL, {"name": next(picks)}))

                print(f"mode {mode}: protocol {client.protocol_version}", flush=True)
                results.append(
                    await measure(
                        f"MCP {TOOL} by name, in-process client, {mode}",
                        path=CACHED,
                        backend=backend,
                        call=by_name,
                        n=iterations,
                        target=TARGET,
                        warmup=iterations // 2,
                    )
                )
        return results


async def run(args: argparse.Namespace) -> list[Stats]:
    banner(
        f"mcp_query: {VENDORS} vendors, {TOOL}(name=...) through an in-process MCP client, "
        f"{args.iterations} iterations"
    )
    results: list[Stats] = []
    for backend in selected_backends(args.backend):
        results += await bench_backend(
            backend, iterations=args.iterations, keep=args.keep, seed=args.seed
        )
    return results


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.mcp_query", description=__doc__)
    add_backend_arguments(p)
    p.add_argument("--iterations", type=int, default=2000)
    p.add_argument("--seed", type=int, default=42)
    return p


main = command_line(run, parser)


if __name__ == "__main__":
    main()
