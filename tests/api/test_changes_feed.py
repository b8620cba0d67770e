"""The change feed (docs/reference/rest.md), on SQLite and PostgreSQL: ``GET
/api/v1/changes`` pages a ledger's events in order, and ``GET /api/v1/changes/stream``
sends them as server-sent events. A client that was away asks for what came after the
last seq it saw and gets exactly that: none missing, none twice, across a restart of the
server and across a reconnection of the stream (real `workledger serve` processes, read
with a real HTTP client)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.checks import fields, problem
from tests.api.conftest import signup_and_login
from tests.support.servers import HttpServer, HttpServers, new_account
from workledger.container import Container

API = "/api/v1"
CHANGES = f"{API}/changes"
STREAM = f"{API}/changes/stream"
ITEMS = f"{API}/work-items"
# A guard against a stream that never sends what a test waits for: the test fails
# instead of hanging. Not a measure of anything.
STREAM_GUARD_SECONDS = 30.0
Headers = dict[str, str]


async def write(api: httpx.AsyncClient, headers: Headers, title: str, base: str = API) -> str:
    """A new task (in the ledger of ``base``): its id."""
    made = await api.post(
        f"{base}/work-items", json={"item_type": "task", "title": title}, headers=headers
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


async def feed(
    api: httpx.AsyncClient, headers: Headers, base: str = API, **query: Any
) -> dict[str, Any]:
    answer = await api.get(f"{base}/changes", params=query, headers=headers)
    assert answer.status_code == 200, answer.text
    page: dict[str, Any] = answer.json()
    return page


async def everything(api: httpx.AsyncClient, headers: Headers, after: int = 0) -> list[Any]:
    """Every event after ``after``, one page."""
    page = await feed(api, headers, after=after, limit=1000)
    assert not page["has_more"]
    items: list[Any] = page["items"]
    return items


# --- pages of the feed ----------------------------------------------------------------------


async def test_after_n_gives_exactly_the_events_after_n_in_order(
    api: httpx.AsyncClient, alice: Headers
) -> None:
    first = await write(api, alice, "first")
    vendor = await api.post("/api/v1/vendors", json={"name": "Acme"}, headers=alice)
    assert vendor.status_code == 201, vendor.text
    changed = await api.patch(
        f"{ITEMS}/{first}", json={"title": "first, renamed", "version": 1}, headers=alice
    )
    assert changed.status_code == 200, changed.text
    second = await write(api, alice, "second")

    events = await everything(api, alice)
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # one by one, no gap
    assert [(e["record_type"], e["action"]) for e in events] == [
        ("work_item", "create"),
        ("vendor", "create"),
        ("work_item", "update"),
        ("work_item", "create"),
    ]
    assert [e["record_id"] for e in events] == [first, vendor.json()["id"], first, second]
    assert events[2]["changes"] == {"title": ["first", "first, renamed"]}
    assert events[2]["actor"] == {"client": "claude-code", "account": "alice@example.com"}
    for n in (0, *seqs):
        page = await feed(api, alice, after=n)
        assert page["items"] == [e for e in events if e["seq"] > n], n
        assert page["next_after"] == seqs[-1]
        assert page["has_more"] is False


async def test_paging_by_next_after_walks_every_event_once(
    api: httpx.AsyncClient, alice: Headers
) -> None:
    for n in range(8):
        await write(api, alice, f"item {n}")
    whole = await everything(api, alice)
    walked: list[Any] = []
    after, pages = 0, 0
    while True:
        page = await feed(api, alice, after=after, limit=3)
        pages += 1
        walked += page["items"]
        assert page["next_after"] == (page["items"][-1]["seq"] if page["items"] else after)
        after = page["next_after"]
        if not page["has_more"]:
            break
    assert walked == whole
    assert pages == 3  # 3 + 3 + 2
    last = await feed(api, alice, after=after, limit=3)
    assert (last["items"], last["next_after"], last["has_more"]) == ([], after, False)


async def test_a_bad_feed_query_is_a_validation_error_naming_it(
    api: httpx.AsyncClient, alice: Headers
) -> None:
    for query, name in (
        ({"after": -1}, "after"),
        ({"after": "x"}, "after"),
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"since": 3}, "since"),
    ):
        answer = await api.get(CHANGES, params=query, headers=alice)
        assert fields(problem(answer, 422, "validation_error")) == [name], query


async def test_the_feed_is_the_ledgers_own_and_members_only(
    api: httpx.AsyncClient, alice: Headers
) -> None:
    ada = await signup_and_login(api, "ada@example.com")
    cy = await signup_and_login(api, "cy@example.com")
    eve = await signup_and_login(api, "eve@example.com")
    made = await api.post("/api/v1/ledgers", json={"slug": "team"}, headers=ada)
    assert made.status_code == 201, made.text
    added = await api.put(
        "/api/v1/ledgers/team/members/cy@example.com", json={"role": "reader"}, headers=ada
    )
    assert added.status_code == 200, added.text
    team = "/api/v1/ledgers/team"
    theirs = await write(api, ada, "team work", base=team)
    mine = await write(api, alice, "alice's own")

    assert [e["record_id"] for e in await everything(api, alice)] == [mine]
    assert [e["record_id"] for e in (await feed(api, cy, base=team))["items"]] == [theirs]
    assert (await feed(api, ada))["items"] == []  # ada's default ledger saw nothing
    denied = await api.get(f"{team}/changes", headers=eve)
    missing = await api.get("/api/v1/ledgers/nope/changes", headers=eve)
    problem(denied, 404, "not_found")
    assert denied.json() | {"detail": ""} == missing.json() | {"detail": ""}
    problem(await api.get(CHANGES), 401, "unauthorized")


# --- across a restart -----------------------------------------------------------------------


@asynccontextmanager
async def serving(database_url: str, home: Path) -> AsyncIterator[HttpServer]:
    server = HttpServer(database_url, home)
    try:
        server.wait_until_up()
        yield server
    finally:
        server.stop()


async def test_after_n_survives_a_restart_of_the_server(
    database_url: str, container: Container, tmp_path: Path
) -> None:
    account = await new_account(container, "restart")
    headers = {"Authorization": f"Bearer {account.jwt}"}
    async with (
        serving(database_url, tmp_path / "first") as first,
        httpx.AsyncClient(base_url=first.base_url, timeout=30) as client,
    ):
        before = [await write(client, headers, f"before {k}") for k in range(3)]
        seen = await everything(client, headers)
    assert [e["record_id"] for e in seen] == before
    n = seen[-1]["seq"]

    async with (
        serving(database_url, tmp_path / "second") as second,
        httpx.AsyncClient(base_url=second.base_url, timeout=30) as client,
    ):
        after = [await write(client, headers, f"after {k}") for k in range(2)]
        later = await everything(client, headers, after=n)
        assert [e["record_id"] for e in later] == after
        assert [e["seq"] for e in later] == [n + 1, n + 2]
        assert await everything(client, headers) == seen + later
        # The stream resumes across the restart just as well.
        async with stream(client, headers, last_event_id=n) as events:
            assert [e.id for e in await events.next(2)] == [n + 1, n + 2]


# --- server-sent events ---------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """One server-sent event as the client read it."""

    id: int
    event: str
    data: dict[str, Any]


class Events:
    """The events of an open stream, read as they come."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()

    async def next(self, count: int) -> list[Sent]:
        """The next ``count`` events (pings are comments, and skipped)."""
        read: list[Sent] = []
        async with asyncio.timeout(STREAM_GUARD_SECONDS):
            fields: dict[str, str] = {}
            while len(read) < count:
                line = await anext(self._lines)
                if line == "":
                    if "data" in fields:
                        read.append(
                            Sent(int(fields["id"]), fields["event"], json.loads(fields["data"]))
                        )
                    fields = {}
                elif not line.startswith(":"):
                    name, _, value = line.partition(":")
                    fields[name] = value.removeprefix(" ")
        return read


