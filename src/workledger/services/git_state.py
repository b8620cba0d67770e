"""Live git state of the configured work tree: branch, commit, dirty; and the full
hashes of commits named by a short one."""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import Collection
from pathlib import Path

from workledger.schemas.project_configuration import GitState

GIT_TIMEOUT_SECONDS = 5


async def read_git_state(repo_dir: Path) -> GitState | None:
    """One ``git status --porcelain=v2 --branch`` call; None outside a git work tree."""
    output = await run_git(
        repo_dir, "status", "--porcelain=v2", "--branch", "--untracked-files=normal"
    )
    return None if output is None else parse_porcelain_v2(output)


async def run_git(repo_dir: Path, *args: str, stdin: str | None = None) -> str | None:
    """What ``git -C repo_dir ARGS`` prints, given ``stdin``; None without git, on
    failure or timeout."""
    git = shutil.which("git")
    if git is None:
        return None
    try:
        process = await asyncio.create_subprocess_exec(
            git,
            "-C",
            str(repo_dir),
            *args,
            stdin=None if stdin is None else asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        given = None if stdin is None else stdin.encode()
        stdout, _ = await asyncio.wait_for(process.communicate(given), GIT_TIMEOUT_SECONDS)
    except (OSError, TimeoutError):
        return None
    if process.returncode != 0:
        return None
    return stdout.decode("utf-8", errors="replace")


_PREFIX = re.compile(r"[0-9a-f]{4,40}")  # git takes no shorter prefix
_FOUND_COMMIT = re.compile(r"(?P<hash>[0-9a-f]{40}) commit")


async def full_commit_hashes(repo_dir: Path, prefixes: Collection[str]) -> dict[str, str]:
    """The full hash of each prefix (lower case hex) that names exactly one commit of
    ``repo_dir``'s history, asked of one ``git cat-file --batch-check`` for them all. A
    prefix that names no commit, or several, is left out; without git or a repository,
    every one is."""
    asked = sorted({prefix for prefix in prefixes if _PREFIX.fullmatch(prefix)})
    if not asked:
        return {}
    answer = await run_git(
        repo_dir,
        "cat-file",
        "--batch-check=%(objectname) %(objecttype)",
        stdin="".join(f"{prefix}^{{commit}}\n" for prefix in asked),
    )
    found: dict[str, str] = {}
    # One line per prefix: "<hash> commit", or "<prefix>^{commit} missing" (or
    # "ambiguous"). A branch named like the prefix would resolve to its own commit.
    for prefix, line in zip(asked, (answer or "").splitlines(), strict=False):
        match = _FOUND_COMMIT.fullmatch(line)
        if match and match["hash"].startswith(prefix):
            found[prefix] = match["hash"]
    return found


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
