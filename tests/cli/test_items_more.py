"""``workledger items`` as scripts and agents read it (stdout a pipe) and as people page,
delete and restore: real subprocesses on both databases (docs/reference/cli.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.cli.process import ok, run
from tests.cli.test_first_hour import plain_env
from workledger.container import Container
from workledger.schemas.common import Actor
from workledger.schemas.work_item import WorkItemCreate

LONG_TITLE = "Reconcile the ledger " + "and every sub-ledger, " * 6 + "then report"


async def made(container: Container, actor: Actor, count: int) -> None:
    data = [
        WorkItemCreate.load({"item_type": "task", "title": f"task {n:04}"}) for n in range(count)
    ]
    await container.work_items.create_many(actor=actor, items=data)


def lines(listed: str) -> list[list[str]]:
    return [line.split("\t") for line in listed.splitlines()]


@pytest.fixture
def local(cli_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The CLI's environment, acting as the account the tests' ``actor`` is."""
    return {**cli_env, "WORKLEDGER_ACCOUNT": "alice@example.com"}


async def test_piped_rows_are_one_line_each_never_wrapped(
    container: Container, actor: Actor, local: dict[str, str], tmp_path: Path
) -> None:
    data = WorkItemCreate.load({"item_type": "task", "title": LONG_TITLE, "tags": ["x"]})
    item = await container.work_items.create(actor=actor, data=data)

    listed = run("items", "list", cwd=tmp_path, env=local)

    assert ok(listed).count("\n") == 1
    [[short, kind, status, priority, title, assignee, state]] = lines(listed.stdout)
    assert (short, kind, status, priority) == (str(item.id)[-8:], "task", "active", "medium")
    assert (title, assignee, state) == (LONG_TITLE, "", "ready")
    assert listed.stderr == "1 of 1 work item\n"


async def test_all_lists_a_thousand_items_and_a_cursor_goes_on_where_a_page_stopped(
    container: Container, actor: Actor, local: dict[str, str], tmp_path: Path
) -> None:
    await made(container, actor, 1000)

    everything = run("items", "list", "--all", cwd=tmp_path, env=local)
    assert len(lines(ok(everything))) == 1000
    assert everything.stderr == "1,000 of 1,000 work items\n"
    assert {row[4] for row in lines(everything.stdout)} == {f"task {n:04}" for n in range(1000)}

    first = run("items", "list", "--limit", "500", cwd=tmp_path, env=local)
    assert len(lines(ok(first))) == 500
    said = re.fullmatch(
        r"500 of 1,000 work items; more: --cursor (\S+) \(or --all\)\n", first.stderr
    )
    assert said is not None, first.stderr
    rest = run("items", "list", "--cursor", said[1], "--limit", "1000", cwd=tmp_path, env=local)
    assert len(lines(ok(rest))) == 500
    seen = [row[0] for row in lines(first.stdout) + lines(rest.stdout)]
    assert sorted(seen) == sorted(row[0] for row in lines(everything.stdout))

    as_json = json.loads(ok(run("items", "list", "--all", "--json", cwd=tmp_path, env=local)))
    assert len(as_json) == 1000


async def test_delete_and_restore_say_what_they_did(
    container: Container, actor: Actor, local: dict[str, str], tmp_path: Path
) -> None:
    parent = await container.work_items.create(
        actor=actor, data=WorkItemCreate.load({"item_type": "project", "title": "Invoices"})
    )
    await container.work_items.create(
        actor=actor,
        data=WorkItemCreate.load(
            {"item_type": "task", "title": "Parse", "parent_id": str(parent.id)}
        ),
    )
    short = str(parent.id)[-8:]

    refused = run("items", "delete", short, cwd=tmp_path, env=local)
    assert refused.returncode == 1
    assert "live children" in refused.stderr, refused.stderr
    deleted = ok(run("items", "delete", short, "--cascade", cwd=tmp_path, env=local))
    assert deleted.strip() == f"{short}  project · active · medium  Invoices  (deleted)"
    assert ok(run("items", "list", cwd=tmp_path, env=local)) == ""

    restored = ok(run("items", "restore", short, cwd=tmp_path, env=local))
    assert restored.strip() == f"{short}  project · active · medium  Invoices"
    assert len(lines(ok(run("items", "list", cwd=tmp_path, env=local)))) == 2

    # The same through --set, which now says so and finds the deleted item again.
    gone = ok(run("items", "edit", short, "--set", "deleted=true", "--set", "cascade=true",
                  cwd=tmp_path, env=local))  # fmt: skip
    assert gone.strip().endswith("Invoices  (deleted)")
    back = ok(run("items", "edit", short, "--set", "deleted=false", cwd=tmp_path, env=local))
    assert back.strip().endswith("  Invoices")


@pytest.mark.parametrize("group", [(), ("items",), ("ledger",), ("token",), ("db",), ("account",)])
def test_every_help_lists_each_command_with_a_whole_sentence(
    group: tuple[str, ...], tmp_path: Path
) -> None:
    helped = ok(run(*group, "--help", cwd=tmp_path, env=plain_env()))
    commands = helped.partition("Commands:\n")[2]
    assert commands, helped
    assert "..." not in commands
    assert "e.g.\n" not in commands
    # Each entry ends its sentence.
    entries = re.split(r"\n  (?=\S)", "\n" + commands.rstrip())[1:]
    assert all(entry.rstrip().endswith((".", ")")) for entry in entries), entries


def test_a_command_that_starts_a_new_database_says_where(tmp_path: Path) -> None:
    fresh = run("items", "list", cwd=tmp_path, env=plain_env())
    database = tmp_path / ".workledger" / "workledger.db"
    assert ok(fresh) == ""
    assert f"started a new ledger database at {database}" in fresh.stderr
    again = run("items", "list", cwd=tmp_path, env=plain_env())
    assert "new ledger database" not in again.stderr
