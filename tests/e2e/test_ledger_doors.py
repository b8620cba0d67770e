"""Ledgers through the doors besides REST: MCP over HTTP (``/mcp`` and
``/mcp/ledgers/{ledger}``) and over stdio (``WORKLEDGER_LEDGER``), against real
`workledger serve` and `workledger mcp` processes on both databases
(docs/reference/ledgers.md#mcp). The REST matrix is in tests/api/test_ledgers_api.py.

One server per backend serves the module, as in test_mcp_http.py: every test makes
accounts and a ledger of its own (the slug is unique, since on SQLite the module shares
one database; ``team`` below is that slug).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from mcp.client.client import Client

from tests.support.commands import WORKLEDGER
from tests.support.mcp import LEAKS, call, refused
from tests.support.servers import (
    CALL_TIMEOUT_SECONDS,
    Account,
    HttpServer,
    StdioServer,
    new_account,
    unique,
)
from workledger.container import Container
from workledger.schemas.common import Role
from workledger.schemas.ledger import LedgerCreate

READ = ("list_work_items", {})
WRITE = "create_work_item"


@pytest.fixture
def database_url(database_url: str, backend: str, module_sqlite_url: str) -> str:
    """One SQLite file for the module (as test_mcp_http.py), so that one server per
    backend serves every test of the module."""
    return module_sqlite_url if backend == "sqlite" else database_url


# --- the team -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Team:
    """``slug``: owned by ada, bea a member, cy a reader; eve belongs elsewhere. Each
    person also owns the ledger made with their account (``own``)."""

    slug: str
    id: str
    ada: Account
    bea: Account
    cy: Account
    eve: Account
    own: dict[str, str]  # email → the slug of that account's own (default) ledger


async def own_slug(container: Container, account: Account) -> str:
    principal = await container.accounts.principal(account.email)
    return (await container.ledgers.actor(principal, ledger=None, client="test")).ledger or ""


@pytest.fixture
async def team(container: Container) -> Team:
    ada, bea = await new_account(container, "ada"), await new_account(container, "bea")
    cy, eve = await new_account(container, "cy"), await new_account(container, "eve")
    slug = unique("team")
    ada_principal = await container.accounts.principal(ada.email)
    made = await container.ledgers.create(ada_principal, LedgerCreate.load({"slug": slug}))
    assert (made.slug, made.role) == (slug, Role("owner"))
    owner = await container.ledgers.actor(ada_principal, ledger=slug, client="setup")
    for who, role in ((bea, "member"), (cy, "reader")):
        await container.ledgers.set_member(owner, email=who.email, role=Role(role))
    own = {who.email: await own_slug(container, who) for who in (ada, bea, cy, eve)}
    assert slug not in own.values()
    return Team(slug, str(made.id), ada, bea, cy, eve, own)


async def bound_token(
    container: Container, who: Account, ledger: str, *, role: str | None = None
) -> str:
    """An API token of ``who`` bound to ``ledger`` (with ``role``, else theirs there)."""
    principal = await container.accounts.principal(who.email)
    actor = await container.ledgers.actor(principal, ledger=ledger, client="setup")
    made = await container.accounts.create_api_token(
        actor=actor, name=unique("bound"), bound=True, role=role
    )
    assert made.ledger == ledger
    return made.token


# --- connecting ------------------------------------------------------------------------------


def http_client(
    server: HttpServer, token: str, name: str, mode: str, *, ledger: str | None = None
) -> AbstractAsyncContextManager[Client]:
    """An MCP client at ``/mcp`` or, with ``ledger``, at ``/mcp/ledgers/{ledger}``."""
    return server.connect(token, name, mode, ledger=ledger)


def in_ledger(stdio: StdioServer, ledger: str) -> StdioServer:
    """`workledger mcp` with WORKLEDGER_LEDGER=ledger."""
    return StdioServer(env={**stdio.env, "WORKLEDGER_LEDGER": ledger}, cwd=stdio.cwd)


@dataclass(frozen=True)
class StdioWithLedgerOption(StdioServer):
    """`workledger mcp --ledger LEDGER`."""

    ledger: str = ""

    def command(self) -> list[str]:
        return [self.program, "mcp", "--ledger", self.ledger]


def rest(server: HttpServer, token: str, client_name: str | None = None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"}
    if client_name is not None:
        headers["X-Client-Name"] = client_name
    return httpx.AsyncClient(base_url=server.base_url, headers=headers, timeout=30)


# --- calling ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What a call came to: ``ok`` or the error code, and ``_meta["workledger/ledger"]``."""

    answer: str
    ledger: str | None
    body: dict[str, Any]


