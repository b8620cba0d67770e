"""The command line, run the way a user runs it: a real subprocess."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.commands import WORKLEDGER


def run(
    *args: str, cwd: Path, env: dict[str, str], stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return _completed([WORKLEDGER, *args], cwd=cwd, env=env, stdin=stdin)


def in_shell(script: str, *, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``script`` run by ``sh``: for what only a shell sets up (a closed stream, a folder
    removed under the command)."""
    return _completed(["sh", "-c", script], cwd=cwd, env=env, stdin=None)


def _completed(
    argv: list[str], *, cwd: Path, env: dict[str, str], stdin: str | None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=60, check=False
    )


def ok(done: subprocess.CompletedProcess[str]) -> str:
    """What a command that succeeded printed (exit status 0, no traceback)."""
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    """The one line a refused command says (exit status 1, nothing on stdout)."""
    assert done.returncode == 1, done
    assert done.stdout == "", done.stdout
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]
