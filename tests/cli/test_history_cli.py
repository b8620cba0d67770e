"""``workledger items history``, ``items comment``, the comments ``items show`` lists and
the comment counts of the report, as people use them: real subprocesses on both databases,
acting as accounts by ``WORKLEDGER_ACCOUNT`` (docs/reference/cli.md#work-items).

ada owns the ledger ``team``, where bea is a member and cy a reader."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from itertools import groupby
from pathlib import Path

import pytest

from tests.cli import process
from tests.cli.process import one_line_error, run
from workledger.config import LOCAL_ACCOUNT_EMAIL
from workledger.container import Container

ADA, BEA, CY = (f"{name}@example.com" for name in ("ada", "bea", "cy"))
HEADING = re.compile(r"^(?P<at>\d{4}-\d\d-\d\d \d\d:\d\d) UTC  (?P<who>\S+ via \S+)$")

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def as_(cli_env: dict[str, str], tmp_path: Path) -> Run:
    """``as_(email, "items", "list")``: ``workledger …`` as the account ``email`` (None: the
    built-in local account), ``stdin`` given to it."""

    def call(email: str | None, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        env = dict(cli_env)
        if email is not None:
            env["WORKLEDGER_ACCOUNT"] = email
        return run(*args, cwd=tmp_path, env=env, stdin=stdin)

    return call


def ok(done: subprocess.CompletedProcess[str]) -> str:
    """What a command that succeeded printed, and it said nothing on stderr."""
    assert done.stderr == "", done.stderr
    return process.ok(done)


@pytest.fixture
def team(as_: Run) -> None:
    """``team``, owned by ada, with bea a member and cy a reader."""
    for email in (ADA, BEA, CY):
        ok(as_(None, "account", "create", email, "--password-stdin", stdin="correct horse\n"))
    ok(as_(ADA, "ledger", "create", "team"))
    ok(as_(ADA, "ledger", "add-member", "team", BEA, "--role", "member"))
    ok(as_(ADA, "ledger", "add-member", "team", CY, "--role", "reader"))


def groups(text: str) -> list[tuple[str, str, list[str]]]:
    """``items history``: (minute, who, [event line]) for each heading."""
    found: list[tuple[str, str, list[str]]] = []
    for line in text.splitlines():
        if heading := HEADING.match(line):
            found.append((heading["at"], heading["who"], []))
        elif line.strip():
            assert line.startswith("  "), line
            found[-1][2].append(line.strip())
    return found


def test_history_shows_each_change_oldest_first_grouped_by_who_and_when(
    team: None, as_: Run
) -> None:
    made = ok(as_(ADA, "items", "add", "task", "Parse totals", "--ledger", "team")).strip()
    short = made[-8:]
    ok(as_(ADA, "items", "edit", short, "--set", "title=Parse the totals", "--ledger", "team"))
    ok(as_(BEA, "items", "claim", short, "--ledger", "team"))
    said = ok(as_(BEA, "items", "comment", short, "Halfway there", "--ledger", "team")).strip()
    assert re.fullmatch(r"[0-9a-f-]{36}", said), said
    ok(as_(ADA, "items", "edit", short, "--set", "priority=high", "--ledger", "team"))
    ok(as_(BEA, "items", "done", short, "--ledger", "team"))

    shown = ok(as_(CY, "items", "history", short, "--ledger", "team"))
    found = groups(shown)
    # One heading per run of one person's events within a minute, in order.
    events = json.loads(ok(as_(CY, "items", "history", made, "--json", "--ledger", "team")))
    runs = [
        key
        for key, _ in groupby(
            events, key=lambda e: (e["at"][:16].replace("T", " "), e["actor"]["account"])
        )
    ]
    assert [(at, who) for at, who, _ in found] == [(at, f"{who} via cli") for at, who in runs]
    until = events[2]["changes"]["claimed_until"][1]  # when bea's lease would have run out
    by_person = [
        (who, [line for _, _, lines in run for line in lines])
        for who, run in groupby(found, key=lambda group: group[1])
    ]
    assert by_person == [
        (
            f"{ADA} via cli",
            [
                'create  title: "Parse totals", item_type: "task", status: "active", '
                'priority: "medium"',
                'update  title: "Parse totals" → "Parse the totals"',
            ],
        ),
        (
            f"{BEA} via cli",
            [
                f'claim  assignee: none → "cli", assignee_account: none → "{BEA}", '
                f'claimed_until: none → "{until}"',
                'comment  "Halfway there"',
            ],
        ),
        (f"{ADA} via cli", ['update  priority: "medium" → "high"']),
        (
            f"{BEA} via cli",
            [
                'update  status: "active" → "completed", assignee: "cli" → none, '
                f'assignee_account: "{BEA}" → none, claimed_until: "{until}" → none'
            ],
        ),
    ]

    # --json: the events themselves, as a JSON array (like `items list --json`).
    assert [e["action"] for e in events] == [
        "create",
        "update",
        "claim",
        "comment",
        "update",
        "update",
    ]
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    assert {e["record_id"] for e in events} == {made}
    assert [e["actor"] for e in events][2:4] == [{"client": "cli", "account": BEA}] * 2
    assert events[1]["changes"] == {"title": ["Parse totals", "Parse the totals"]}
    assert events[3]["changes"]["comment"][1]["body"] == "Halfway there"


def test_a_long_value_is_shortened_and_kept_on_one_line(as_: Run) -> None:
    made = ok(as_(None, "items", "add", "task", "Short")).strip()
    long = "word " * 40 + "\nand a second line"
    ok(as_(None, "items", "edit", made, "--set", f"description={long}"))
    [(_, _, lines)] = groups(ok(as_(None, "items", "history", made)))
    assert lines[1].startswith('update  description: none → "word word ')
    assert lines[1].endswith('…"')
    assert len(lines[1]) < 120
    described = json.loads(ok(as_(None, "items", "history", made, "--json")))[1]
    assert described["changes"]["description"] == [None, long]


def test_a_comment_is_listed_by_show_with_its_author_and_time(team: None, as_: Run) -> None:
    made = ok(as_(ADA, "items", "add", "task", "Talk about it", "--ledger", "team")).strip()
    first = ok(as_(BEA, "items", "comment", made, "Is **this** right?", "--ledger", "team"))
    second = ok(
        as_(ADA, "items", "comment", made[-8:], "-", "--ledger", "team", stdin="Yes.\nShip it.\n")
    )

    shown = ok(as_(CY, "items", "show", made, "--ledger", "team"))
    fields, _, said = shown.partition("\ncomments (2)\n")
    assert "Talk about it" in fields
    lines = said.splitlines()
    assert re.fullmatch(
        rf"  \d{{4}}-\d\d-\d\d \d\d:\d\d UTC  {BEA} via cli  \({first.strip()}\)", lines[0]
    ), lines[0]
    assert lines[1] == "    Is **this** right?"
    assert lines[2].endswith(f"UTC  {ADA} via cli  ({second.strip()})"), lines[2]
    assert lines[3:] == ["    Yes.", "    Ship it."]

    record = json.loads(ok(as_(CY, "items", "show", made, "--json", "--ledger", "team")))
    assert record["title"] == "Talk about it"
    assert [
        (c["id"], c["body"], c["author"], c["author_account"], c["work_item_id"])
        for c in record["comments"]
    ] == [
        (first.strip(), "Is **this** right?", "cli", BEA, made),
        (second.strip(), "Yes.\nShip it.", "cli", ADA, made),
    ]


def test_an_item_without_comments_shows_none_and_json_has_an_empty_list(as_: Run) -> None:
    made = ok(as_(None, "items", "add", "task", "Silent")).strip()
    assert "comments" not in ok(as_(None, "items", "show", made))
    assert json.loads(ok(as_(None, "items", "show", made, "--json")))["comments"] == []


async def test_every_page_of_history_and_comments_is_read(as_: Run, container: Container) -> None:
    """More than a page (100) of events and of comments: all of them, in order."""
    made = ok(as_(None, "items", "add", "task", "Much said")).strip()
    principal = await container.accounts.principal(LOCAL_ACCOUNT_EMAIL)
    actor = await container.ledgers.actor(principal, ledger=None, client="chatty")
    for number in range(1, 121):
        await container.comments.add(actor=actor, work_item_id=made, body=f"note {number}")

    events = json.loads(ok(as_(None, "items", "history", made, "--json")))
    assert len(events) == 121
    assert [e["changes"]["comment"][1]["body"] for e in events[1:]] == [
        f"note {n}" for n in range(1, 121)
    ]
    text = ok(as_(None, "items", "history", made))
    assert sum(line.startswith("  comment  ") for line in text.splitlines()) == 120
    assert '  comment  "note 120"' in text
    comments = json.loads(ok(as_(None, "items", "show", made, "--json")))["comments"]
    assert [c["body"] for c in comments] == [f"note {n}" for n in range(1, 121)]
    assert f"{LOCAL_ACCOUNT_EMAIL} via chatty" in text


def test_another_ledgers_item_is_not_found(team: None, as_: Run) -> None:
    made = ok(as_(ADA, "items", "add", "task", "In the team", "--ledger", "team")).strip()
    for args in (("comment", made, "Hello"), ("history", made), ("comment", made[-8:], "Hi")):
        refused = one_line_error(as_(ADA, "items", *args))  # ada's own ledger
        assert refused == f"Error: work item {args[1]} not found", refused
    assert (
        json.loads(ok(as_(ADA, "items", "show", made, "--json", "--ledger", "team")))["comments"]
        == []
    )


def test_a_reader_may_read_the_history_but_not_comment(team: None, as_: Run) -> None:
    made = ok(as_(ADA, "items", "add", "task", "Read only", "--ledger", "team")).strip()
    refused = one_line_error(as_(CY, "items", "comment", made, "Me too", "--ledger", "team"))
    assert refused == "Error: you are a reader of ledger team: a reader cannot change records"
    [(_, who, lines)] = groups(ok(as_(CY, "items", "history", made, "--ledger", "team")))
    assert (who, [line.split()[0] for line in lines]) == (f"{ADA} via cli", ["create"])


EMPTY = "Error: invalid input: TEXT: a comment needs some text (it is empty)"


def test_an_empty_or_too_long_comment_is_refused_clearly(as_: Run) -> None:
    made = ok(as_(None, "items", "add", "task", "Quiet")).strip()
    too_long = "Error: invalid input: TEXT: String should have at most 20000 characters"
    for item, text, stdin, says in (
        (made, "", "", EMPTY),
        (made, "  \n ", "", EMPTY),
        (made, "-", "\n\n", EMPTY),
        (made, "x" * 20_001, "", too_long),
        ("nope", "Hello", "", "Error: invalid input: id: must be a work item id"),
    ):
        refused = one_line_error(as_(None, "items", "comment", item, text, stdin=stdin))
        assert refused.startswith(says), refused
    assert json.loads(ok(as_(None, "items", "show", made, "--json")))["comments"] == []


def test_the_report_counts_comments_and_imports_back_without_them(as_: Run) -> None:
    talked = ok(as_(None, "items", "add", "task", "Talked about")).strip()
    once = ok(as_(None, "items", "add", "task", "Said once", "--parent", talked)).strip()
    quiet = ok(as_(None, "items", "add", "task", "Nothing said")).strip()
    ok(as_(None, "items", "claim", once))
    for item, body in ((talked, "one"), (talked, "two"), (once, "only")):
        ok(as_(None, "items", "comment", item, body))

    report = ok(as_(None, "report", "--output", "-"))
    assert f"- [task] Talked about · active · medium · `{talked[-8:]}` · 2 comments\n" in report
    assert (
        f"  - [task] Said once · active · medium · `{once[-8:]}` · assigned to "
        f"{LOCAL_ACCOUNT_EMAIL} via cli · 1 comment\n"
    ) in report
    assert f"- [task] Nothing said · active · medium · `{quiet[-8:]}`\n" in report

    # The importer reads the counts past: no warning, the same tree, no comments.
    ok(as_(None, "account", "create", ADA, "--password-stdin", stdin="correct horse\n"))
    status = as_(None, "report")  # to the status file beside the data directory
    assert status.returncode == 0, status.stderr
    imported = as_(ADA, "import", ".project_status.md")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "warning" not in imported.stderr, imported.stderr
    assert "3 work items" in imported.stdout
    again = ok(as_(ADA, "report", "--output", "-"))
    tree = [line for line in again.splitlines() if line.lstrip().startswith("- [task]")]
    assert tree == [
        f"- [task] Talked about · active · medium · `{talked[-8:]}`",
        f"  - [task] Said once · active · medium · `{once[-8:]}` · assigned to cli",
        f"- [task] Nothing said · active · medium · `{quiet[-8:]}`",
    ]
    assert ok(as_(ADA, "items", "show", talked[-8:], "--json")).count('"comments": []') == 1
