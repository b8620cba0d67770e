"""End to end: real `workledger mcp` (stdio) and `workledger serve` (HTTP) processes.

The servers run as subprocesses on the test's own database (``database_url`` of the root
conftest), so a test arranges and inspects through its in-process ``container`` while its
clients talk to the server. The acceptance scenarios of TARGETS.md are written once here,
against connected clients, and run over both transports in both connection modes: "auto"
(the 2026-07-28 protocol, no handshake) and "legacy" (the initialize handshake).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import socket
import subprocess
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp.client.client import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp_types import Implementation
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from tests.conftest import TEST_SECRET
from tests.support.commands import WORKLEDGER
from workledger.container import Container
from workledger.schemas.account import AccountCreate
from workledger.schemas.common import Actor
from workledger.schemas.vendor import VendorUpdate

MODES = ("auto", "legacy")
CALL_TIMEOUT_SECONDS = 30.0
START_TIMEOUT_SECONDS = 30.0
# The legacy handshake's first message, for tests that speak the protocol by hand.
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "raw-client", "version": "1"},
    },
}


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def unique(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:8]}"


def server_env(database_url: str, home: Path) -> dict[str, str]:
    """Everything a server process needs, nothing inherited from the test's environment."""
    home.mkdir(parents=True, exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "WORKLEDGER_DATABASE_URL": database_url,
        "WORKLEDGER_JWT_SECRET": TEST_SECRET,
        "WORKLEDGER_DATA_DIR": str(home / ".workledger"),
        "WORKLEDGER_REPO_DIR": str(home),
    }


def check_mode(client: Client, mode: str) -> None:
    """The connection really is what the test asked for."""
    modern = client.protocol_version in MODERN_PROTOCOL_VERSIONS
    assert modern == (mode == "auto"), f"mode {mode!r} negotiated {client.protocol_version}"


# --- tool calls -----------------------------------------------------------------------------


async def call_ok(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    """A successful call's structured content (which the text content repeats)."""
    result = await client.call_tool(tool, arguments)
    text = result.content[0].text if result.content else None  # type: ignore[union-attr]
    assert not result.is_error, f"{tool}({arguments}) failed: {text}"
    assert result.structured_content is not None, f"{tool} returned no structured content"
    assert text is not None
    content: dict[str, Any] = result.structured_content
    assert json.loads(text) == content
    return content


async def call_error(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    """A failed call's JSON error object (CONTRACT §5, §8)."""
    result = await client.call_tool(tool, arguments)
    assert result.is_error, f"{tool}({arguments}) succeeded: {result.structured_content}"
    error: dict[str, Any] = json.loads(result.content[0].text)  # type: ignore[union-attr]
    return error


# --- accounts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    id: uuid.UUID
    email: str
    jwt: str
    api_token: str
    api_token_id: uuid.UUID
    actor: Actor


async def new_account(container: Container, label: str) -> Account:
    """A fresh account in the servers' database, with an access JWT and an API token."""
    email = f"{unique(label)}@example.com"
    created = await container.accounts.create(AccountCreate.load({"email": email}))
    actor = Actor(account_id=created.id, client="e2e-setup")
    api = await container.accounts.create_api_token(actor=actor, name=f"{label}-token")
    jwt = container.accounts.issue_access_token(created.id).access_token
    return Account(created.id, email, jwt, api.token, api.id, actor)


# --- stdio ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StdioServer:
    """How to launch `workledger mcp`; every client gets a process of its own."""

    env: dict[str, str]
    cwd: Path

    def command(self) -> list[str]:
        return [WORKLEDGER, "mcp"]

    @asynccontextmanager
    async def connect(
        self, name: str, mode: str, *, account: str | None = None
    ) -> AsyncIterator[Client]:
        env = dict(self.env)
        if account is not None:
            env["WORKLEDGER_ACCOUNT"] = account
        command, *args = self.command()
        params = StdioServerParameters(command=command, args=args, env=env, cwd=str(self.cwd))
        async with Client(
            params,
            client_info=Implementation(name=name, version="1"),
            mode=mode,
            read_timeout_seconds=CALL_TIMEOUT_SECONDS,
        ) as client:
            check_mode(client, mode)
            yield client


@pytest.fixture
def stdio(database_url: str, container: Container, tmp_path: Path) -> StdioServer:
    """``container`` first: on PostgreSQL it empties the tables, so the built-in local
    account the processes act as starts with nothing."""
    home = tmp_path / "stdio"
    return StdioServer(env=server_env(database_url, home), cwd=home)


# --- HTTP -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class HttpServer:
    """`workledger serve` on a free port, its output in a log file."""

    def __init__(self, database_url: str, home: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.mcp_url = f"{self.base_url}/mcp"
        self.log_path = home / "serve.log"
        command = [WORKLEDGER, "serve"]
        command += ["--host", "127.0.0.1", "--port", str(self.port)]
        env = server_env(database_url, home)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            assert self.process.poll() is None, f"workledger serve exited:\n{self.log()}"
            try:
                with urllib.request.urlopen(f"{self.base_url}/health", timeout=2) as response:
                    if json.load(response)["status"] == "ok":
                        return
            except OSError:
                pass
            assert time.monotonic() < deadline, f"workledger serve did not answer:\n{self.log()}"
            time.sleep(0.1)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)

    @asynccontextmanager
    async def connect(self, token: str, name: str, mode: str) -> AsyncIterator[Client]:
        headers = {"Authorization": f"Bearer {token}"}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=CALL_TIMEOUT_SECONDS) as http,
            Client(
                streamable_http_client(self.mcp_url, http_client=http),
                client_info=Implementation(name=name, version="1"),
                mode=mode,
                read_timeout_seconds=CALL_TIMEOUT_SECONDS,
            ) as client,
        ):
            check_mode(client, mode)
            yield client


