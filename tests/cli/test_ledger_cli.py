"""``workledger ledger …``, ``--ledger`` and ``WORKLEDGER_LEDGER`` as people use them: real
subprocesses on both databases, acting as accounts by ``WORKLEDGER_ACCOUNT``
(docs/reference/ledgers.md#command-line, docs/reference/cli.md#ledgers).

Each test has a database of its own, so the ledger is ``team`` and the people are
ada (its owner), bea (a member), cy (a reader) and eve (in no ledger but her own)."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.process import ok, one_line_error, run
from workledger.container import Container

ADA, BEA, CY, EVE = (f"{name}@example.com" for name in ("ada", "bea", "cy", "eve"))
READER_REFUSED = "Error: you are a reader of ledger team: a reader cannot change records"

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def as_(cli_env: dict[str, str], tmp_path: Path) -> Run:
    """``as_(email, "items", "list", ledger="team")``: ``workledger …`` as the account
    ``email``, with WORKLEDGER_LEDGER=``ledger`` when given."""

    def call(email: str, *args: str, ledger: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {**cli_env, "WORKLEDGER_ACCOUNT": email}
        if ledger is not None:
            env["WORKLEDGER_LEDGER"] = ledger
        return run(*args, cwd=tmp_path, env=env)

    return call


@pytest.fixture
def people(cli_env: dict[str, str], container: Container, tmp_path: Path) -> None:
    """ada, bea, cy and eve, made with `workledger account create`."""
    for email in (ADA, BEA, CY, EVE):
        made = run(
            "account",
            "create",
            email,
            "--password-stdin",
            cwd=tmp_path,
            env=cli_env,
            stdin="correct horse\n",
        )
        assert made.returncode == 0, made.stderr


@pytest.fixture
def team(people: None, as_: Run) -> None:
    """``team``, made by ada, bea a member, cy a reader (all by the command line)."""
    created = ok(as_(ADA, "ledger", "create", "team", "--name", "The team"))
    assert re.fullmatch(r"created ledger team \([0-9a-f-]{36}\); you are its owner\n", created), (
        created
    )
    for email, role in ((BEA, "member"), (CY, "reader")):
        added = ok(as_(ADA, "ledger", "add-member", "team", email, "--role", role))
        assert added == f"{email} is now {role} of team\n"


def listing(stdout: str) -> list[tuple[str, ...]]:
    """`workledger ledger list`: (mark, slug, role, name) a line."""
    return [(line[0], *line[1:].split(maxsplit=2)) for line in stdout.splitlines() if line.strip()]


def titles(stdout: str) -> list[str]:
    return sorted(item["title"] for item in json.loads(stdout))


# --- ledgers and members -----------------------------------------------------------------------


def test_members_are_listed_owners_first_to_any_member(team: None, as_: Run) -> None:
    expected = f"{ADA:<40} owner\n{BEA:<40} member\n{CY:<40} reader\n"
    for email in (ADA, BEA, CY):
        assert ok(as_(email, "ledger", "members", "team")) == expected, email


def test_ledger_list_marks_the_ledger_commands_act_on(team: None, as_: Run) -> None:
    assert listing(ok(as_(ADA, "ledger", "list"))) == [
        ("*", "ada", "owner", ADA),
        (" ", "team", "owner", "The team"),
    ]
    for marked in (
        as_(BEA, "ledger", "list", "--ledger", "team"),
        as_(BEA, "--ledger", "team", "ledger", "list"),
        as_(BEA, "ledger", "list", ledger="team"),
    ):
        assert listing(ok(marked)) == [
            (" ", "bea", "owner", BEA),
            ("*", "team", "member", "The team"),
        ]
    assert listing(ok(as_(CY, "ledger", "list"))) == [
        ("*", "cy", "owner", CY),
        (" ", "team", "reader", "The team"),
    ]
    assert listing(ok(as_(EVE, "ledger", "list"))) == [("*", "eve", "owner", EVE)]


def test_an_item_added_in_the_team_is_seen_by_another_member_and_nowhere_else(
    team: None, as_: Run
) -> None:
    made = ok(as_(ADA, "items", "add", "task", "Shared work", "--ledger", "team")).strip()
    assert re.fullmatch(r"[0-9a-f-]{36}", made), made
    ok(as_(ADA, "items", "add", "task", "Ada's own"))  # in her default ledger

    for seen in (
        as_(BEA, "items", "list", "--json", "--ledger", "team"),
        as_(BEA, "--ledger", "team", "items", "list", "--json"),
        as_(CY, "items", "list", "--json", ledger="team"),
    ):
        listed = json.loads(ok(seen))
        assert [(item["id"], item["title"]) for item in listed] == [(made, "Shared work")]
    shown = json.loads(ok(as_(BEA, "items", "show", made, "--json", "--ledger", "team")))
    assert (shown["created_by"], shown["created_by_account"]) == ("cli", ADA)

    assert titles(ok(as_(ADA, "items", "list", "--json"))) == ["Ada's own"]
    assert titles(ok(as_(BEA, "items", "list", "--json"))) == []
    # bea's change in the team says it was hers.
    changed = ok(as_(BEA, "items", "claim", made[-8:], "--ledger", "team"))
    assert changed.startswith(f"{made[-8:]}  task · active · medium · "), changed
    assert "· cli  Shared work  (until " in changed, changed
    shown = json.loads(ok(as_(ADA, "items", "show", made, "--json", "--ledger", "team")))
    assert (shown["updated_by"], shown["updated_by_account"], shown["assignee"]) == (
        "cli",
        BEA,
        "cli",
    )
    assert shown["version"] == 2
    # Claims name the client (docs/reference/ledgers.md#who-did-it); where the person is
    # recorded too, it is the one who claimed.
    assert shown.get("assignee_account", BEA) == BEA


def test_a_reader_who_adds_is_told_the_ledger_and_the_role(team: None, as_: Run) -> None:
    for refused in (
        as_(CY, "items", "add", "task", "Not mine to add", "--ledger", "team"),
        as_(CY, "items", "add", "task", "Not mine to add", ledger="team"),
    ):
        assert one_line_error(refused) == READER_REFUSED
    assert ok(as_(ADA, "items", "list", "--json", "--ledger", "team")).strip() == "[]"


def test_a_ledger_you_are_not_in_is_not_found_as_one_that_does_not_exist(
    team: None, as_: Run
) -> None:
    made = ok(as_(ADA, "items", "add", "task", "Shared", "--ledger", "team")).strip()
    for args in (
        ("items", "add", "task", "Sneaky"),
        ("items", "list", "--json"),
        ("items", "show", made),
        ("ledger", "list"),
        ("token", "create", "--name", "t"),
    ):
        theirs = one_line_error(as_(EVE, *args, "--ledger", "team"))
        missing = one_line_error(as_(EVE, *args, "--ledger", "nope"))
        assert theirs == "Error: ledger team not found", args
        assert missing == "Error: ledger nope not found", args
    for args in (("ledger", "members", "team"), ("ledger", "add-member", "team", EVE)):
        role = ("--role", "member") if "add-member" in args else ()
        theirs = one_line_error(as_(EVE, *args, *role))
        missing = one_line_error(as_(EVE, *(a.replace("team", "nope") for a in args), *role))
        assert (theirs, missing) == ("Error: ledger team not found", "Error: ledger nope not found")
    assert titles(ok(as_(ADA, "items", "list", "--json", "--ledger", "team"))) == ["Shared"]


def test_only_owners_manage_members_and_a_ledger_keeps_an_owner(team: None, as_: Run) -> None:
    by_member = one_line_error(as_(BEA, "ledger", "add-member", "team", EVE, "--role", "member"))
    assert by_member == "Error: you are a member of ledger team: a member cannot manage the ledger"
    unknown = one_line_error(
        as_(ADA, "ledger", "add-member", "team", "nobody@example.com", "--role", "member")
    )
    assert "nobody@example.com" in unknown
    assert "not found" in unknown
    last = one_line_error(as_(ADA, "ledger", "remove-member", "team", ADA))
    assert "make another member owner first" in last
    taken = one_line_error(as_(EVE, "ledger", "create", "team"))
    assert "team" in taken
    assert "taken" in taken
    assert ok(as_(ADA, "ledger", "members", "team")).split() == [
        ADA,
        "owner",
        BEA,
        "member",
        CY,
        "reader",
    ]


def test_a_removed_member_finds_the_ledger_gone_at_once(team: None, as_: Run) -> None:
    ok(as_(BEA, "items", "add", "task", "Before", "--ledger", "team"))
    removed = ok(as_(ADA, "ledger", "remove-member", "team", BEA))
    assert removed == f"{BEA} is no longer a member of team\n"
    gone = one_line_error(as_(BEA, "items", "list", "--json", "--ledger", "team"))
    assert gone == "Error: ledger team not found"
    assert listing(ok(as_(BEA, "ledger", "list"))) == [("*", "bea", "owner", BEA)]
    # Anyone may leave: cy does.
    left = ok(as_(CY, "ledger", "remove-member", "team", CY))
    assert left == f"{CY} is no longer a member of team\n"
    assert ok(as_(ADA, "ledger", "members", "team")).split() == [ADA, "owner"]
    assert titles(ok(as_(ADA, "items", "list", "--json", "--ledger", "team"))) == ["Before"]


# --- tokens -----------------------------------------------------------------------------------


def token_scopes(stdout: str) -> dict[str, str]:
    """`workledger token list`: each token's name → what it serves."""
    found = {}
    for line in stdout.splitlines():
        if line.startswith("no API tokens"):
            continue
        matched = re.match(r"[0-9a-f-]{36}  (\S+)\s+\S+…  (.+?), created ", line)
        assert matched, line
        found[matched[1]] = matched[2]
    return found