async def attempt(client: Client, tool: str, args: dict[str, Any]) -> Outcome:
    result = await client.call_tool(tool, args)
    meta = result.meta or {}
    assert meta.get("workledger/source") == "database", meta
    text = result.content[0].text  # type: ignore[union-attr]
    if result.is_error:
        for leak in LEAKS:
            assert leak not in text
        body = json.loads(text)
        return Outcome(body["error"], meta.get("workledger/ledger"), body)
    assert result.structured_content is not None
    return Outcome("ok", meta.get("workledger/ledger"), result.structured_content)


async def read_and_write(client: Client, title: str) -> tuple[Outcome, Outcome]:
    read = await attempt(client, *READ)
    write = await attempt(client, WRITE, {"item_type": "task", "title": title})
    return read, write


def masked(body: dict[str, Any], name: str) -> str:
    return json.dumps(body, sort_keys=True).replace(name, "LEDGER")


async def team_titles(server: HttpServer, team: Team) -> list[str]:
    """The titles in the team's ledger, as its owner reads them over REST."""
    async with rest(server, team.ada.jwt) as api:
        listed = await api.get(f"/api/v1/ledgers/{team.slug}/work-items", params={"limit": 100})
    assert listed.status_code == 200, listed.text
    return sorted(item["title"] for item in listed.json()["items"])


def assert_forbidden(outcome: Outcome, ledger: str) -> None:
    assert (outcome.answer, outcome.ledger) == ("forbidden", ledger), outcome
    assert (outcome.body["ledger"], outcome.body["role"]) == (ledger, "reader"), outcome.body
    message = f"you are a reader of ledger {ledger}: a reader cannot change records"
    assert outcome.body["message"] == message


# --- MCP over HTTP: who may do what where --------------------------------------------------------


async def test_at_mcp_ledgers_team_each_caller_reads_and_writes_as_its_role_allows(
    http_server: HttpServer, container: Container, team: Team, mode: str
) -> None:
    t = team.slug
    callers = {
        "owner": team.ada.jwt,
        "member": team.bea.api_token,
        "reader": team.cy.jwt,
        "non-member": team.eve.api_token,
        "token bound to team": await bound_token(container, team.bea, t),
        "reader token bound to team": await bound_token(container, team.ada, t, role="reader"),
        "token bound to another ledger": await bound_token(
            container, team.ada, team.own[team.ada.email]
        ),
    }
    expected = {
        "owner": (("ok", t), ("ok", t)),
        "member": (("ok", t), ("ok", t)),
        "reader": (("ok", t), ("forbidden", t)),
        "non-member": (("not_found", None), ("not_found", None)),
        "token bound to team": (("ok", t), ("ok", t)),
        "reader token bound to team": (("ok", t), ("forbidden", t)),
        "token bound to another ledger": (("not_found", None), ("not_found", None)),
    }
    found: dict[str, tuple[Outcome, Outcome]] = {}
    for who, token in callers.items():
        async with http_client(http_server, token, "claude-code", mode, ledger=t) as client:
            found[who] = await read_and_write(client, f"by {who}")
    got = {
        who: ((read.answer, read.ledger), (write.answer, write.ledger))
        for who, (read, write) in found.items()
    }
    assert got == expected

    # What was written is in the team's ledger, and only that.
    written = [who for who, (_, (answer, _)) in expected.items() if answer == "ok"]
    assert await team_titles(http_server, team) == sorted(f"by {who}" for who in written)
    for who in ("reader", "reader token bound to team"):
        assert_forbidden(found[who][1], t)
    for who in ("owner", "member", "reader"):
        read = found[who][0].body
        assert sorted(item["title"] for item in read["items"]) == sorted(
            f"by {w}" for w in written if list(callers).index(w) < list(callers).index(who)
        ), who


