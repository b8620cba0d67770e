"""Short commit hashes: made full on import from the git history of WORKLEDGER_REPO_DIR,
with one git call for the whole file, and kept as written when git cannot say; a short
hash and its full one for the same PR name one commit, so the second is a Conflict."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.services.test_import import run_import
from workledger.container import Container
from workledger.errors import Conflict
from workledger.schemas.common import Actor
from workledger.schemas.deployment import DeploymentCreate, DeploymentListQuery, DeploymentRead
from workledger.services import git_state
from workledger.status_file.parser import parse_status_file

FULL = "3f2a9c1b7d4e5f60718293a4b5c6d7e8f9012345"

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(repo: Path, *args: str, stdin: str | None = None) -> str:
    config = ["-c", "user.name=Test", "-c", "user.email=test@example.com"]
    config += ["-c", "commit.gpgsign=false"]
    done = subprocess.run(
        ["git", "-C", str(repo), *config, *args],
        input=stdin,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def repository_with_commits(repo: Path, count: int) -> list[str]:
    """``repo`` made a git repository holding ``count`` commits: their full hashes."""
    git(repo, "init", "-q")
    for n in range(count):
        git(repo, "commit", "-q", "--allow-empty", "-m", f"commit {n}")
    return git(repo, "log", "--format=%H").split()


def unknown_to(commits: list[str]) -> str:
    """A short hash that begins none of ``commits``."""
    return next(h for h in ("abcdef1", "1234abc") if not any(c.startswith(h) for c in commits))


async def recorded(container: Container, actor: Actor) -> dict[int, str]:
    page = await container.deployments.list(actor=actor, query=DeploymentListQuery.load({}))
    return {d.pr_number: d.commit_hash for d in page.items}


async def record(container: Container, actor: Actor, **fields: Any) -> DeploymentRead:
    raw = {"pr_number": 7, "pr_title": "Ship it", **fields}
    return await container.deployments.record(actor=actor, data=DeploymentCreate.load(raw))


# --- the import -----------------------------------------------------------------------


@needs_git
async def test_an_import_makes_short_hashes_full_with_one_git_call(
    container: Container, actor: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert container.settings.repo_dir == tmp_path  # WORKLEDGER_REPO_DIR
    second, first = repository_with_commits(tmp_path, 2)
    unknown = unknown_to([first, second])
    calls: list[tuple[str, ...]] = []
    run_git = git_state.run_git

    async def counted(repo_dir: Path, *args: str, stdin: str | None = None) -> str | None:
        calls.append(args)
        return await run_git(repo_dir, *args, stdin=stdin)

    monkeypatch.setattr(git_state, "run_git", counted)
    text = (
        "## Deployments\n\n"
        f"- 2026-01-14 · PR #101: Fix the parser · `{first[:7]}`\n"
        f"- 2026-01-15 · PR #102: Speed up OCR · `{second[:12].upper()}`\n"
        f"- 2026-01-16 · PR #103: From another repository · `{unknown}`\n"
        f"- 2026-01-17 · PR #104: Written in full · `{FULL}`\n"
    )

    result = await run_import(container, actor, parse_status_file(text, source="status.md"))

    assert result.committed, result.checks
    assert result.warnings == []
    assert await recorded(container, actor) == {101: first, 102: second, 103: unknown, 104: FULL}
    assert [args[0] for args in calls] == ["cat-file"]


async def test_without_a_repository_short_hashes_are_kept_as_written(
    container: Container, actor: Actor
) -> None:
    text = "## Releases\n\n| PR | Date | Commit | Title |\n|---|---|---|---|\n"
    text += "| 101 | 2026-01-14 | `ABC1234` | Fix the parser |\n"

    result = await run_import(container, actor, parse_status_file(text, source="status.md"))

    assert result.committed, result.checks
    assert result.warnings == []
    assert await recorded(container, actor) == {101: "abc1234"}


async def test_a_listed_deployment_without_its_commit_fails_the_history_check(
    container: Container, actor: Actor
) -> None:
    text = (
        "## Deployments\n\n"
        "- 2026-01-14 · PR #101: Fix the parser · `abc1234`\n"
        "- 2026-01-15 · PR #102: Speed up OCR\n"
        "- Fix the docs · `def5678`\n"
    )

    result = await run_import(container, actor, parse_status_file(text, source="status.md"))

    assert not result.committed
    [history] = [c for c in result.checks if c.name == "deployment history (every PR)"]
    assert (history.source, history.database, history.passed) == (2, 1, False)
    assert history.problems == [
        "line 4: PR #102 not recorded",
        "line 5: a deployment that names no PR",
    ]
    assert [(w.line, w.message) for w in result.warnings] == [
        (4, "PR #102: no commit, deployment skipped"),
        (5, "deployment entry gives no PR number or date, skipped"),
    ]
    assert await recorded(container, actor) == {}


async def test_an_import_listing_a_pr_under_a_short_and_its_full_hash_keeps_the_first(
    container: Container, actor: Actor
) -> None:
    text = (
        "## Deployments\n\n"
        f"- 2026-01-14 · PR #101: Fix the parser · `{FULL[:7]}`\n"
        f"- 2026-01-15 · PR #101: Fix the parser again · `{FULL}`\n"
    )

    result = await run_import(container, actor, parse_status_file(text, source="status.md"))

    assert result.committed, result.checks
    [warning] = result.warnings
    assert (warning.line, warning.message) == (
        4,
        f"skipped: PR #101 is already recorded at commit {FULL[:7]}, the same commit as "
        f"{FULL}: send {FULL[:7]} to get that deployment",
    )
    assert await recorded(container, actor) == {101: FULL[:7]}


@needs_git
async def test_git_is_asked_once_and_a_prefix_naming_several_commits_is_left_out(
    tmp_path: Path,
) -> None:
    # Enough commits (made at once by fast-import) that two share their first 4 digits.
    stream = "".join(
        f"commit refs/heads/main\ncommitter T <t@example.com> {1_700_000_000 + n} +0000\n"
        f"data {len(str(n))}\n{n}\n"
        for n in range(3000)
    )
    git(tmp_path, "init", "-q")
    git(tmp_path, "fast-import", "--quiet", stdin=stream)
    commits = git(tmp_path, "log", "--format=%H", "main").split()
    by_prefix: dict[str, list[str]] = {}
    for full in commits:
        by_prefix.setdefault(full[:4], []).append(full)
    shared = next(prefix for prefix, named in by_prefix.items() if len(named) > 1)
    one = commits[0]

    found = await git_state.full_commit_hashes(
        tmp_path, [shared, one[:7], one[:7], unknown_to(commits), "HEAD", "main"]
    )

    assert found == {one[:7]: one}
    assert await git_state.full_commit_hashes(tmp_path / "nowhere", [one[:7]]) == {}


# --- the rule: one commit, one deployment per PR --------------------------------------


@pytest.mark.parametrize(
    ("first", "then"), [(FULL[:7], FULL), (FULL, FULL[:7]), (FULL[:7], FULL[:9])]
)
async def test_a_hash_that_begins_the_other_for_the_same_pr_is_a_conflict(
    container: Container, actor: Actor, first: str, then: str
) -> None:
    earlier = await record(container, actor, commit_hash=first)

    with pytest.raises(Conflict) as caught:
        await record(container, actor, commit_hash=then.upper())

    assert caught.value.details == {
        "field": "commit_hash",
        "commit_hash": first,
        "deployment_id": str(earlier.id),
    }
    assert await recorded(container, actor) == {7: first}


async def test_the_same_short_hash_again_answers_the_first_record(
    container: Container, actor: Actor
) -> None:
    first = await record(container, actor, commit_hash=FULL[:7])
    again = await record(container, actor, commit_hash=FULL[:7].upper())

    assert (again.created, again.id) == (False, first.id)


async def test_other_commits_and_other_prs_are_other_deployments(
    container: Container, actor: Actor
) -> None:
    await record(container, actor, commit_hash=FULL[:7])
    other_commit = await record(container, actor, commit_hash=FULL[:6] + "0")
    other_pr = await record(container, actor, pr_number=8, commit_hash=FULL)

    assert other_commit.created
    assert other_pr.created
    page = await container.deployments.list(actor=actor, query=DeploymentListQuery.load({}))
    assert page.total_count == 3


async def test_one_batch_holding_a_short_and_its_full_hash_records_the_first(
    container: Container, actor: Actor
) -> None:
    items = [
        DeploymentCreate.load({"pr_number": 7, "pr_title": "Ship", "commit_hash": hash_})
        for hash_ in (FULL, FULL[:7], FULL)
    ]

    first, second, third = await container.deployments.record_many(actor=actor, items=items)

    assert isinstance(first, DeploymentRead)
    assert first.created
    assert isinstance(second, Conflict)
    assert isinstance(third, DeploymentRead)
    assert (third.id, third.created) == (first.id, False)
    assert await recorded(container, actor) == {7: FULL}
