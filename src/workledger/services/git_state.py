"""Live git state of the configured work tree: branch, commit, dirty."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from workledger.schemas.project_configuration import GitState

GIT_TIMEOUT_SECONDS = 5


async def read_git_state(repo_dir: Path) -> GitState | None:
    """One ``git status --porcelain=v2 --branch`` call; None outside a git work tree."""
    output = await run_git(
        repo_dir, "status", "--porcelain=v2", "--branch", "--untracked-files=normal"
    )
    return None if output is None else parse_porcelain_v2(output)


async def run_git(repo_dir: Path, *args: str) -> str | None:
    """What ``git -C repo_dir ARGS`` prints; None without git, on failure or timeout."""
    git = shutil.which("git")
    if git is None:
        return None
    try:
        process = await asyncio.create_subprocess_exec(
            git,
            "-C",
            str(repo_dir),
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        stdout, _ = await asyncio.wait_for(process.communicate(), GIT_TIMEOUT_SECONDS)
    except (OSError, TimeoutError):
        return None
    if process.returncode != 0:
        return None
    return stdout.decode("utf-8", errors="replace")


def parse_porcelain_v2(output: str) -> GitState:
    branch: str | None = None
    commit: str | None = None
    dirty = False
    for line in output.splitlines():
        if line.startswith("# branch.oid "):
            oid = line.removeprefix("# branch.oid ").strip()
            commit = None if oid == "(initial)" else oid
        elif line.startswith("# branch.head "):
            head = line.removeprefix("# branch.head ").strip()
            branch = None if head == "(detached)" else head
        elif line and not line.startswith("#"):
            dirty = True
    return GitState(branch=branch, commit=commit, dirty=dirty)