async def test_a_ledger_you_are_not_in_answers_as_one_that_does_not_exist(
    http_server: HttpServer, container: Container, team: Team, mode: str
) -> None:
    """Over MCP too: the same error, apart from the name, and no ledger in ``_meta``."""
    nope = unique("nope")
    ada_own = team.own[team.ada.email]
    other_token = await bound_token(container, team.ada, ada_own)
    for who, token in (("non-member", team.eve.api_token), ("other token", other_token)):
        async with (
            http_client(http_server, token, "cursor", mode, ledger=team.slug) as theirs,
            http_client(http_server, token, "cursor", mode, ledger=nope) as missing,
        ):
            for tool, args in (READ, (WRITE, {"item_type": "task", "title": "x"})):
                seen = await attempt(theirs, tool, args)
                absent = await attempt(missing, tool, args)
                assert (seen.answer, seen.ledger) == ("not_found", None), (who, tool, seen)
                assert (absent.answer, absent.ledger) == ("not_found", None), (who, tool)
                assert seen.body["resource"] == "ledger", seen.body
                assert team.slug in seen.body["message"], seen.body
                assert nope in absent.body["message"], absent.body
                assert masked(seen.body, team.slug) == masked(absent.body, nope), (who, tool)
    assert await team_titles(http_server, team) == []


async def test_mcp_ledgers_takes_the_ledgers_id_as_its_slug(
    http_server: HttpServer, team: Team, mode: str
) -> None:
    async with http_client(http_server, team.bea.jwt, "cursor", mode, ledger=team.id) as bea:
        read, write = await read_and_write(bea, "by id")
    assert ((read.answer, read.ledger), (write.answer, write.ledger)) == (
        ("ok", team.slug),
        ("ok", team.slug),
    )
    nobody = str(uuid.uuid4())
    async with (
        http_client(http_server, team.eve.jwt, "cursor", mode, ledger=team.id) as theirs,
        http_client(http_server, team.eve.jwt, "cursor", mode, ledger=nobody) as missing,
    ):
        seen, absent = await attempt(theirs, *READ), await attempt(missing, *READ)
    assert (seen.answer, seen.ledger, absent.answer) == ("not_found", None, "not_found")
    assert masked(seen.body, team.id) == masked(absent.body, nobody)
    assert await team_titles(http_server, team) == ["by id"]


async def test_at_mcp_each_caller_acts_on_its_tokens_ledger_else_its_default(
    http_server: HttpServer, container: Container, team: Team, mode: str
) -> None:
    t = team.slug
    own = team.own
    callers = {
        "owner": (team.ada.jwt, own[team.ada.email]),
        "member": (team.bea.api_token, own[team.bea.email]),
        "reader": (team.cy.jwt, own[team.cy.email]),
        "non-member": (team.eve.api_token, own[team.eve.email]),
        "token bound to team": (await bound_token(container, team.bea, t), t),
        "reader token bound to team": (
            await bound_token(container, team.ada, t, role="reader"),
            t,
        ),
        "token bound to another ledger": (
            await bound_token(container, team.ada, own[team.ada.email]),
            own[team.ada.email],
        ),
    }
    got = {}
    for who, (token, _) in callers.items():
        async with http_client(http_server, token, "claude-code", mode) as client:
            read, write = await read_and_write(client, f"at /mcp by {who}")
        got[who] = ((read.answer, read.ledger), (write.answer, write.ledger))
        if who == "reader token bound to team":
            assert_forbidden(write, t)
    expected = {
        who: (("ok", ledger), ("forbidden" if "reader token" in who else "ok", ledger))
        for who, (_, ledger) in callers.items()
    }
    assert got == expected
    # Only the team-bound token's write went to the team; the people wrote at home.
    assert await team_titles(http_server, team) == ["at /mcp by token bound to team"]
    async with rest(http_server, team.cy.jwt) as api:
        home = await api.get("/api/v1/work-items")
    assert [item["title"] for item in home.json()["items"]] == ["at /mcp by reader"]


