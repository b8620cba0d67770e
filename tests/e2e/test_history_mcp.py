"""History, comments, the change feed and resource subscriptions over MCP, against real
`workledger serve` (streamable HTTP) and `workledger mcp` (stdio) processes on both
databases, through the MCP SDK's client (docs/reference/mcp.md, "History, comments and
the change feed" and "Resources").

One HTTP server per backend serves the module, as in test_mcp_http.py: every test makes
accounts of its own, so tests share the server but nothing else.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import anyio
import httpx2
import pytest
from mcp.client.client import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError
from mcp.types import INVALID_PARAMS, ResourceUpdatedNotification
from mcp_types import Implementation

from tests.support.mcp import call, check_mode, refused
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

STATUS = "workledger://status"


@pytest.fixture
def database_url(database_url: str, backend: str, module_sqlite_url: str) -> str:
    """One SQLite file for the module, as PostgreSQL has one database for the session, so
    that one server per backend serves every test of the module."""
    return module_sqlite_url if backend == "sqlite" else database_url


def item_uri(item: dict[str, Any]) -> str:
    return f"workledger://work-items/{item['id']}"


async def answered(client: Client, tool: str, **arguments: Any) -> tuple[dict[str, Any], Any]:
    """A call that must succeed: its answer, and the ledger its ``_meta`` names."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content, (result.meta or {}).get("workledger/ledger")


# --- history --------------------------------------------------------------------------------


async def test_history_of_an_item_created_updated_and_commented(
    http_server: HttpServer, container: Container, mode: str
) -> None:
    alice = await new_account(container, "alice")
    async with http_server.connect(alice.api_token, "claude-code", mode) as client:
        item = await call(client, "create_work_item", item_type="task", title="draft")
        await call(client, "update_work_item", id=item["id"], version=1, title="final")
        comment = await call(client, "add_comment", work_item_id=item["id"], body="**done**")

        history, ledger = await answered(client, "get_work_item_history", id=item["id"])
        assert ledger == alice.actor.ledger
        assert (history["total_count"], history["has_more"]) == (3, False)
        events = history["items"]
        assert [e["action"] for e in events] == ["create", "update", "comment"]
        assert [e["version"] for e in events] == [1, 2, 2]
        assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
        assert {e["record_id"] for e in events} == {item["id"]}
        assert {e["record_type"] for e in events} == {"work_item"}
        for event in events:
            assert event["actor"] == {"client": "claude-code", "account": alice.email}
        assert events[0]["changes"]["title"] == [None, "draft"]
        assert events[1]["changes"] == {"title": ["draft", "final"]}
        said = {"id": comment["id"], "body": "**done**"}
        assert events[2]["changes"] == {"comment": [None, said]}

        # By short id; only what happened after a version; a page at a time.
        short = item["id"].replace("-", "")[-8:]
        assert await call(client, "get_work_item_history", id=short) == history
        later = await call(client, "get_work_item_history", id=item["id"], after_version=1)
        assert [e["action"] for e in later["items"]] == ["update", "comment"]
        first = await call(client, "get_work_item_history", id=item["id"], limit=2)
        assert (len(first["items"]), first["has_more"]) == (2, True)
        rest = await call(
            client, "get_work_item_history", id=item["id"], limit=2, cursor=first["next_cursor"]
        )
        assert first["items"] + rest["items"] == events
        assert (rest["has_more"], rest.get("next_cursor")) == (False, None)

        # A deleted item keeps its history, and the deletion is in it.
        await call(client, "update_work_item", id=item["id"], version=2, deleted=True)
        after = await call(client, "get_work_item_history", id=item["id"], after_version=2)
        assert [e["action"] for e in after["items"]] == ["comment", "delete"]

        error = await refused(client, "get_work_item_history", id=str(uuid.uuid4()))
        assert error["error"] == "not_found"
        error = await refused(client, "get_work_item_history", id=item["id"], limit=101)
        assert [e["field"] for e in error["errors"]] == ["limit"]