@asynccontextmanager
async def stream(
    client: httpx.AsyncClient,
    headers: Headers,
    *,
    base: str = API,
    last_event_id: int | None = None,
    **query: Any,
) -> AsyncIterator[Events]:
    """The open stream; leaving the block hangs up."""
    sent = dict(headers)
    if last_event_id is not None:
        sent["Last-Event-ID"] = str(last_event_id)
    async with client.stream(
        "GET", f"{base}/changes/stream", params=query, headers=sent
    ) as response:
        assert response.status_code == 200, (await response.aread()).decode()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield Events(response)


@pytest.fixture
def http_server(http_servers: HttpServers, database_url: str, container: Container) -> HttpServer:
    """The module's real `workledger serve` on the test's database (``container`` first:
    on PostgreSQL it empties the tables)."""
    return http_servers.get(database_url)


@pytest.fixture
async def served(
    http_server: HttpServer, container: Container
) -> AsyncIterator[tuple[httpx.AsyncClient, Headers]]:
    """A client of the real server, and the bearer of an account of its own."""
    account = await new_account(container, "sse")
    headers = {"Authorization": f"Bearer {account.jwt}", "X-Client-Name": "watcher"}
    async with httpx.AsyncClient(base_url=http_server.base_url, timeout=30) as client:
        yield client, headers