def test_a_token_made_with_ledger_and_role_serves_that_ledger_as_that_role(
    team: None, as_: Run, container: Container
) -> None:
    made = ok(as_(ADA, "token", "create", "--name", "t", "--ledger", "team", "--role", "reader"))
    said, secret = made.strip().splitlines()
    assert re.fullmatch(
        r"created API token 't' \([0-9a-f-]{36}\) for ledger team as reader; "
        r"it is shown only once:",
        said,
    ), said
    assert secret.startswith("wl_")
    bound = ok(as_(ADA, "--ledger", "team", "token", "create", "--name", "b"))
    assert "for ledger team as owner" in bound
    env_bound = ok(as_(BEA, "token", "create", "--name", "e", ledger="team"))
    assert "for ledger team as member" in env_bound
    home = ok(as_(ADA, "token", "create", "--name", "h", "--role", "member"))
    assert "for ledger ada as member" in home
    unbound = ok(as_(ADA, "token", "create", "--name", "u"))
    assert "for every ledger" in unbound

    assert token_scopes(ok(as_(ADA, "token", "list"))) == {
        "t": "team as reader",
        "b": "team as owner",
        "h": "ada as member",
        "u": "every ledger",
    }
    # The list is the same in every ledger.
    assert token_scopes(ok(as_(ADA, "token", "list", "--ledger", "team"))) == token_scopes(
        ok(as_(ADA, "token", "list"))
    )
    assert token_scopes(ok(as_(BEA, "token", "list"))) == {"e": "team as member"}


async def test_the_printed_bound_token_is_bound_with_its_role(
    team: None, as_: Run, container: Container
) -> None:
    made = ok(as_(ADA, "token", "create", "--name", "t", "--ledger", "team", "--role", "reader"))
    principal = await container.accounts.resolve_bearer(made.strip().splitlines()[-1])
    actor = await container.ledgers.actor(principal, ledger=None, client="t")
    assert (actor.ledger, actor.role, actor.account) == ("team", "reader", ADA)


def test_a_token_cannot_have_more_power_than_its_maker(team: None, as_: Run) -> None:
    refused = one_line_error(
        as_(BEA, "token", "create", "--name", "t", "--ledger", "team", "--role", "owner")
    )
    assert refused.startswith("Error: you are a member of ledger team"), refused
    assert token_scopes(ok(as_(BEA, "token", "list"))) == {}