async def test_a_stale_update_says_what_changed_since(
    http_server: HttpServer, container: Container, mode: str
) -> None:
    alice = await new_account(container, "alice")
    async with (
        http_server.connect(alice.jwt, "claude-desktop", mode) as desktop,
        http_server.connect(alice.api_token, "claude-code", mode) as code,
    ):
        item = await call(desktop, "create_work_item", item_type="task", title="one")
        await call(code, "update_work_item", id=item["id"], version=1, title="two")
        await call(code, "update_work_item", id=item["id"], version=2, priority="high")

        error = await refused(desktop, "update_work_item", id=item["id"], version=1, title="x")
        assert error["error"] == "version_conflict"
        assert (error["current_version"], error["requested_version"]) == (3, 1)
        assert error["changes_since"] == {"title": ["one", "two"], "priority": ["medium", "high"]}
        assert (error["updated_by"], error["updated_by_account"]) == ("claude-code", alice.email)


# --- comments -------------------------------------------------------------------------------


async def test_comments_are_added_and_listed_oldest_first(
    http_server: HttpServer, container: Container, mode: str
) -> None:
    alice = await new_account(container, "alice")
    async with http_server.connect(alice.jwt, "claude-desktop", mode) as client:
        item = await call(client, "create_work_item", item_type="task", title="discuss")
        bodies = ["first", "# second\n\nwith *markdown*", "third"]
        added = []
        for body in bodies:
            comment, ledger = await answered(
                client, "add_comment", work_item_id=item["id"], body=body
            )
            assert ledger == alice.actor.ledger
            added.append(comment)
        for comment, body in zip(added, bodies, strict=True):
            assert comment["work_item_id"] == item["id"]
            assert comment["body"] == body
            assert (comment["author"], comment["author_account"]) == (
                "claude-desktop",
                alice.email,
            )
            assert comment["version"] == 1

        listed, ledger = await answered(client, "list_comments", work_item_id=item["id"])
        assert ledger == alice.actor.ledger
        assert [c["body"] for c in listed["items"]] == bodies
        assert [c["id"] for c in listed["items"]] == [c["id"] for c in added]
        assert (listed["total_count"], listed["has_more"]) == (3, False)
        page = await call(client, "list_comments", work_item_id=item["id"], limit=2)
        assert ([c["body"] for c in page["items"]], page["has_more"]) == (bodies[:2], True)
        rest = await call(
            client, "list_comments", work_item_id=item["id"], cursor=page["next_cursor"]
        )
        assert [c["body"] for c in rest["items"]] == bodies[2:]

        # A comment does not change the item's version.
        again = await call(client, "query_work_item", id=item["id"])
        assert again["version"] == 1

        for arguments, field in (
            ({"work_item_id": item["id"], "body": ""}, "body"),
            ({"work_item_id": item["id"], "body": "   "}, "body"),
            ({"work_item_id": item["id"], "body": "x" * 20_001}, "body"),
            ({"work_item_id": item["id"]}, "body"),
            ({"body": "orphan"}, "work_item_id"),
        ):
            error = await refused(client, "add_comment", arguments)
            assert error["error"] == "validation_error", (arguments, error)
            assert [e["field"] for e in error["errors"]] == [field], error
        error = await refused(client, "add_comment", work_item_id=str(uuid.uuid4()), body="x")
        assert error["error"] == "not_found"


async def ledger_with_a_reader(container: Container) -> tuple[str, Account, Account]:
    """A ledger owned by ada in which cy is a reader: its slug, ada and cy."""
    ada, cy = await new_account(container, "ada"), await new_account(container, "cy")
    slug = unique("team")
    principal = await container.accounts.principal(ada.email)
    await container.ledgers.create(principal, LedgerCreate.load({"slug": slug}))
    owner = await container.ledgers.actor(principal, ledger=slug, client="setup")
    await container.ledgers.set_member(owner, email=cy.email, role=Role("reader"))
    return slug, ada, cy


