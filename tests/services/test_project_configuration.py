"""Project configuration: one per account, defaults on first read, locking, live git state."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from workledger.container import Container
from workledger.errors import NotFound, ValidationError, VersionConflict
from workledger.schemas.common import Actor
from workledger.schemas.project_configuration import (
    ProjectConfigurationRead,
    ProjectConfigurationUpdate,
)
from workledger.schemas.work_item import WorkItemCreate, WorkItemRead, WorkItemUpdate


async def update(
    container: Container, actor: Actor, version: int, **fields: Any
) -> ProjectConfigurationRead:
    return await container.configuration.update(
        actor=actor, data=ProjectConfigurationUpdate.load({"version": version, **fields})
    )


def stored(configuration: ProjectConfigurationRead) -> dict[str, Any]:
    """What is kept in the database, without the parts computed on every read."""
    return configuration.model_dump(exclude={"git_state", "health_check_status"})


async def work_item(container: Container, actor: Actor, item_type: str) -> WorkItemRead:
    return await container.work_items.create(
        actor=actor, data=WorkItemCreate.load({"item_type": item_type, "title": item_type})
    )


def git(repo: Path, *args: str) -> str:
    identity = ["-c", "user.name=Test", "-c", "user.email=test@example.com"]
    command = ["git", "-C", str(repo), *identity, "-c", "commit.gpgsign=false", *args]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


def write(path: Path, text: str) -> None:
    path.write_text(text)


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    """tmp_path (the container's repo_dir) as a clean work tree on branch ``trunk``."""
    git(tmp_path, "init", "-q", "-b", "trunk")
    # The SQLite test database lives in tmp_path too; keep it out of the work tree's status.
    write(tmp_path / ".gitignore", "workledger.db*\n.workledger/\n")
    write(tmp_path / "README.md", "hello\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "initial")
    return tmp_path


# --- defaults -----------------------------------------------------------------------------


async def test_the_first_read_creates_the_defaults(
    container: Container, actor: Actor, backend: str
) -> None:
    configuration = await container.configuration.get(actor=actor)

    assert configuration.active_context_type == "feature"
    assert configuration.default_token_budget == 200_000
    assert configuration.token_budgets == {}
    assert configuration.current_session_id is None
    assert configuration.version == 1
    assert configuration.health_check_status.database == "ok"
    assert configuration.health_check_status.data_source == backend
    again = await container.configuration.get(actor=actor)
    assert stored(again) == stored(configuration)


async def test_an_update_before_any_read_starts_from_the_defaults(
    container: Container, actor: Actor
) -> None:
    updated = await update(container, actor, 1, active_context_type="maintenance")

    assert (updated.active_context_type, updated.default_token_budget, updated.version) == (
        "maintenance",
        200_000,
        2,
    )


# --- updates ------------------------------------------------------------------------------


async def test_an_update_is_kept_and_bumps_the_version(container: Container, actor: Actor) -> None:
    await container.configuration.get(actor=actor)
    agent = actor.as_client("claude-code")

    updated = await update(
        container,
        agent,
        1,
        active_context_type="research",
        default_token_budget=50_000,
        token_budgets={"planning": 20_000, "review": 1_000_000},
    )

    assert updated.active_context_type == "research"
    assert updated.default_token_budget == 50_000
    assert updated.token_budgets == {"planning": 20_000, "review": 1_000_000}
    assert (updated.version, updated.updated_by) == (2, "claude-code")
    assert stored(await container.configuration.get(actor=actor)) == stored(updated)


async def test_an_update_keeps_the_fields_not_sent(container: Container, actor: Actor) -> None:
    await update(container, actor, 1, default_token_budget=75_000, token_budgets={"a": 5_000})

    updated = await update(container, actor, 2, active_context_type="maintenance")

    assert (updated.default_token_budget, updated.token_budgets) == (75_000, {"a": 5_000})


async def test_a_stale_version_is_refused_and_changes_nothing(
    container: Container, actor: Actor
) -> None:
    desktop = actor.as_client("claude-desktop")
    winner = await update(container, desktop, 1, default_token_budget=30_000)

    with pytest.raises(VersionConflict) as caught:
        await update(container, actor, 1, default_token_budget=90_000)

    details = caught.value.to_dict()
    assert (details["current_version"], details["requested_version"]) == (2, 1)
    assert details["updated_by"] == "claude-desktop"
    assert stored(await container.configuration.get(actor=actor)) == stored(winner)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"default_token_budget": 999}, "default_token_budget"),
        ({"default_token_budget": 1_000_001}, "default_token_budget"),
        ({"default_token_budget": None}, "default_token_budget"),
        ({"token_budgets": {"planning": 999}}, "token_budgets.planning"),
        ({"token_budgets": {"planning": 2_000_000}}, "token_budgets.planning"),
        ({"token_budgets": None}, "token_budgets"),
        ({"active_context_type": "vacation"}, "active_context_type"),
        ({"theme": "dark"}, "theme"),
    ],
)
async def test_bad_configuration_input_is_refused_and_changes_nothing(
    container: Container, actor: Actor, fields: dict[str, Any], field: str
) -> None:
    before = await container.configuration.get(actor=actor)

    with pytest.raises(ValidationError) as caught:
        await update(container, actor, 1, **fields)

    assert field in [e.field for e in caught.value.errors]
    assert stored(await container.configuration.get(actor=actor)) == stored(before)


