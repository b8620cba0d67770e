"""The command line, run the way a user runs it: a real subprocess."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.commands import WORKLEDGER


def run(
    *args: str, cwd: Path, env: dict[str, str], stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [WORKLEDGER, *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
