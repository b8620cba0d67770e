"""Writes the README's benchmark table from the figures ``make bench`` saved.

    python -m bench.readme_table [--results bench/results.json] [--readme README.md]

One row per measure and read path, the cached row and the first read after a commit
side by side, with the p95 of each backend, the target and PASS/MISS. The table goes
between the README's ``<!-- bench-table -->`` and ``<!-- /bench-table -->`` markers.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import BACKENDS, Stats

START, END = "<!-- bench-table -->", "<!-- /bench-table -->"
RESULTS = Path("bench/results.json")
README = Path("README.md")
BACKEND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def save(results: Iterable[Stats], path: Path, *, load: tuple[float, ...]) -> None:
    """Keep a run's figures, with what the machine was doing, for the table."""
    document = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average": [round(value, 2) for value in load],
        "results": [asdict(stats) for stats in results],
    }
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


def _target(target: dict[str, Any] | None) -> str:
    if target is None:
        return "none"
    text = f"< {target['ours_ms']:g}"
    return text + (f" (design < {target['design_ms']:g})" if target["design_ms"] else "")


def _verdict(target: dict[str, Any] | None, p95s: list[float]) -> str:
    if target is None:
        return ""

    def judged(bound: float) -> str:
        return "PASS" if all(p95 < bound for p95 in p95s) else "MISS"

    verdict = judged(target["ours_ms"])
    if target["design_ms"] and verdict == "MISS":
        verdict += f" (design {judged(target['design_ms'])})"
    return verdict


def _ms(value: float) -> str:
    """Three significant digits, and whole milliseconds from 1,000 up."""
    return f"{value:,.0f}" if value >= 1000 else f"{value:.3g}"


def table(document: dict[str, Any]) -> str:
    rows: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for result in document["results"]:  # in the order measured
        rows.setdefault((result["row"], result["path"]), {})[result["backend"]] = result
    lines = [
        f"Measured {document['measured_at'][:10]} by `make bench` (load average "
        f"{', '.join(map(str, document['load_average']))} at the end); p95 in ms.",
        "",
        "| measure | read path | "
        + " | ".join(BACKEND_NAMES[b] for b in BACKENDS)
        + " | target p95 | verdict |",
        "|---|---|" + "---:|" * len(BACKENDS) + "---|---|",
    ]
    for (row, path), by_backend in rows.items():
        target = next(iter(by_backend.values()))["target"]
        p95s = [by_backend[b]["p95"] for b in BACKENDS if b in by_backend]
        figures = [_ms(by_backend[b]["p95"]) if b in by_backend else "" for b in BACKENDS]
        cells = [row, path, *figures, _target(target), _verdict(target, p95s)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write(readme: Path, document: dict[str, Any]) -> None:
    text = readme.read_text(encoding="utf-8")
    before, start, rest = text.partition(START)
    _, end, after = rest.partition(END)
    if not start or not end:
        raise SystemExit(f"{readme} has no {START} … {END} markers")
    readme.write_text(f"{before}{START}\n{table(document)}\n{END}{after}", encoding="utf-8")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench.readme_table",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--results", type=Path, default=RESULTS)
    p.add_argument("--readme", type=Path, default=README)
    return p


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    write(args.readme, json.loads(args.results.read_text(encoding="utf-8")))
    print(f"wrote the benchmark table of {args.results} into {args.readme}")


if __name__ == "__main__":
    main()