async def test_a_reader_reads_history_and_comments_but_cannot_comment(
    http_server: HttpServer, container: Container, mode: str
) -> None:
    slug, ada, cy = await ledger_with_a_reader(container)
    async with (
        http_server.connect(ada.jwt, "claude-code", mode, ledger=slug) as owner,
        http_server.connect(cy.jwt, "claude-desktop", mode, ledger=slug) as reader,
    ):
        item = await call(owner, "create_work_item", item_type="task", title="shared")
        await call(owner, "add_comment", work_item_id=item["id"], body="from the owner")

        result = await reader.call_tool("add_comment", {"work_item_id": item["id"], "body": "no"})
        assert result.is_error
        assert (result.meta or {}).get("workledger/ledger") == slug
        error = json.loads(result.content[0].text)  # type: ignore[union-attr]
        assert (error["error"], error["ledger"], error["role"]) == ("forbidden", slug, "reader")

        listed, ledger = await answered(reader, "list_comments", work_item_id=item["id"])
        assert ([c["body"] for c in listed["items"]], ledger) == (["from the owner"], slug)
        history = await call(reader, "get_work_item_history", id=item["id"])
        assert [e["action"] for e in history["items"]] == ["create", "comment"]
        feed = await call(reader, "get_changes")
        assert [e["action"] for e in feed["items"]] == ["create", "comment"]


async def test_another_ledgers_item_is_not_found(
    http_server: HttpServer, container: Container, mode: str
) -> None:
    """Alice's item answers bob exactly as an item nobody has, in every tool."""
    alice, bob = await new_account(container, "alice"), await new_account(container, "bob")
    async with (
        http_server.connect(alice.jwt, "claude-code", mode) as mine,
        http_server.connect(bob.api_token, "claude-desktop", mode) as theirs,
    ):
        item = await call(mine, "create_work_item", item_type="task", title="private")
        await call(mine, "add_comment", work_item_id=item["id"], body="secret")
        absent = str(uuid.uuid4())
        for tool, argument, extra in (
            ("get_work_item_history", "id", {}),
            ("list_comments", "work_item_id", {}),
            ("add_comment", "work_item_id", {"body": "hello"}),
        ):
            foreign = await refused(theirs, tool, {argument: item["id"], **extra})
            missing = await refused(theirs, tool, {argument: absent, **extra})
            assert foreign["error"] == "not_found", (tool, foreign)
            masked = json.dumps(foreign).replace(item["id"], "X")
            assert masked == json.dumps(missing).replace(absent, "X"), tool
        assert item["id"] not in json.dumps(await call(theirs, "get_changes"))
        kept = await call(mine, "list_comments", work_item_id=item["id"])
        assert [c["body"] for c in kept["items"]] == ["secret"]


# --- the change feed ------------------------------------------------------------------------


