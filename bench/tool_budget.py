"""What ``tools/list`` costs a model's context, for each set of tools WORKLEDGER_TOOLS
offers.

    python -m bench.tool_budget [--per-tool]

Starts the MCP server in-process for ``all``, ``core`` and ``read-only`` and asks the
SDK's own client (mode "auto": the 2026-07-28 protocol, whose answer is the longer) for
its tools. Prints, per set: the tools, the characters a model reads of them (each tool's
name, description and input schema as compact JSON, the measure of
tests/mcp/test_lean.py) and the whole ``tools/list`` answer as it travels (output
schemas and annotations too), against the goals docs/reference/mcp.md states: 12,000 and
40,000 with every tool, 5,000 model-visible with ``core``. The server's instructions,
which a client gives the model once beside the tools, are printed for the record.
``--per-tool`` adds each tool's share. Counts characters, not tokens: no tokenizer is
the one every client uses."""

from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp.client.client import Client
from mcp_types import Implementation, ListToolsResult, Tool

from bench.common import (
    BENCH_CLIENT,
    BENCH_EMAIL,
    BENCH_SECRET,
    banner,
    command_line,
    scratch_database,
)
from workledger.config import load_settings
from workledger.container import Container
from workledger.db import migrate
from workledger.mcp.registry import SETS
from workledger.mcp.server import WorkledgerMCP


@dataclass(frozen=True)
class Goal:
    """Bounds in characters, each to stay under; None: none set."""

    model_visible: int | None = None
    whole: int | None = None


GOALS = {"all": Goal(model_visible=12_000, whole=40_000), "core": Goal(model_visible=5_000)}


@dataclass(frozen=True)
class Budget:
    """One set of tools as a client is told of them."""

    selection: str
    tools: int
    model_visible: int
    whole: int
    goal: Goal

    def line(self) -> str:
        model_visible = measure(self.model_visible, self.goal.model_visible)
        whole = measure(self.whole, self.goal.whole)
        line = f"{self.selection:<10} {self.tools:>3} tools   model-visible {model_visible}   "
        return (line + f"tools/list {whole}").rstrip()

    @property
    def met(self) -> bool:
        return all(
            bound is None or value < bound
            for value, bound in (
                (self.model_visible, self.goal.model_visible),
                (self.whole, self.goal.whole),
            )
        )


def measure(value: int, bound: int | None) -> str:
    """``value`` and how it stands against ``bound``, in columns."""
    if bound is None:
        return f"{value:>7,} {'(no goal)':<17}"
    under = value < bound
    return f"{value:>7,} {'<' if under else '>=':<2} {bound:>6,} {'PASS' if under else 'MISS':<7}"


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def model_visible(tool: Tool) -> int:
    """What a model reads of one tool: its name, description and input schema."""
    return len(tool.name) + len(tool.description or "") + len(compact(tool.input_schema))


async def listed(url: str, selection: str, home: Path) -> tuple[ListToolsResult, str]:
    """``tools/list`` and the instructions of a server offering ``selection``."""
    settings = load_settings(
        database_url=url, data_dir=home / ".workledger", jwt_secret=BENCH_SECRET, tools=selection
    )
    container = Container.from_settings(settings)
    try:
        await migrate.upgrade(container.db.engine, quiet=True)  # a no-op after the first set
        principal = await container.accounts.principal(BENCH_EMAIL)
        actor = await container.ledgers.actor(principal, ledger=None, client=BENCH_CLIENT)
        server = WorkledgerMCP(container, actor=actor)
        info = Implementation(name=BENCH_CLIENT, version="1")
        async with Client(server, client_info=info, mode="auto") as client:
            return await client.list_tools(), client.instructions or ""
    finally:
        await container.close()


def per_tool(tools: list[Tool]) -> None:
    print(f"  {'tool':<30} {'model-visible':>13} {'description':>11} {'input':>6} {'output':>6}")
    for tool in sorted(tools, key=model_visible, reverse=True):
        output = len(compact(tool.output_schema)) if tool.output_schema is not None else 0
        print(
            f"  {tool.name:<30} {model_visible(tool):>13,} {len(tool.description or ''):>11,} "
            f"{len(compact(tool.input_schema)):>6,} {output:>6,}"
        )


async def run(args: argparse.Namespace) -> list[Budget]:
    banner("tool_budget: characters of tools/list a model reads, and in all")
    budgets: list[Budget] = []
    instructions = ""
    with tempfile.TemporaryDirectory(prefix="workledger_bench_data_") as home:
        async with scratch_database("sqlite") as url:
            for selection in SETS:
                answer, instructions = await listed(url, selection, Path(home))
                budget = Budget(
                    selection=selection,
                    tools=len(answer.tools),
                    model_visible=sum(model_visible(tool) for tool in answer.tools),
                    whole=len(answer.model_dump_json(by_alias=True, exclude_none=True)),
                    goal=GOALS.get(selection, Goal()),
                )
                budgets.append(budget)
                print(budget.line(), flush=True)
                if args.per_tool:
                    per_tool(answer.tools)
    print(f"instructions: {len(instructions):,} characters, once beside the tools")
    met = sum(budget.met for budget in budgets)
    print(f"{met} of {len(budgets)} sets meet their goals")
    return budgets


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.tool_budget", description=__doc__)
    p.add_argument("--per-tool", action="store_true", help="print each tool's share too")
    return p


main = command_line(run, parser)


if __name__ == "__main__":
    main()