class HttpServers:
    """One server per database, started on first use and kept for the module: starting
    one costs more than most tests. Tests stay independent through accounts of their own."""

    def __init__(self, home: Path) -> None:
        self._home = home
        self._servers: dict[str, HttpServer] = {}

    def get(self, database_url: str) -> HttpServer:
        server = self._servers.get(database_url)
        if server is None:
            home = self._home / f"server-{len(self._servers)}"
            server = self._servers[database_url] = HttpServer(database_url, home)
            server.wait_until_up()
        assert server.process.poll() is None, f"workledger serve died:\n{server.log()}"
        return server

    def stop_all(self) -> None:
        for server in self._servers.values():
            server.stop()


@pytest.fixture(scope="module")
def http_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpServers]:
    servers = HttpServers(tmp_path_factory.mktemp("serve"))
    try:
        yield servers
    finally:
        servers.stop_all()


@pytest.fixture
def http_server(http_servers: HttpServers, database_url: str, container: Container) -> HttpServer:
    return http_servers.get(database_url)


# --- the acceptance scenarios (TARGETS.md), over any transport -------------------------------

VENDOR_COUNT = 45


def vendor_fields(i: int) -> dict[str, Any]:
    """Distinct health for every vendor, so a mixed-up answer cannot pass."""
    total, skipped = 40 + i, i % 5
    return {
        "status": "broken" if i % 7 == 3 else "operational",
        "test_results": {"passing": total - skipped - i % 3, "total": total, "skipped": skipped},
        "format_support": {
            "excel": i % 2 == 0,
            "csv": i % 3 == 0,
            "pdf": i % 4 == 0,
            "ocr": i % 5 == 0,
        },
        "extractor_version": f"{1 + i % 3}.{i}.0",
        "manifest_compliant": i % 2 == 1,
    }


async def scenario_vendor_health(client: Client, *, client_name: str) -> None:
    """1. With 45 vendors, one asked for by name answers with its whole health."""
    tag = unique("vendor")
    created = []
    for i in range(VENDOR_COUNT):
        created.append(
            await call_ok(client, "create_vendor", name=f"{tag}-{i:02d}", **vendor_fields(i))
        )
    for i in (31, 12):  # a broken one and an operational one
        vendor = await call_ok(client, "query_vendor_status", name=f"{tag}-{i:02d}")
        assert {key: vendor[key] for key in vendor_fields(i)} == vendor_fields(i)
        assert vendor["id"] == created[i]["id"]
        assert (vendor["name"], vendor["version"]) == (f"{tag}-{i:02d}", 1)
        assert vendor["created_by"] == vendor["updated_by"] == client_name
        assert await call_ok(client, "query_vendor_status", vendor_id=vendor["id"]) == vendor
    listing = await call_ok(client, "list_vendors")
    assert len(listing["vendors"]) == VENDOR_COUNT
    assert (listing["operational_count"], listing["broken_count"]) == (39, 6)