async def test_a_member_removed_while_connected_is_refused_on_the_next_call(
    http_server: HttpServer, container: Container, team: Team, mode: str
) -> None:
    t = team.slug
    bound = await bound_token(container, team.bea, t)
    async with (
        http_client(http_server, team.bea.jwt, "claude-code", mode, ledger=t) as at_team,
        http_client(http_server, bound, "cursor", mode) as by_bound_token,
        http_client(http_server, team.bea.jwt, "claude-code", mode) as at_home,
    ):
        for client, title in ((at_team, "before, at team"), (by_bound_token, "before, bound")):
            read, write = await read_and_write(client, title)
            assert ((read.answer, read.ledger), (write.answer, write.ledger)) == (
                ("ok", t),
                ("ok", t),
            )
        async with rest(http_server, team.ada.jwt) as api:
            removed = await api.delete(f"/api/v1/ledgers/{t}/members/{team.bea.email}")
        assert removed.status_code == 204, removed.text

        for client in (at_team, by_bound_token):
            read, write = await read_and_write(client, "after")
            assert (read.answer, read.ledger) == ("not_found", None), read
            assert (write.answer, write.ledger) == ("not_found", None), write
            assert read.body["resource"] == "ledger"
        # Her own ledger is still hers.
        read, write = await read_and_write(at_home, "at home")
        assert (read.ledger, write.answer, write.ledger) == (
            team.own[team.bea.email],
            "ok",
            team.own[team.bea.email],
        )
    assert await team_titles(http_server, team) == ["before, at team", "before, bound"]


async def test_a_member_made_reader_while_connected_is_forbidden_the_next_change(
    http_server: HttpServer, container: Container, team: Team, mode: str
) -> None:
    t = team.slug
    async with http_client(http_server, team.bea.api_token, "cursor", mode, ledger=t) as client:
        assert (await attempt(client, WRITE, {"item_type": "task", "title": "one"})).answer == "ok"
        async with rest(http_server, team.ada.jwt) as api:
            lowered = await api.put(
                f"/api/v1/ledgers/{t}/members/{team.bea.email}", json={"role": "reader"}
            )
        assert lowered.status_code == 200, lowered.text
        assert_forbidden(await attempt(client, WRITE, {"item_type": "task", "title": "two"}), t)
        assert (await attempt(client, *READ)).answer == "ok"
    assert await team_titles(http_server, team) == ["one"]


async def test_a_record_made_over_mcp_says_which_person_and_which_client(
    http_server: HttpServer, team: Team, mode: str
) -> None:
    t = team.slug
    async with http_client(http_server, team.bea.jwt, "claude-code", mode, ledger=t) as bea:
        made = await call(bea, "create_work_item", item_type="task", title="shared work")
    assert (made["created_by"], made["created_by_account"]) == ("claude-code", team.bea.email)
    async with http_client(http_server, team.ada.api_token, "cursor", mode, ledger=t) as ada:
        seen = await call(ada, "query_work_item", id=made["id"])
        assert (seen["created_by"], seen["created_by_account"]) == (
            "claude-code",
            team.bea.email,
        )
        assert (seen["updated_by"], seen["updated_by_account"]) == ("claude-code", team.bea.email)
        changed = await call(ada, "update_work_item", id=made["id"], version=1, priority="high")
        assert (changed["updated_by"], changed["updated_by_account"]) == ("cursor", team.ada.email)
        assert (changed["created_by"], changed["created_by_account"]) == (
            "claude-code",
            team.bea.email,
        )
    async with rest(http_server, team.ada.jwt) as api:
        stored = await api.get(f"/api/v1/ledgers/{t}/work-items/{made['id']}")
    assert stored.status_code == 200, stored.text
    record = stored.json()
    assert (record["created_by"], record["created_by_account"]) == ("claude-code", team.bea.email)
    assert (record["updated_by"], record["updated_by_account"]) == ("cursor", team.ada.email)


# --- MCP over stdio ---------------------------------------------------------------------------


