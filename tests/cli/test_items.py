"""``workledger items`` and ``workledger token list|revoke`` as a person uses them: real
subprocesses on both databases, their output read back (docs/reference/cli.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.cli.process import run
from workledger.container import Container
from workledger.schemas.common import Actor


@pytest.fixture
def items(cli_env: dict[str, str], tmp_path: Path) -> Any:
    """``items("add", "task", "x")``: a successful ``workledger items …``; its stdout."""

    def call(*args: str) -> str:
        done = run("items", *args, cwd=tmp_path, env=cli_env)
        assert done.returncode == 0, done.stderr
        # Piped, a listing says how many there are on stderr; other commands say nothing.
        assert done.stderr == "" or args[0] == "list", done.stderr
        return done.stdout

    return call


def rows(listed: str) -> dict[str, list[str]]:
    """Piped ``items list`` rows by short id: one line each, tab-separated fields, the
    empty ones left out."""
    found = {}
    for line in listed.splitlines():
        cells = line.split("\t")
        assert re.fullmatch(r"[0-9a-f]{8}", cells[0]), line
        found[cells[0]] = [cell for cell in cells[1:] if cell]
    return found


def test_a_person_adds_lists_claims_and_completes_work(
    items: Any, cli_env: dict[str, str], tmp_path: Path
) -> None:
    project = items("add", "project", "Invoices").strip()
    assert re.fullmatch(r"[0-9a-f-]{36}", project), project
    parse = items("add", "task", "Parse totals", "--parent", project[-8:], "--priority", "high")
    docs = items("add", "task", "Write the docs", "--tag", "docs", "--due", "2027-01-15")
    parse_id, docs_id = parse.strip()[-8:], docs.strip()[-8:]
    changed = items("edit", docs_id, "--set", f"dependencies={parse_id}", "--set", "tags=docs,q1")
    assert changed.startswith(f"{docs_id}  task · active · medium")

    listed = run("items", "list", cwd=tmp_path, env=cli_env)
    table = rows(listed.stdout)
    assert table[docs_id][-2:] == ["Write the docs", f"waits on {parse_id}"]
    assert table[parse_id] == ["task", "active", "high", "Parse totals", "ready"]
    assert listed.stderr == "3 of 3 work items\n"
    assert list(rows(items("list", "--ready"))) == [parse_id]  # a project is never ready

    claimed = items("claim", parse_id)
    assert re.fullmatch(
        rf"{parse_id}  task · active · high · cli  Parse totals  \(until \S+ \S+ UTC\)",
        claimed.strip(),
    ), claimed
    shown = items("show", docs_id)
    assert "Write the docs" in shown
    assert f"waits on {parse_id}" in shown
    assert re.search(rf"{parse_id}\s+active\s+Parse totals", shown)
    assert "docs, q1" in shown
    assert "2027-01-15" in shown

    items("done", parse_id)
    ready = json.loads(items("list", "--ready", "--json"))
    assert [item["title"] for item in ready] == ["Write the docs"]
    record = json.loads(items("show", parse_id, "--json"))
    assert (record["status"], record["assignee"], record["updated_by"]) == (
        "completed",
        None,
        "cli",
    )


def test_the_next_item_is_shown_taken_and_released(
    items: Any, cli_env: dict[str, str], tmp_path: Path
) -> None:
    first = items("add", "task", "First", "--priority", "high").strip()[-8:]
    second = items("add", "task", "Second", "--tag", "docs").strip()[-8:]

    assert items("next").strip() == f"{first}  task · active · high  First"  # shown, not taken
    taken = items("next", "--claim", "--lease", "60")
    assert taken.startswith(f"{first}  task · active · high · cli  First")
    assert json.loads(items("next", "--tag", "docs", "--json"))["id"].endswith(second)
    assert items("release", first).strip() == f"{first}  task · active · high  First"
    items("next", "--claim")
    items("next", "--claim")

    nothing = run("items", "next", "--claim", cwd=tmp_path, env=cli_env)
    assert (nothing.returncode, nothing.stdout, nothing.stderr) == (1, "", "nothing is ready\n")
    short = run("items", "claim", second, "--lease", "5", cwd=tmp_path, env=cli_env)
    assert short.returncode == 2
    assert "30" in short.stderr


def test_work_is_logged_from_the_terminal(
    items: Any, cli_env: dict[str, str], tmp_path: Path
) -> None:
    made = items("add", "task", "Parse totals").strip()[-8:]
    items("log", made, "--minutes", "45", "--note", "first pass")
    assert (
        items("log", made, "--tokens", "12000", "--cost", "0.4").strip()
        == f"{made}  spent 45 min · 12,000 tokens · $0.40  Parse totals"
    )
    nothing = run("items", "log", made, cwd=tmp_path, env=cli_env)
    assert nothing.returncode != 0
    assert "give minutes, tokens or cost_usd" in nothing.stderr


def test_what_the_command_line_writes_every_other_door_sees(
    items: Any, container: Container, cli_env: dict[str, str], tmp_path: Path
) -> None:
    made = items("add", "task", "From the terminal").strip()
    report = run("report", "--output", "-", cwd=tmp_path, env=cli_env)
    assert f"From the terminal · active · medium · `{made[-8:]}`" in report.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("show", "0badcafe"), "Error: work item 0badcafe not found"),
        (("show", "nope"), "Error: invalid input: id: must be a work item id, or the short id"),
        (("add", "bogus", "x"), "Error: invalid input: item_type: Input should be"),
        (("edit", "0badcafe", "--set", "title=x"), "Error: work item 0badcafe not found"),
        (("list", "--status", "open"), "Error: invalid input: status: Input should be"),
    ],
)
def test_a_mistake_is_one_line_and_exit_status_1(
    cli_env: dict[str, str], tmp_path: Path, args: tuple[str, ...], says: str
) -> None:
    done = run("items", *args, cwd=tmp_path, env=cli_env)
    assert done.returncode == 1, done
    assert done.stderr.startswith(says), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr


def test_an_unknown_field_to_set_is_refused(
    items: Any, cli_env: dict[str, str], tmp_path: Path
) -> None:
    made = items("add", "task", "x").strip()
    done = run("items", "edit", made, "--set", "colour=red", cwd=tmp_path, env=cli_env)
    assert (done.returncode, done.stderr.strip()) == (
        1,
        "Error: invalid input: colour: unknown field",
    )
    shown = json.loads(items("show", made, "--json"))
    assert shown["version"] == 1


def test_numbers_and_booleans_are_read_from_the_text_typed_but_dates_only_in_iso(
    items: Any, cli_env: dict[str, str], tmp_path: Path
) -> None:
    """What a person types is text: pr_number=12 is the number 12 (JSON doors refuse
    "12"), but due_date=0 is no date."""
    made = items("add", "task", "x").strip()
    items("edit", made, "--set", "pr_number=12", "--set", "due_date=2027-01-15")
    done = run("items", "edit", made, "--set", "due_date=0", cwd=tmp_path, env=cli_env)
    assert (done.returncode, done.stderr.strip()) == (
        1,
        "Error: invalid input: due_date: must be an ISO 8601 date (YYYY-MM-DD)",
    )
    shown = json.loads(items("show", made, "--json"))
    assert (shown["pr_number"], shown["due_date"], shown["version"]) == (12, "2027-01-15", 2)


def test_tokens_are_listed_and_revoked(
    cli_env: dict[str, str], tmp_path: Path, container: Container, actor: Actor
) -> None:
    created = run("token", "create", "--name", "laptop", cwd=tmp_path, env=cli_env)
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip().splitlines()[-1]
    listed = run("token", "list", cwd=tmp_path, env=cli_env)
    [line] = [line for line in listed.stdout.splitlines() if "laptop" in line]
    token_id = line.split()[0]
    assert "last used never" in line
    assert secret[:8] in line

    revoked = run("token", "revoke", token_id, cwd=tmp_path, env=cli_env)
    assert revoked.returncode == 0, revoked.stderr
    assert "revoked API token 'laptop'" in revoked.stdout
    assert "revoked " in run("token", "list", cwd=tmp_path, env=cli_env).stdout
    wrong = run("token", "revoke", "laptop", cwd=tmp_path, env=cli_env)
    assert wrong.returncode == 2
    assert "is not a token id" in wrong.stderr
