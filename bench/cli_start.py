"""How long a command of the command line takes, start-up included, as a person (or an
agent reading a pipe) waits for it.

    python -m bench.cli_start [--items 316] [--runs 20]

Makes a project in a temp directory (a ``.git`` folder, so the ledger is its own SQLite
file), imports a status file of ``--items`` checklist tasks into it with the real
``workledger import``, then runs each command ``--runs`` times with stdout a pipe, after
three untimed runs (which also write the bytecode a user's second command finds), in
two ways, pair by pair: through the command server that the first command starts (what
a user gets) and each in its own process (``WORKLEDGER_CLI_SERVER=off``, what the first
command costs). Prints p50/p95/p99 of the whole process and the goal on the median
through the server: ``--version`` < 100 ms, ``items list`` < 350 ms. PYTHONDONTWRITEBYTECODE
is dropped from the commands' environment, and so are the WORKLEDGER_ settings: the
project alone decides. The server runs in a folder of its own, removed at the end (the
server leaves within half a minute of it)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import banner, percentiles

WORKLEDGER = Path(sys.executable).with_name("workledger")
WARMUP = 3


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    median_goal_ms: float | None


CASES = (
    Case(("--version",), 100),
    Case(("items", "list"), 350),
    Case(("items", "list", "--all"), None),
    Case(("items", "list", "--json"), None),
)


def status_file(items: int) -> str:
    """A hand-kept file of ``items`` checklist tasks, a third of them done."""
    lines = ["# Project Status", "", "## Tasks", ""]
    for n in range(items):
        box = "x" if n % 3 == 0 else " "
        lines.append(f"- [{box}] Task {n}: keep the ledger's command line quick @alice #cli")
    return "\n".join(lines) + "\n"


def quiet_environment() -> dict[str, str]:
    return {
        name: value
        for name, value in os.environ.items()
        if name != "PYTHONDONTWRITEBYTECODE" and not name.startswith("WORKLEDGER_")
    }


def run_once(args: tuple[str, ...], project: Path, env: dict[str, str]) -> float:
    started = time.perf_counter_ns()
    subprocess.run([str(WORKLEDGER), *args], cwd=project, env=env, check=True, capture_output=True)
    return (time.perf_counter_ns() - started) / 1e6


def line(case: Case, way: str, samples: list[float], *, goal: bool) -> str:
    p50, p95, p99 = percentiles(samples)
    text = f"workledger {' '.join(case.args):<22} {way:<15} n={len(samples):<4} "
    text += f"p50={p50:8.1f}  p95={p95:8.1f}  p99={p99:8.1f} ms"
    if goal and case.median_goal_ms is not None:
        verdict = "PASS" if p50 < case.median_goal_ms else "MISS"
        text += f"  goal median < {case.median_goal_ms:g} ms {verdict}"
    return text


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--items", type=int, default=316, help="work items in the ledger")
    p.add_argument("--runs", type=int, default=20, help="timed runs per command")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="workledger-cli-") as tmp:
        project = Path(tmp) / "project"
        (project / ".git").mkdir(parents=True)
        (project / "STATUS.md").write_text(status_file(args.items), encoding="utf-8")
        served = quiet_environment() | {"XDG_RUNTIME_DIR": str(Path(tmp))}
        alone = served | {"WORKLEDGER_CLI_SERVER": "off"}
        run_once(("import", "STATUS.md"), project, alone)
        banner(f"command line on SQLite, {args.items} work items, stdout a pipe")
        for case in CASES:
            for env in (served, alone) * WARMUP:
                run_once(case.args, project, env)
            pairs = [
                (run_once(case.args, project, served), run_once(case.args, project, alone))
                for _ in range(args.runs)
            ]
            print(line(case, "command server", [a for a, _ in pairs], goal=True), flush=True)
            print(line(case, "own process", [b for _, b in pairs], goal=False), flush=True)


if __name__ == "__main__":
    main()