async def test_stdio_acts_in_the_ledger_of_workledger_ledger(
    stdio: StdioServer, http_server: HttpServer, team: Team, mode: str
) -> None:
    t = team.slug
    async with AsyncExitStack() as stack:
        bea = await stack.enter_async_context(
            in_ledger(stdio, t).connect("cursor", mode, account=team.bea.email)
        )
        cy = await stack.enter_async_context(
            in_ledger(stdio, t).connect("copilot", mode, account=team.cy.email)
        )
        read, write = await read_and_write(bea, "from stdio")
        assert ((read.answer, read.ledger), (write.answer, write.ledger)) == (("ok", t), ("ok", t))
        assert (write.body["created_by"], write.body["created_by_account"]) == (
            "cursor",
            team.bea.email,
        )
        read, write = await read_and_write(cy, "by the reader")
        assert (read.answer, read.ledger) == ("ok", t)
        assert [item["title"] for item in read.body["items"]] == ["from stdio"]
        assert_forbidden(write, t)
        by_option = StdioWithLedgerOption(env=stdio.env, cwd=stdio.cwd, ledger=t)
        ada = await stack.enter_async_context(
            by_option.connect("claude-desktop", mode, account=team.ada.email)
        )
        read, write = await read_and_write(ada, "by --ledger")
        assert ((read.answer, read.ledger), (write.answer, write.ledger)) == (("ok", t), ("ok", t))
    assert await team_titles(http_server, team) == ["by --ledger", "from stdio"]


async def test_stdio_without_workledger_ledger_acts_in_the_default_ledger(
    stdio: StdioServer, http_server: HttpServer, team: Team, mode: str
) -> None:
    async with stdio.connect("cursor", mode, account=team.bea.email) as bea:
        read, write = await read_and_write(bea, "at home")
    home = team.own[team.bea.email]
    assert ((read.answer, read.ledger), (write.answer, write.ledger)) == (
        ("ok", home),
        ("ok", home),
    )
    assert await team_titles(http_server, team) == []


async def start_stdio(stdio: StdioServer, account: str, ledger: str) -> tuple[int, str, str]:
    """`workledger mcp` as ``account`` in ``ledger``: its exit status, stdout and stderr
    (stdin is closed at once: a server that started would end there with 0)."""
    env = {**stdio.env, "WORKLEDGER_ACCOUNT": account, "WORKLEDGER_LEDGER": ledger}
    process = await asyncio.create_subprocess_exec(
        WORKLEDGER,
        "mcp",
        cwd=stdio.cwd,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(b""), CALL_TIMEOUT_SECONDS)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_stdio_in_a_ledger_the_account_is_not_in_stops_as_for_a_missing_one(
    stdio: StdioServer, team: Team
) -> None:
    """Worked out once, when it starts: a ledger bea is not in stops it with one line,
    the same line as for a ledger that does not exist, apart from the name."""
    theirs = team.own[team.ada.email]
    nope = unique("nope")
    status, out, err = await start_stdio(stdio, team.bea.email, theirs)
    absent_status, absent_out, absent_err = await start_stdio(stdio, team.bea.email, nope)
    assert (status, out) == (1, ""), err
    assert (absent_status, absent_out) == (1, ""), absent_err
    line = err.strip()
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    assert line == f"Error: ledger {theirs} not found", err
    assert line.replace(theirs, "LEDGER") == absent_err.strip().replace(nope, "LEDGER")


# --- two people and two agents share a ledger ----------------------------------------------------


