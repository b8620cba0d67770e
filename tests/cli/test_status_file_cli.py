"""`workledger report`, `import` and `archive` as a user runs them, on both databases."""

from __future__ import annotations

import contextlib
import hashlib
import os
import pty
import re
import subprocess
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update

from bench.import_file import status_file
from tests.cli.process import run
from tests.support.commands import WORKLEDGER
from workledger.container import Container
from workledger.db.types import utcnow
from workledger.models import WorkItem

LEGACY = Path(__file__).parent.parent / "fixtures" / "legacy"
GENERATED = re.compile(r"^Generated .*$", re.MULTILINE)


def import_legacy(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """The hand-kept fixture with its session prompt files; it must succeed."""
    source, sessions = LEGACY / "project_status.md", LEGACY / "sessions"
    done = run("import", str(source), "--sessions", str(sessions), cwd=cwd, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_failed_check_exits_1_with_the_table_and_changes_nothing(
    cli_env: dict[str, str],
    tmp_path: Path,
) -> None:
    source = LEGACY / "project_status_corrupted.md"
    before = digest(source)

    result = run(
        "import", str(source), "--sessions", str(LEGACY / "sessions"), cwd=tmp_path, env=cli_env
    )

    assert result.returncode == 1
    assert re.search(r"vendor metadata completeness +45 +44 +FAILED", result.stdout)
    assert re.search(r"vendor count +45 +45 +ok", result.stdout)
    assert "rolled back" in result.stdout
    assert re.search(
        rf"warning: {re.escape(str(source))}:\d+: session prompt skipped", result.stderr
    )
    assert "Traceback" not in result.stderr
    assert digest(source) == before
    after = run("report", "--output", "-", cwd=tmp_path, env=cli_env)
    assert "- Vendors: 0 " in after.stdout
    assert "- Session prompts: 0" in after.stdout


def test_import_then_report_then_reimport_elsewhere_gives_the_same_report(
    cli_env: dict[str, str],
    tmp_path: Path,
) -> None:
    imported = import_legacy(cli_env, tmp_path)
    assert "imported 45 vendors" in imported.stdout

    written = run("report", cwd=tmp_path, env=cli_env)  # to WORKLEDGER_STATUS_FILE's default
    assert written.returncode == 0, written.stderr
    report = tmp_path / ".project_status.md"
    assert "- Vendors: 45 " in report.read_text(encoding="utf-8")

    run(
        "account",
        "create",
        "fresh@example.com",
        "--password-stdin",
        cwd=tmp_path,
        env=cli_env,
        stdin="correct horse\n",
    )
    fresh = {**cli_env, "WORKLEDGER_ACCOUNT": "fresh@example.com"}
    dry = run("import", str(report), "--dry-run", cwd=tmp_path, env=fresh)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "nothing was written" in dry.stdout
    assert "- Vendors: 0 " in run("report", "-o", "-", cwd=tmp_path, env=fresh).stdout
    again = run("import", str(report), cwd=tmp_path, env=fresh)
    assert again.returncode == 0, again.stdout + again.stderr
    copy = run("report", "-o", "-", cwd=tmp_path, env=fresh).stdout
    assert GENERATED.sub("", copy) == GENERATED.sub("", report.read_text(encoding="utf-8"))

    twice = run("import", str(report), cwd=tmp_path, env=fresh)
    assert twice.returncode == 1
    assert "already holds records" in twice.stderr


def test_import_refuses_what_it_cannot_read(
    cli_env: dict[str, str],
    tmp_path: Path,
) -> None:
    binary = tmp_path / "status.md"
    binary.write_bytes(b"\xff\xfe not utf-8")
    unreadable = run("import", str(binary), cwd=tmp_path, env=cli_env)
    assert unreadable.returncode == 1
    assert "cannot read" in unreadable.stderr
    missing = run("import", str(tmp_path / "nope.md"), cwd=tmp_path, env=cli_env)
    assert missing.returncode == 2


def test_an_empty_file_and_a_file_of_prose_exit_1_saying_what_was_expected(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    empty, prose = tmp_path / "empty.md", tmp_path / "prose.md"
    empty.write_text("")
    prose.write_text("# Our project\n\n## Goals\n\n" + "We keep notes here.\n" * 50)

    for path, says in ((empty, "the file is empty"), (prose, "no section was recognised")):
        done = run("import", str(path), "--dry-run", cwd=tmp_path, env=cli_env)
        assert done.returncode == 1, done.stdout
        assert says in done.stderr
        assert "Traceback" not in done.stderr
        assert "every check passed" not in done.stdout
    done = run("import", str(prose), cwd=tmp_path, env=cli_env)
    assert "expected headings naming vendors, deployments" in done.stderr
    assert "'Goals' (line 3)" in done.stderr
    assert "warning: " in done.stderr  # the section it did not read, named
    assert "- Vendors: 0 " in run("report", "-o", "-", cwd=tmp_path, env=cli_env).stdout


def on_a_terminal(args: list[str], *, cwd: Path, env: dict[str, str]) -> tuple[int, str, str]:
    """Runs the command with its standard error on a pseudo-terminal, as in a shell."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [WORKLEDGER, *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=terminal
    )
    os.close(terminal)
    seen = b""
    with contextlib.suppress(OSError):  # EIO once the process has closed the terminal
        while chunk := os.read(controller, 65536):
            seen += chunk
    os.close(controller)
    stdout = process.stdout.read().decode() if process.stdout else ""
    return process.wait(timeout=60), stdout, seen.decode(errors="replace")


def test_a_large_file_shows_its_progress_on_a_terminal_only(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    large = tmp_path / "large.md"
    large.write_text(status_file(1.2), encoding="utf-8")
    assert large.stat().st_size > 1_000_000

    code, stdout, terminal = on_a_terminal(
        ["import", str(large), "--dry-run"], cwd=tmp_path, env=cli_env
    )
    assert code == 0, stdout + terminal
    assert "large.md: vendors" in terminal
    assert "large.md: checks" in terminal
    assert "every check passed" in stdout

    piped = run("import", str(large), "--dry-run", cwd=tmp_path, env=cli_env)
    assert piped.returncode == 0
    assert "large.md: vendors" not in piped.stderr


async def test_archive_moves_old_closed_items_and_says_how_many(
    cli_env: dict[str, str],
    container: Container,
    tmp_path: Path,
) -> None:
    import_legacy(cli_env, tmp_path)
    # The imported session prompts are completed; make them look a year and a day old.
    async with container.db.transaction() as session:
        await session.execute(update(WorkItem).values(updated_at=utcnow() - timedelta(days=366)))

    kept = run("archive", "--older-than-days", "400", cwd=tmp_path, env=cli_env)
    assert kept.returncode == 0, kept.stderr
    assert kept.stdout.startswith("archived 0 work items in 0 subtrees")

    moved = run("archive", cwd=tmp_path, env=cli_env)
    assert moved.returncode == 0, moved.stderr
    assert moved.stdout.startswith("archived 25 work items in 25 subtrees")
    report = run("report", "-o", "-", cwd=tmp_path, env=cli_env).stdout
    assert "- Session prompts: 0" in report
    assert run("archive", "--older-than-days", "-1", cwd=tmp_path, env=cli_env).returncode == 2