async def scenario_deployment(client: Client) -> None:
    """3. A deployment keeps every link, answers with names and titles, and is recorded once."""
    tag = unique("deploy")
    vendors = [await call_ok(client, "create_vendor", name=f"{tag}-{n}") for n in "abcd"]
    items = [
        await call_ok(client, "create_work_item", item_type="task", title=f"{tag} task {n}")
        for n in range(3)
    ]
    deployment = {
        "pr_number": 4242,
        "pr_title": f"Ship {tag}",
        "commit_hash": uuid.uuid4().hex + "0123abcd",
        "test_summary": {"unit": 412, "integration": 37, "e2e": 9},
        "constitutional_compliance": True,
    }
    first = await call_ok(
        client,
        "record_deployment",
        vendor_names=[v["name"] for v in vendors[:3]],
        work_item_ids=[i["id"] for i in items[:2]],
        **deployment,
    )
    assert first["created"] is True
    assert {key: first[key] for key in deployment} == deployment
    assert sorted(first["vendor_ids"]) == sorted(v["id"] for v in vendors[:3])
    assert sorted(first["work_item_ids"]) == sorted(i["id"] for i in items[:2])
    affected = {(v["id"], v["name"], v["status"]) for v in first["affected_vendors"]}
    assert affected == {(v["id"], v["name"], "operational") for v in vendors[:3]}
    related = {(i["id"], i["title"], i["status"]) for i in first["related_work_items"]}
    assert related == {(i["id"], i["title"], "active") for i in items[:2]}

    again = await call_ok(
        client,
        "record_deployment",
        vendor_ids=[v["id"] for v in vendors[:3]],
        work_item_ids=[i["id"] for i in items[:2]],
        **deployment,
    )
    assert again["created"] is False
    assert {**again, "created": True} == first
    listed = await call_ok(client, "list_deployments")
    assert [d["id"] for d in listed["items"]] == [first["id"]]
    assert listed["total_count"] == 1
    by_vendor = await call_ok(client, "list_deployments", vendor_id=vendors[2]["id"])
    assert [d["id"] for d in by_vendor["items"]] == [first["id"]]
    by_other_vendor = await call_ok(client, "list_deployments", vendor_id=vendors[3]["id"])
    assert by_other_vendor["items"] == []


async def scenario_hierarchy(client: Client) -> None:
    """6. A leaf five levels down has its 4 ancestors, root first; the root has every
    descendant, in tree order, with depth, parent and dependencies."""
    tag = unique("tree")
    chain = [await call_ok(client, "create_work_item", item_type="project", title=f"{tag} root")]
    sibling: dict[str, Any] = {}
    for level, item_type in enumerate(("session", "task", "task", "research"), start=1):
        title, parent = f"{tag} level {level}", chain[-1]["id"]
        chain.append(
            await call_ok(
                client, "create_work_item", item_type=item_type, title=title, parent_id=parent
            )
        )
        if level == 1:  # created before the deeper levels: tree order is not creation order
            sibling = await call_ok(
                client,
                "create_work_item",
                item_type="task",
                title=f"{tag} sibling",
                parent_id=chain[0]["id"],
            )
    root, leaf = chain[0], chain[-1]
    blocks = [{"depends_on_id": sibling["id"], "dependency_type": "blocks"}]
    leaf = await call_ok(client, "update_work_item", id=leaf["id"], version=1, dependencies=blocks)
    assert (leaf["depth"], leaf["version"], leaf["dependencies"]) == (4, 2, blocks)
    sixth = await call_error(
        client, "create_work_item", item_type="task", title=f"{tag} too deep", parent_id=leaf["id"]
    )
    assert sixth["error"] == "conflict"

    up = await call_ok(client, "query_work_item", id=leaf["id"], include_hierarchy=True)
    assert [(a["id"], a["depth"]) for a in up["ancestors"]] == [
        (item["id"], depth) for depth, item in enumerate(chain[:4])
    ]
    assert up["descendants"] == []
    assert (up["title"], up["dependencies"]) == (leaf["title"], blocks)

    down = await call_ok(client, "query_work_item", id=root["id"], include_hierarchy=True)
    assert down["ancestors"] == []
    pairs = enumerate(itertools.pairwise(chain), start=1)
    expected = [(item["id"], depth, parent["id"]) for depth, (parent, item) in pairs]
    expected.append((sibling["id"], 1, root["id"]))
    assert [(d["id"], d["depth"], d["parent_id"]) for d in down["descendants"]] == expected
    dependencies = {d["id"]: d["dependencies"] for d in down["descendants"]}
    assert dependencies.pop(leaf["id"]) == blocks
    assert all(deps == [] for deps in dependencies.values())

    shallow = await call_ok(
        client, "query_work_item", id=root["id"], include_hierarchy=True, max_depth=2
    )
    assert [d["id"] for d in shallow["descendants"]] == [
        chain[1]["id"],
        chain[2]["id"],
        sibling["id"],
    ]