async def test_two_people_and_two_agents_share_a_ledger_and_each_is_named(
    http_server: HttpServer, stdio: StdioServer, container: Container, mode: str
) -> None:
    """ada and bea over REST; claude-code over MCP HTTP with ada's token bound to the
    team; cursor over stdio as bea in the team. Each creates, claims and changes items,
    and every record says which person and which client did what."""
    ada, bea = await new_account(container, "ada"), await new_account(container, "bea")
    slug = unique("team")
    base = f"/api/v1/ledgers/{slug}"
    async with AsyncExitStack() as stack:
        ada_api = await stack.enter_async_context(rest(http_server, ada.jwt))
        bea_api = await stack.enter_async_context(rest(http_server, bea.jwt, "bea-laptop"))

        # ada makes the team, adds bea, and makes her agent a token for the team only.
        made = await ada_api.post("/api/v1/ledgers", json={"slug": slug, "name": "The team"})
        assert made.status_code == 201, made.text
        added = await ada_api.put(f"{base}/members/{bea.email}", json={"role": "member"})
        assert added.status_code == 200, added.text
        token = await ada_api.post(
            "/api/v1/auth/api-tokens", json={"name": "claude-code", "ledger": slug}
        )
        assert token.status_code == 201, token.text
        assert (token.json()["ledger"], token.json()["role"]) == (slug, "owner")

        claude = await stack.enter_async_context(
            http_client(http_server, token.json()["token"], "claude-code", mode)
        )
        cursor = await stack.enter_async_context(
            in_ledger(stdio, slug).connect("cursor", mode, account=bea.email)
        )

        # Each creates.
        project = await ada_api.post(
            f"{base}/work-items", json={"item_type": "project", "title": "P"}
        )
        assert project.status_code == 201, project.text
        pid = project.json()["id"]
        by_claude = await call(
            claude, "create_work_item", item_type="task", title="A", parent_id=pid
        )
        by_cursor = await call(
            cursor, "create_work_item", item_type="task", title="B", parent_id=pid
        )
        by_bea = await bea_api.post(
            f"{base}/work-items", json={"item_type": "task", "title": "C", "parent_id": pid}
        )
        assert by_bea.status_code == 201, by_bea.text
        a, b, c = by_claude["id"], by_cursor["id"], by_bea.json()["id"]

        # Each claims; a claim another client holds is refused, naming who has it.
        await call(claude, "claim_work_item", id=a, version=1)
        await call(cursor, "claim_work_item", id=b, version=1)
        taken = await refused(cursor, "claim_work_item", id=a, version=2)
        assert (taken["error"], taken["assignee"]) == ("conflict", "claude-code"), taken
        claimed = await ada_api.post(f"{base}/work-items/{c}/claim", json={"version": 1})
        assert claimed.status_code == 200, claimed.text

        # Each changes what another made.
        await call(claude, "update_work_item", id=b, version=2, priority="high")
        await call(cursor, "update_work_item", id=c, version=2, tags=["cursor"])
        patched = await bea_api.patch(
            f"{base}/work-items/{pid}", json={"version": 1, "title": "P!"}
        )
        assert patched.status_code == 200, patched.text
        done = await ada_api.patch(
            f"{base}/work-items/{a}", json={"version": 2, "status": "completed", "assignee": None}
        )
        assert done.status_code == 200, done.text

        # A stale change is told which person and which client got there first.
        stale = await refused(claude, "update_work_item", id=c, version=2, title="late")
        assert (stale["error"], stale["updated_by"], stale["updated_by_account"]) == (
            "version_conflict",
            "cursor",
            bea.email,
        )
        assert f"{bea.email} via cursor" in stale["message"]

        listed = await bea_api.get(f"{base}/work-items", params={"limit": 100})
        assert listed.status_code == 200, listed.text
        records = {}
        for item in listed.json()["items"]:
            full = await bea_api.get(f"{base}/work-items/{item['id']}")
            records[full.json()["title"]] = full.json()
        seen_by_cursor = await call(cursor, "query_work_item", id=a)
        seen_by_claude = await call(claude, "query_work_item", id=b)

    who = {
        title: (
            r["created_by"],
            r["created_by_account"],
            r["updated_by"],
            r["updated_by_account"],
            r.get("assignee"),
            r["version"],
        )
        for title, r in records.items()
    }
    assert who == {
        "P!": ("api", ada.email, "bea-laptop", bea.email, None, 2),
        "A": ("claude-code", ada.email, "api", ada.email, None, 3),
        "B": ("cursor", bea.email, "claude-code", ada.email, "cursor", 3),
        "C": ("bea-laptop", bea.email, "cursor", bea.email, "api", 3),
    }
    assert records["A"]["status"] == "completed"
    assert (seen_by_cursor["updated_by"], seen_by_cursor["updated_by_account"]) == (
        "api",
        ada.email,
    )
    assert (seen_by_claude["assignee"], seen_by_claude["created_by_account"]) == (
        "cursor",
        bea.email,
    )
    # All of it in the team's ledger: nothing in either person's own.
    for person in (ada, bea):
        async with rest(http_server, person.jwt) as api:
            home = await api.get("/api/v1/work-items")
        assert home.json()["items"] == [], person.email
