"""``workledger report`` and ``workledger import``: the status file, out and in."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from workledger.cli.runtime import acting, counted, open_container, run_async

if TYPE_CHECKING:  # imported when a command runs, not when the CLI starts
    from workledger.schemas.status import StatusReport
    from workledger.services.importer import ImportResult
    from workledger.status_file.document import StatusDocument

RECORD_LABELS = {
    "vendors": "vendor",
    "work_items": "work item",
    "sessions": "session prompt",
    "deployments": "deployment",
    "enhancements": "enhancement",
}


@click.command(short_help="Write the markdown status report.")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=str),
    help="Where to write it (default: WORKLEDGER_STATUS_FILE); '-' for standard output.",
)
def report(output: str | None) -> None:
    """Write the markdown status report of the current account (WORKLEDGER_ACCOUNT)."""
    made, default_target = _report()
    target = output or str(default_target)
    if target == "-":
        click.echo(made.markdown, nl=False)
        return
    _write_atomically(Path(target), made.markdown)
    counts = made.counts
    click.echo(
        f"wrote {target}: {counted(counts.work_items, 'work item')}, "
        f"{counted(counts.vendors, 'vendor')}, {counted(counts.deployments, 'deployment')}, "
        f"{counted(counts.enhancements_pending, 'pending enhancement')}",
        err=True,
    )


@run_async
async def _report() -> tuple[StatusReport, Path]:
    async with open_container() as container:
        actor = await acting(container)
        return await container.status.report(actor=actor), container.settings.status_file


def _write_atomically(path: Path, text: str) -> None:
    from workledger.status_file.write import write_atomically

    try:
        write_atomically(path, text)
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror or exc}") from None


@click.command("import", short_help="Import a .project_status.md into an empty ledger.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--sessions",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A directory of session prompt files (*.md with YAML frontmatter) to import too.",
)
@click.option("--dry-run", is_flag=True, help="Import, check, report, then roll everything back.")
def import_file(file: Path, sessions: Path | None, dry_run: bool) -> None:
    """Import a .project_status.md (workledger's report or a hand-kept one) into the
    current account, which must be empty. Five reconciliation checks compare the file
    with the database; if one fails, nothing is kept (exit status 1). FILE is only read."""
    from workledger.status_file.parser import read_status_file

    with _progress(file) as step, _few_collections():
        step("reading")
        try:
            document = read_status_file(file, sessions=sessions)
        except (OSError, UnicodeDecodeError) as exc:
            raise click.ClickException(f"cannot read {file}: {exc}") from None
        try:
            result = _import(document, dry_run=dry_run, on_step=step)
        except click.ClickException:  # refused before importing: say what the file held
            for warning in document.warnings:
                click.echo(f"warning: {warning}", err=True)
            raise
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(check_table(result))
    click.echo(_outcome(result, file))
    if not result.passed:
        raise click.exceptions.Exit(1)


@run_async
async def _import(
    document: StatusDocument, *, dry_run: bool, on_step: Callable[[str], object]
) -> ImportResult:
    async with open_container() as container:
        actor = await acting(container)
        return await container.importer.run(
            actor=actor, document=document, dry_run=dry_run, on_step=on_step
        )


@contextmanager
def _few_collections() -> Iterator[None]:
    """An import makes many records that all live until it ends: at the default
    threshold (700 new objects) the garbage collector would walk that growing heap
    hundreds of times (a sixth of a large import's time)."""
    before = gc.get_threshold()
    gc.set_threshold(50_000, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


# Files larger than this show their progress, when standard error is a terminal.
PROGRESS_OVER_BYTES = 1_000_000


@contextmanager
def _progress(file: Path) -> Iterator[Callable[[str], object]]:
    """A progress bar on standard error through reading and each import step (rich),
    for a large file on a terminal; elsewhere a step reports nothing."""
    try:
        large = file.stat().st_size > PROGRESS_OVER_BYTES
    except OSError:
        large = False
    if not large or not sys.stderr.isatty():
        yield lambda step: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from workledger.services.importer import IMPORT_STEPS

    steps = ("reading", *IMPORT_STEPS)
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(f"{file.name}: reading", total=len(steps))

        def step(name: str) -> None:
            # Drawn now, not at the next tick of rich's timer: a quick step is shown too.
            progress.update(
                task,
                completed=steps.index(name),
                description=f"{file.name}: {name}",
                refresh=True,
            )

        yield step


def check_table(result: ImportResult) -> str:
    rows = [("check", "source", "database", "result")]
    rows += [
        (c.name, str(c.source), str(c.database), "ok" if c.passed else "FAILED")
        for c in result.checks
    ]
    width = max(len(row[0]) for row in rows)
    lines = []
    for row, check in zip(rows, [None, *result.checks], strict=True):
        lines.append(f"{row[0]:<{width}}  {row[1]:>6}  {row[2]:>8}  {row[3]}")
        lines.extend(f"    {problem}" for problem in (check.problems if check else []))
    return "\n".join(lines)


def _outcome(result: ImportResult, file: Path) -> str:
    if not result.passed:
        return f"a check failed: everything was rolled back; the database and {file} are unchanged"
    created = ", ".join(counted(n, RECORD_LABELS[kind]) for kind, n in result.created.items())
    if result.dry_run:
        return f"dry run: every check passed; would import {created}; nothing was written"
    return f"imported {created} (written by 'migration')"