async def test_a_reconnected_stream_gets_exactly_what_it_missed(
    served: tuple[httpx.AsyncClient, Headers], http_server: HttpServer
) -> None:
    client, headers = served
    log_before = len(http_server.log())
    for n in range(3):
        await write(client, headers, f"early {n}")
    async with stream(client, headers, after=0) as events:
        first = await events.next(2)
    whole = await everything(client, headers)
    assert [(e.id, e.event, e.data) for e in first] == [(e["seq"], "change", e) for e in whole[:2]]

    # Away: more happens.
    await write(client, headers, "while away")
    item = whole[0]["record_id"]
    changed = await client.patch(
        f"{ITEMS}/{item}", json={"title": "renamed while away", "version": 1}, headers=headers
    )
    assert changed.status_code == 200, changed.text

    missed = await everything(client, headers, after=first[-1].id)
    assert len(missed) == 3  # the third early one, and the two made while away
    # Last-Event-ID wins over ``after``, as a browser's EventSource sends both.
    async with stream(client, headers, last_event_id=first[-1].id, after=0) as events:
        again = await events.next(len(missed))
        assert [e.data for e in again] == missed
        # Connected, a new write arrives as it commits, and nothing came twice before it.
        live = await write(client, headers, "live")
        [arrived] = await events.next(1)
    assert (arrived.id, arrived.data["record_id"]) == (missed[-1]["seq"] + 1, live)
    seen = [e.id for e in [*first, *again, arrived]]
    assert seen == sorted(set(seen))
    assert seen == [e["seq"] for e in await everything(client, headers)]

    # Hanging up ended both streams quietly, and the server serves on.
    assert (await client.get("/health")).status_code == 200
    assert "Traceback" not in http_server.log()[log_before:]


async def test_a_stream_without_a_start_begins_now(
    served: tuple[httpx.AsyncClient, Headers],
) -> None:
    client, headers = served
    await write(client, headers, "old news")
    async with stream(client, headers) as events:
        fresh = await write(client, headers, "fresh")
        [arrived] = await events.next(1)
    assert (arrived.event, arrived.data["record_id"], arrived.data["action"]) == (
        "change",
        fresh,
        "create",
    )
    assert arrived.data["actor"]["client"] == "watcher"


async def test_a_stream_in_a_named_ledger_sends_that_ledgers_events(
    served: tuple[httpx.AsyncClient, Headers], container: Container
) -> None:
    client, headers = served
    slug = f"sse-{uuid.uuid4().hex[:8]}"
    made = await client.post("/api/v1/ledgers", json={"slug": slug}, headers=headers)
    assert made.status_code == 201, made.text
    base = f"/api/v1/ledgers/{slug}"
    async with stream(client, headers, base=base, after=0) as events:
        await write(client, headers, "in the default ledger")
        there = await write(client, headers, "in the named one", base=base)
        [arrived] = await events.next(1)
    assert arrived.data["record_id"] == there

    stranger = await new_account(container, "stranger")
    as_stranger = {"Authorization": f"Bearer {stranger.jwt}"}
    theirs = await client.get(f"{base}/changes/stream", headers=as_stranger)
    missing = await client.get("/api/v1/ledgers/nope/changes/stream", headers=as_stranger)
    problem(theirs, 404, "not_found")
    assert theirs.json() | {"detail": ""} == missing.json() | {"detail": ""}


async def test_a_stream_refuses_what_it_cannot_follow(
    served: tuple[httpx.AsyncClient, Headers],
) -> None:
    client, headers = served
    problem(await client.get(STREAM), 401, "unauthorized")
    for sent, name in (
        ({"Last-Event-ID": "seven"}, "Last-Event-ID"),
        ({"Last-Event-ID": "-1"}, "Last-Event-ID"),
    ):
        refused = await client.get(STREAM, headers={**headers, **sent})
        assert fields(problem(refused, 422, "validation_error")) == [name]
    for query, name in (({"after": -1}, "after"), ({"from": 1}, "from")):
        refused = await client.get(STREAM, params=query, headers=headers)
        assert fields(problem(refused, 422, "validation_error")) == [name]