async def test_get_changes_answers_exactly_what_came_after_n(
    http_server: HttpServer, container: Container, mode: str
) -> None:
    alice = await new_account(container, "alice")
    async with (
        http_server.connect(alice.jwt, "claude-code", mode) as code,
        http_server.connect(alice.api_token, "claude-desktop", mode) as desktop,
    ):
        item = await call(code, "create_work_item", item_type="task", title="fed")
        await call(code, "create_vendor", name=unique("vendor"))
        before, ledger = await answered(desktop, "get_changes")
        assert ledger == alice.actor.ledger
        assert before["has_more"] is False
        n = before["next_after"]
        assert n == before["items"][-1]["seq"]

        await call(desktop, "update_work_item", id=item["id"], version=1, status="blocked")
        await call(code, "add_comment", work_item_id=item["id"], body="why blocked")
        await call(desktop, "create_enhancement", title=unique("later"))
        await call(code, "claim_work_item", id=item["id"], version=2)

        after = await call(desktop, "get_changes", after=n)
        events = after["items"]
        assert [e["seq"] for e in events] == list(range(n + 1, n + 5))
        assert [(e["record_type"], e["action"]) for e in events] == [
            ("work_item", "update"),
            ("work_item", "comment"),
            ("enhancement", "create"),
            ("work_item", "claim"),
        ]
        assert [e["actor"]["client"] for e in events] == [
            "claude-desktop",
            "claude-code",
            "claude-desktop",
            "claude-code",
        ]
        assert (after["next_after"], after["has_more"]) == (n + 4, False)

        # Walking it two at a time gives the same events, none twice, none missing.
        walked, cursor = [], n
        while True:
            page = await call(code, "get_changes", after=cursor, limit=2)
            walked += page["items"]
            cursor = page["next_after"]
            if not page["has_more"]:
                break
        assert walked == events
        nothing = await call(code, "get_changes", after=n + 4)
        assert (nothing.get("items", []), nothing["next_after"], nothing["has_more"]) == (
            [],
            n + 4,
            False,
        )
        everything = await call(code, "get_changes", after="0", limit="1000")
        assert everything["items"] == before["items"] + events

        error = await refused(code, "get_changes", after=-1)
        assert [e["field"] for e in error["errors"]] == ["after"]
        error = await refused(code, "get_changes", limit=1001)
        assert [e["field"] for e in error["errors"]] == ["limit"]


# --- resource subscriptions -----------------------------------------------------------------

# The next URI a subscribed client is told changed.
Heard = Callable[[], Awaitable[str]]


@asynccontextmanager
async def subscribed(
    source: Any, name: str, mode: str, uris: list[str]
) -> AsyncIterator[tuple[Client, Heard]]:
    """A client of ``source`` (a transport, or stdio parameters) subscribed to ``uris``:
    with the 2026-07-28 protocol through ``subscriptions/listen``, with the handshake
    through ``resources/subscribe`` (its notifications reach the message handler)."""
    send, receive = anyio.create_memory_object_stream[str](100)

    async def on_message(message: object) -> None:
        if isinstance(message, ResourceUpdatedNotification):
            await send.send(message.params.uri)

    async with Client(
        source,
        client_info=Implementation(name=name, version="1"),
        mode=mode,
        read_timeout_seconds=CALL_TIMEOUT_SECONDS,
        message_handler=on_message,
    ) as client:
        check_mode(client, mode)
        resources = client.server_capabilities.resources
        assert resources is not None
        assert resources.subscribe is True
        if mode == "legacy":
            for uri in uris:
                with pytest.warns(MCPDeprecationWarning):
                    await client.subscribe_resource(uri)

            async def heard() -> str:
                with anyio.fail_after(CALL_TIMEOUT_SECONDS):
                    return await receive.receive()

            yield client, heard
            return
        async with client.listen(resource_subscriptions=uris) as subscription:
            assert subscription.honored.resource_subscriptions == uris

            async def next_event() -> str:
                with anyio.fail_after(CALL_TIMEOUT_SECONDS):
                    event = await anext(subscription)
                uri = getattr(event, "uri", None)
                assert isinstance(uri, str), event
                return uri

            yield client, next_event


def over_http(server: HttpServer, token: str, ledger: str | None = None) -> Any:
    url = server.mcp_url if ledger is None else f"{server.mcp_url}/ledgers/{ledger}"
    http = httpx2.AsyncClient(
        headers={"Authorization": f"Bearer {token}"}, timeout=CALL_TIMEOUT_SECONDS
    )
    return http, streamable_http_client(url, http_client=http)