async def test_an_empty_budget_name_is_refused(container: Container, actor: Actor) -> None:
    with pytest.raises(ValidationError) as caught:
        await update(container, actor, 1, token_budgets={"": 5_000})

    assert all(e.field.startswith("token_budgets") for e in caught.value.errors)


async def test_budget_bounds_are_inclusive(container: Container, actor: Actor) -> None:
    updated = await update(
        container, actor, 1, default_token_budget=1_000, token_budgets={"max": 1_000_000}
    )

    assert (updated.default_token_budget, updated.token_budgets) == (1_000, {"max": 1_000_000})


# --- current session ----------------------------------------------------------------------


async def test_the_current_session_can_be_set_and_cleared(
    container: Container, actor: Actor
) -> None:
    session = await work_item(container, actor, "session")

    chosen = await update(container, actor, 1, current_session_id=str(session.id))
    cleared = await update(container, actor, 2, current_session_id=None)

    assert chosen.current_session_id == session.id
    assert (cleared.current_session_id, cleared.version) == (None, 3)


async def test_a_task_cannot_be_the_current_session(container: Container, actor: Actor) -> None:
    task = await work_item(container, actor, "task")

    with pytest.raises(ValidationError) as caught:
        await update(container, actor, 1, current_session_id=str(task.id))

    assert [e.field for e in caught.value.errors] == ["current_session_id"]
    configuration = await container.configuration.get(actor=actor)
    assert (configuration.current_session_id, configuration.version) == (None, 1)


@pytest.mark.parametrize("whose", ["other account", "missing", "deleted"])
async def test_an_unreachable_session_is_not_found(
    container: Container, actor: Actor, other_actor: Actor, whose: str
) -> None:
    if whose == "other account":
        session_id = (await work_item(container, other_actor, "session")).id
    elif whose == "deleted":
        session_id = (await work_item(container, actor, "session")).id
        await container.work_items.update(
            actor=actor,
            item_id=session_id,
            data=WorkItemUpdate.load({"version": 1, "deleted": True}),
        )
    else:
        session_id = uuid.uuid4()

    with pytest.raises(NotFound):
        await update(container, actor, 1, current_session_id=str(session_id))

    configuration = await container.configuration.get(actor=actor)
    assert (configuration.current_session_id, configuration.version) == (None, 1)


# --- git state ----------------------------------------------------------------------------


async def test_git_state_is_null_outside_a_git_work_tree(
    container: Container, actor: Actor
) -> None:
    configuration = await container.configuration.get(actor=actor)

    assert configuration.git_state is None


async def test_git_state_shows_branch_commit_and_a_clean_tree(
    container: Container, actor: Actor, git_repo: Path
) -> None:
    configuration = await container.configuration.get(actor=actor)

    assert configuration.git_state is not None
    assert configuration.git_state.branch == "trunk"
    assert configuration.git_state.commit == git(git_repo, "rev-parse", "HEAD")
    assert configuration.git_state.dirty is False


async def test_git_state_is_read_live_on_every_read(
    container: Container, actor: Actor, git_repo: Path
) -> None:
    await container.configuration.get(actor=actor)

    write(git_repo / "notes.txt", "untracked\n")
    untracked = await container.configuration.get(actor=actor)
    git(git_repo, "checkout", "-q", "-b", "feature/live")
    git(git_repo, "add", "notes.txt")
    git(git_repo, "commit", "-q", "-m", "notes")
    committed = await container.configuration.get(actor=actor)
    write(git_repo / "README.md", "changed\n")
    modified = await container.configuration.get(actor=actor)

    assert untracked.git_state is not None
    assert untracked.git_state.dirty is True
    assert committed.git_state is not None
    assert (committed.git_state.branch, committed.git_state.dirty) == ("feature/live", False)
    assert committed.git_state.commit == git(git_repo, "rev-parse", "HEAD")
    assert committed.git_state.commit != untracked.git_state.commit
    assert modified.git_state is not None
    assert modified.git_state.dirty is True
    assert modified.version == 1


async def test_git_state_comes_with_an_update_too(
    container: Container, actor: Actor, git_repo: Path
) -> None:
    updated = await update(container, actor, 1, active_context_type="maintenance")

    assert updated.git_state is not None
    assert updated.git_state.commit == git(git_repo, "rev-parse", "HEAD")


async def test_a_repository_without_commits_has_a_branch_but_no_commit(
    container: Container, actor: Actor, tmp_path: Path
) -> None:
    git(tmp_path, "init", "-q", "-b", "trunk")

    configuration = await container.configuration.get(actor=actor)

    assert configuration.git_state is not None
    assert (configuration.git_state.branch, configuration.git_state.commit) == ("trunk", None)


# --- isolation ----------------------------------------------------------------------------


async def test_each_account_has_its_own_configuration(
    container: Container, actor: Actor, other_actor: Actor
) -> None:
    session = await work_item(container, actor, "session")
    mine = await update(
        container,
        actor,
        1,
        active_context_type="research",
        token_budgets={"deep": 500_000},
        current_session_id=str(session.id),
    )

    theirs = await container.configuration.get(actor=other_actor)

    assert theirs.id != mine.id
    assert (theirs.active_context_type, theirs.token_budgets) == ("feature", {})
    assert (theirs.current_session_id, theirs.version) == (None, 1)
    await update(container, other_actor, 1, default_token_budget=10_000)
    assert stored(await container.configuration.get(actor=actor)) == stored(mine)
