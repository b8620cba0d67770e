"""``workledger import`` of a large hand-kept status file, as a user runs it.

    python -m bench.import_file [--megabytes 5] [--runs 3] [--dry-run] [--backend both]
                                [--keep-file PATH]

Writes a realistic ``.project_status.md`` of about ``--megabytes`` MB (vendors as
headings with fields, one-line entries and table rows; deployment blocks naming three
vendors each; a sprint's checklists with sub-tasks, notes, owners, tags and due dates;
checklist enhancements; session prompts with YAML frontmatter and a prompt text), then
times the real command (a subprocess, start-up included) into a fresh database per run,
and prints p50/p95/p99 of the wall time in milliseconds with the peak memory of the
process. The target is an import under 5 s for 5 MB; ``--dry-run`` times the dry run.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import (
    UNCACHED,
    Stats,
    Target,
    add_backend_arguments,
    banner,
    command_line,
    percentiles,
    scratch_database,
    selected_backends,
)

TARGET = Target(ours_ms=5_000.0)
WORKLEDGER = str(Path(sys.executable).with_name("workledger"))
WORDS = (
    "statement",
    "parser",
    "ledger",
    "currency",
    "export",
    "header",
    "footer",
    "column",
    "date",
    "amount",
    "balance",
    "opening",
    "closing",
    "account",
    "number",
    "branch",
    "scanned",
    "page",
    "table",
    "row",
    "merge",
    "split",
    "retry",
)


def status_file(megabytes: float, *, seed: int = 7) -> str:
    """A hand-kept status file of about ``megabytes`` MB, its parts in realistic shares."""
    rng = random.Random(seed)
    target = int(megabytes * 1_000_000)
    # One unit: 60 vendors, 20 deployments, 100 tasks, 10 enhancements, 10 session
    # prompts, ~58 KB.
    units = max(1, round(target / 58_000))
    vendors = [f"Vendor {n:05d} {rng.choice(WORDS).title()} Bank" for n in range(60 * units)]
    out = ["# Extractors: project status", "", "_Kept by hand._", ""]
    out += [f"## Vendors ({len(vendors)} total)", ""]
    for n, name in enumerate(vendors):  # by tens: headings, one-line entries, a table
        passing = rng.randint(0, 50)
        shape = n // 10 % 3
        if shape == 0:
            out += [
                f"### {name}",
                f"- Status: {rng.choice(['✅ operational', '❌ broken'])}",
                f"- Tests: {passing}/50 passing ({rng.randint(0, 50 - passing)} skipped)",
                "- Formats: Excel ✓, CSV ✓, PDF ✗, OCR ✗",
                f"- Version: v{rng.randint(0, 9)}.{rng.randint(0, 20)}.0",
                "- Manifest: ✅",
                "",
            ]
        elif shape == 1:
            out.append(
                f"- **{name}** · operational · tests {passing}/50 passing · formats excel, pdf"
                f" · version {rng.randint(1, 9)}.0.{n % 10} · manifest compliant"
            )
        else:
            if n % 10 == 0:
                out += ["", "| Vendor | Status | Tests | Formats | Version | Manifest |"]
                out += ["|---|---|---|---|---|---|"]
            out.append(f"| {name} | broken | {passing}/50 | csv | 1.{n % 7}.0 | no |")
        if n % 10 == 9 and shape:
            out.append("")
    out += ["", "## Deployments", ""]
    for n in range(20 * units):
        named = ", ".join(rng.sample(vendors, 3))
        out += [
            f"### 2025-{1 + n % 12:02d}-{1 + n % 28:02d} - PR #{1000 + n}: "
            + " ".join(rng.sample(WORDS, 5)),
            f"- Commit: `{rng.getrandbits(160):040x}`",
            f"- Vendors: {named}",
            f"- Tests: unit {rng.randint(50, 500)}, integration {rng.randint(5, 80)}",
            f"- Compliance: {rng.choice(['✅', '❌'])}",
            "",
        ]
    out += ["## Current Sprint", ""]
    for n in range(100 * units):  # in fives: a task, two sub-tasks, a note, two more
        if n % 100 == 0:
            out += ["", f"### {['In progress', 'Done', 'Blocked', 'Backlog'][n // 100 % 4]}", ""]
        words = " ".join(rng.sample(WORDS, 4)).capitalize()
        owner = f" @{rng.choice(['ada', 'grace', 'claude-code', 'codex'])}" if n % 3 else ""
        tag = f" #{rng.choice(WORDS)}" if n % 4 == 0 else ""
        due = f" (due 2026-{1 + n % 12:02d}-{1 + n % 28:02d})" if n % 7 == 0 else ""
        box = "[x]" if n % 5 == 4 else "[ ]"
        if n % 5 in (1, 2):
            out.append(f"  - {box} {words}{owner}{tag}")
            if n % 5 == 2:
                out.append(f"    - note: {' '.join(rng.sample(WORDS, 6))}")
        else:
            out.append(f"- {box} {words} {n}{owner}{tag}{due}")
    out += ["", "## Future Enhancements", ""]
    for n in range(10 * units):
        box = rng.choice(["[ ]", "[x]"])
        quarter = f"{2025 + n % 3}-Q{1 + n % 4}"
        out.append(f"- {box} **{rng.choice(['High', 'Medium', 'Low'])}**: Idea {n} ({quarter})")
    out += ["", "## Session Prompts", ""]
    for n in range(10 * units):
        prose = [" ".join(rng.choices(WORDS, k=14)) + "." for _ in range(40)]
        out += [
            f"### Session {n}",
            "---",
            "schema_version: 1",
            f"token_budget: {rng.randint(1, 200) * 1000}",
            f"prompts_count: {rng.randint(0, 9)}",
            f"tags: [{rng.choice(WORDS)}, {rng.choice(WORDS)}]",
            "---",
            *prose,
            "",
        ]
    return "\n".join(out) + "\n"


def import_once(
    path: Path, database_url: str, home: Path, *, dry_run: bool
) -> tuple[float, int, str]:
    """Wall time (ms), peak RSS (KiB) and output of one ``workledger import``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKLEDGER_")}
    env |= {"WORKLEDGER_DATABASE_URL": database_url, "WORKLEDGER_DATA_DIR": str(home)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(
        [WORKLEDGER, "import", str(path), *(["--dry-run"] if dry_run else [])],
        env=env,
        cwd=home,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = (time.perf_counter() - started) * 1000
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if done.returncode != 0:
        raise SystemExit(f"the import failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return elapsed, max(peak, before), done.stdout


async def run(args: argparse.Namespace) -> list[Stats]:
    text = status_file(args.megabytes)
    directory = Path(tempfile.mkdtemp(prefix="workledger_bench_import_"))
    path = Path(args.keep_file) if args.keep_file else directory / ".project_status.md"
    path.write_text(text, encoding="utf-8")
    size = path.stat().st_size
    command = "import --dry-run" if args.dry_run else "import"
    banner(f"import_file: workledger {command} of {size / 1e6:.1f} MB, {args.runs} runs")
    results = []
    for backend in selected_backends(args.backend):
        samples: list[float] = []
        for _ in range(args.runs):
            async with scratch_database(backend) as url:
                home = Path(tempfile.mkdtemp(prefix="workledger_bench_home_"))
                elapsed, peak, output = import_once(path, url, home, dry_run=args.dry_run)
                samples.append(elapsed)
        print(output.strip().splitlines()[-1][:160], flush=True)
        p50, p95, p99 = percentiles(samples)
        stats = Stats(
            f"{command}, {size / 1e6:.0f} MB file",
            UNCACHED,
            backend,
            len(samples),
            p50,
            p95,
            p99,
            TARGET,
        )
        print(f"{stats.line()}  [peak RSS {peak / 1024:.0f} MiB]", flush=True)
        results.append(stats)
    return results


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench.import_file",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--megabytes", type=float, default=5.0, help="size of the file (default 5)")
    p.add_argument("--runs", type=int, default=3, help="timed dry runs per backend")
    p.add_argument("--dry-run", action="store_true", help="time the dry run instead")
    p.add_argument("--keep-file", help="write the generated file there, and keep it")
    add_backend_arguments(p, keep=False)
    return p


main = command_line(run, parser)


if __name__ == "__main__":
    main()