async def test_a_subscribed_client_is_told_of_another_clients_changes(
    http_server: HttpServer, container: Container, mode: str
) -> None:
    """Alice's watcher follows one item and the status report (in that order, which is
    the order it is told of one change to both). Bob changes his item in his own ledger,
    then alice's other client comments on the watched item: the watcher hears the item
    first, so nothing of bob's came before. Then that client changes another item: the
    watcher hears the status alone."""
    alice, bob = await new_account(container, "alice"), await new_account(container, "bob")
    async with AsyncExitStack() as stack:
        writer = await stack.enter_async_context(
            http_server.connect(alice.api_token, "claude-code", mode)
        )
        outsider = await stack.enter_async_context(http_server.connect(bob.jwt, "copilot", mode))
        watched = await call(writer, "create_work_item", item_type="task", title="watched")
        other = await call(writer, "create_work_item", item_type="task", title="other")
        theirs = await call(outsider, "create_work_item", item_type="task", title="bob's")
        http, transport = over_http(http_server, alice.jwt)
        await stack.enter_async_context(http)
        watcher, heard = await stack.enter_async_context(
            subscribed(transport, "claude-desktop", mode, [item_uri(watched), STATUS])
        )
        if mode == "legacy":
            # The handshake's notifications travel on the client's GET stream, which it
            # opens on its own after the handshake: until one arrives, it may not be
            # open yet, and a notification with no stream to carry it is dropped.
            await told_once(writer, heard, watched)
            return

        await call(outsider, "update_work_item", id=theirs["id"], version=1, title="bob's 2")
        await call(writer, "update_work_item", id=watched["id"], version=1, title="seen")
        assert [await heard(), await heard()] == [item_uri(watched), STATUS]
        read = await watcher.read_resource(item_uri(watched))
        assert json.loads(read.contents[0].text)["title"] == "seen"  # type: ignore[union-attr]

        await call(writer, "update_work_item", id=other["id"], version=1, title="other 2")
        await call(writer, "add_comment", work_item_id=watched["id"], body="look")
        assert [await heard(), await heard()] == [STATUS, item_uri(watched)]


async def told_once(writer: Client, heard: Heard, item: dict[str, Any]) -> None:
    """Change ``item`` until the subscriber hears of it (at most a few times)."""
    for attempt in range(10):
        await call(writer, "add_comment", work_item_id=item["id"], body=f"ping {attempt}")
        try:
            with anyio.fail_after(3):
                uri = await heard()
        except TimeoutError:
            continue
        assert uri in (item_uri(item), STATUS)
        return
    pytest.fail("the subscriber was never told of a change")


async def test_subscriptions_between_stdio_processes(
    stdio: StdioServer, container: Container, mode: str
) -> None:
    """Two `workledger mcp` processes on one database: the one subscribed hears of what
    the other changed, through the database. On stdio the notifications share the one
    stream, so the order is exact in both protocols, and unsubscribing stops them."""
    async with stdio.connect("claude-code", mode) as writer:
        watched = await call(writer, "create_work_item", item_type="task", title="watched")
        other = await call(writer, "create_work_item", item_type="task", title="other")
        command, *args = stdio.command()
        params = StdioServerParameters(
            command=command, args=args, env=stdio.env, cwd=str(stdio.cwd)
        )
        short = watched["id"].replace("-", "")[-8:]
        uris = [f"workledger://work-items/{short}", STATUS]
        async with subscribed(params, "claude-desktop", mode, uris) as (watcher, heard):
            await call(writer, "update_work_item", id=other["id"], version=1, title="other 2")
            await call(writer, "update_work_item", id=watched["id"], version=1, title="w 2")
            assert [await heard(), await heard()] == [STATUS, uris[0]]
            if mode == "legacy":
                with pytest.warns(MCPDeprecationWarning):
                    await watcher.unsubscribe_resource(uris[0])
                await call(writer, "update_work_item", id=watched["id"], version=2, title="w 3")
                await call(writer, "update_work_item", id=watched["id"], version=3, title="w 4")
                assert [await heard(), await heard()] == [STATUS, STATUS]
                with pytest.warns(MCPDeprecationWarning), pytest.raises(MCPError) as refusal:
                    await watcher.subscribe_resource("workledger://elsewhere")
                assert refusal.value.code == INVALID_PARAMS