async def scenario_two_agents(clients: dict[str, Client]) -> None:
    """2. Clients that read version N all write with N: exactly one wins (N+1), every
    other gets version_conflict naming the versions and the winner; nothing is lost."""
    names = list(clients)
    first = clients[names[0]]
    item = await call_ok(first, "create_work_item", item_type="task", title=unique("race"))
    item = await call_ok(first, "update_work_item", id=item["id"], version=1, priority="high")
    for client in clients.values():
        assert (await call_ok(client, "query_work_item", id=item["id"]))["version"] == 2

    changes = {name: {"title": f"{name}'s title", "tags": [name]} for name in names}
    results = await asyncio.gather(
        *(
            client.call_tool("update_work_item", {"id": item["id"], "version": 2, **changes[name]})
            for name, client in clients.items()
        )
    )
    winners = [name for name, result in zip(names, results, strict=True) if not result.is_error]
    assert len(winners) == 1, f"winners: {winners}"
    winner = winners[0]
    for name, result in zip(names, results, strict=True):
        if name == winner:
            continue
        error = json.loads(result.content[0].text)  # type: ignore[union-attr]
        assert error["error"] == "version_conflict"
        assert (error["current_version"], error["requested_version"]) == (3, 2)
        assert error["updated_by"] == winner
        assert winner in error["message"]

    loser = next(name for name in names if name != winner)
    final = await call_ok(clients[loser], "query_work_item", id=item["id"])
    assert final["version"] == 3
    assert (final["title"], final["tags"], final["updated_by"]) == (
        changes[winner]["title"],
        [winner],
        winner,
    )
    assert final["priority"] == "high"  # the earlier change survived too

    retried = await call_ok(
        clients[loser], "update_work_item", id=item["id"], version=3, **changes[loser]
    )
    assert (retried["version"], retried["title"], retried["updated_by"]) == (
        4,
        changes[loser]["title"],
        loser,
    )


async def scenario_visibility(
    writer: Client, reader: Client, *, writer_name: str
) -> dict[str, Any]:
    """7. What one client changes, the next read of another client of the account shows.

    Returns the changed records (``vendor``, ``item``) for checks by other accounts."""
    tag = unique("seen")
    vendor = await call_ok(writer, "create_vendor", name=tag)
    item = await call_ok(writer, "create_work_item", item_type="research", title=f"{tag} draft")
    # The reader reads first, so anything it caches is stale after the writer's changes.
    assert (await call_ok(reader, "query_vendor_status", name=tag))["status"] == "operational"
    assert (await call_ok(reader, "query_work_item", id=item["id"]))["version"] == 1
    assert (await call_ok(reader, "list_work_items", search=tag))["total_count"] == 1

    vendor = await call_ok(
        writer,
        "update_vendor_status",
        name=tag,
        version=1,
        status="broken",
        test_results={"passing": 7, "total": 10, "skipped": 1},
    )
    item = await call_ok(
        writer,
        "update_work_item",
        id=item["id"],
        version=1,
        title=f"{tag} final",
        status="completed",
    )

    seen_vendor = await call_ok(reader, "query_vendor_status", name=tag)
    assert seen_vendor == vendor
    assert (seen_vendor["status"], seen_vendor["version"], seen_vendor["updated_by"]) == (
        "broken",
        2,
        writer_name,
    )
    seen_item = await call_ok(reader, "query_work_item", id=item["id"])
    assert (seen_item["title"], seen_item["status"], seen_item["version"]) == (
        f"{tag} final",
        "completed",
        2,
    )
    listed = await call_ok(reader, "list_work_items", search=tag)
    assert [(i["title"], i["version"]) for i in listed["items"]] == [(f"{tag} final", 2)]
    assert (await call_ok(reader, "list_vendors", status="broken"))["vendors"] == [vendor]
    return {"vendor": vendor, "item": item}


async def assert_invisible(outsider: Client, records: dict[str, Any]) -> None:
    """Another account's client finds none of ``records`` (see ``scenario_visibility``)."""
    vendor, item = records["vendor"], records["item"]
    missing_vendor = await call_error(outsider, "query_vendor_status", name=vendor["name"])
    assert missing_vendor["error"] == "not_found"
    missing_item = await call_error(outsider, "query_work_item", id=item["id"])
    assert missing_item["error"] == "not_found"
    assert (await call_ok(outsider, "list_work_items", search=item["title"]))["items"] == []
    assert (await call_ok(outsider, "list_vendors"))["vendors"] == []


async def assert_outside_change_seen(
    container: Container, account_id: uuid.UUID, reader: Client, vendor: dict[str, Any]
) -> None:
    """A change made outside the server process (the test's own container, as the CLI or
    REST would) is what the server's next read answers: its read cache must notice."""
    cli = Actor(account_id=account_id, client="cli")
    data = VendorUpdate.load({"version": vendor["version"], "extractor_version": "9.9.9"})
    await container.vendors.update(actor=cli, data=data, vendor_id=uuid.UUID(vendor["id"]))
    seen = await call_ok(reader, "query_vendor_status", name=vendor["name"])
    assert (seen["extractor_version"], seen["version"], seen["updated_by"]) == (
        "9.9.9",
        vendor["version"] + 1,
        "cli",
    )
