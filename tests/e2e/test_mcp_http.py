"""MCP over streamable HTTP: `workledger serve` in a subprocess, clients with bearer tokens.

One server per backend serves the whole module (see ``HttpServers``); every test makes
accounts of its own, so tests share the server but nothing else.
"""

from __future__ import annotations

import json
import uuid
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
import jwt
import pytest

from tests.conftest import TEST_SECRET
from tests.support.mcp import call, refused
from tests.support.scenarios import (
    assert_invisible,
    assert_outside_change_seen,
    scenario_deployment,
    scenario_hierarchy,
    scenario_two_agents,
    scenario_vendor_health,
    scenario_visibility,
)
from tests.support.servers import INITIALIZE, HttpServer, new_account, unique
from workledger.container import Container


@pytest.fixture
def database_url(database_url: str, backend: str, module_sqlite_url: str) -> str:
    """One SQLite file for the module, as PostgreSQL has one database for the session, so
    that one server per backend serves every test of the module."""
    return module_sqlite_url if backend == "sqlite" else database_url


# --- the acceptance scenarios -----------------------------------------------------------------


async def test_vendor_health_among_45_vendors(
    http_server: HttpServer, container: Container, mode: str
) -> None:
    alice = await new_account(container, "alice")
    async with http_server.connect(alice.jwt, "claude-desktop", mode) as client:
        await scenario_vendor_health(client, client_name="claude-desktop")


async def test_deployment_recorded_with_links_once(
    http_server: HttpServer, container: Container, mode: str
) -> None:
    alice = await new_account(container, "alice")
    async with http_server.connect(alice.api_token, "claude-code", mode) as client:
        await scenario_deployment(client)


async def test_hierarchy_of_five_levels(
    http_server: HttpServer, container: Container, mode: str
) -> None:
    alice = await new_account(container, "alice")
    async with http_server.connect(alice.jwt, "claude-code", mode) as client:
        await scenario_hierarchy(client)


async def test_two_clients_one_item_exactly_one_wins(
    http_server: HttpServer, container: Container, mode: str
) -> None:
    alice = await new_account(container, "alice")
    async with (
        http_server.connect(alice.jwt, "claude-desktop", mode) as desktop,
        http_server.connect(alice.api_token, "claude-code", mode) as code,
    ):
        await scenario_two_agents({"claude-desktop": desktop, "claude-code": code})


async def test_ten_clients_racing_exactly_one_wins(
    http_server: HttpServer, container: Container, mode: str
) -> None:
    alice = await new_account(container, "alice")
    async with AsyncExitStack() as stack:
        clients = {
            f"agent-{n}": await stack.enter_async_context(
                http_server.connect(alice.jwt, f"agent-{n}", mode)
            )
            for n in range(10)
        }
        await scenario_two_agents(clients)


async def test_change_seen_by_the_next_read_of_another_client(
    http_server: HttpServer, container: Container, mode: str
) -> None:
    alice, mallory = await new_account(container, "alice"), await new_account(container, "mal")
    async with (
        http_server.connect(alice.api_token, "claude-code", mode) as writer,
        http_server.connect(alice.jwt, "claude-desktop", mode) as reader,
        http_server.connect(mallory.jwt, "copilot", mode) as outsider,
    ):
        records = await scenario_visibility(writer, reader, writer_name="claude-code")
        await assert_outside_change_seen(container, alice.email, reader, records["vendor"])
        await assert_invisible(outsider, records)


# --- accounts ---------------------------------------------------------------------------------


async def test_another_accounts_records_behave_as_missing(
    http_server: HttpServer, container: Container, mode: str
) -> None:
    alice, bob = await new_account(container, "alice"), await new_account(container, "bob")
    async with (
        http_server.connect(alice.jwt, "claude-code", mode) as mine,
        http_server.connect(bob.api_token, "claude-desktop", mode) as theirs,
    ):
        name = unique("acme")
        vendor = await call(mine, "create_vendor", name=name)
        project = await call(mine, "create_work_item", item_type="project", title=unique("p"))
        await call(
            mine, "create_work_item", item_type="task", title="child", parent_id=project["id"]
        )
        deployment = await call(
            mine,
            "record_deployment",
            pr_number=7,
            pr_title="alice's release",
            commit_hash="ab" * 20,
            vendor_ids=[vendor["id"]],
            work_item_ids=[project["id"]],
        )

        async def as_missing(tool: str, foreign: str, **arguments: Any) -> None:
            """``foreign`` (alice's) answers bob exactly like an id nobody has."""
            absent = str(uuid.uuid4()) if foreign != name else unique("absent")

            def call(identifier: str) -> dict[str, Any]:
                filled: dict[str, Any] = json.loads(
                    json.dumps(arguments).replace("FOREIGN", identifier)
                )
                return filled

            foreign_error = await refused(theirs, tool, **call(foreign))
            absent_error = await refused(theirs, tool, **call(absent))
            assert foreign_error["error"] == "not_found", foreign_error
            masked = json.dumps(foreign_error).replace(foreign, "X")
            assert masked == json.dumps(absent_error).replace(absent, "X")

        await as_missing("query_work_item", project["id"], id="FOREIGN")
        await as_missing("query_work_item", project["id"], id="FOREIGN", include_hierarchy=True)
        await as_missing("update_work_item", project["id"], id="FOREIGN", version=1, title="x")
        await as_missing(
            "create_work_item", project["id"], item_type="task", title="t", parent_id="FOREIGN"
        )
        await as_missing("query_vendor_status", vendor["id"], vendor_id="FOREIGN")
        await as_missing("query_vendor_status", name, name="FOREIGN")
        await as_missing(
            "update_vendor_status", vendor["id"], vendor_id="FOREIGN", version=1, status="broken"
        )
        await as_missing(
            "record_deployment",
            vendor["id"],
            pr_number=8,
            pr_title="bob's release",
            commit_hash="cd" * 20,
            vendor_ids=["FOREIGN"],
        )
        await as_missing(
            "record_deployment",
            project["id"],
            pr_number=9,
            pr_title="bob's release",
            commit_hash="ef" * 20,
            work_item_ids=["FOREIGN"],
        )

        empty = {"items": [], "total_count": 0, "has_more": False, "next_cursor": None}
        assert await call(theirs, "list_work_items") == empty
        assert await call(theirs, "list_work_items", parent_id=project["id"]) == empty
        assert (await call(theirs, "list_deployments"))["items"] == []
        by_vendor = await call(theirs, "list_deployments", vendor_id=vendor["id"])
        assert by_vendor["items"] == []
        vendors = await call(theirs, "list_vendors")
        assert vendors == {"vendors": [], "operational_count": 0, "broken_count": 0}
        status = await call(theirs, "get_project_status")
        assert name not in status["markdown"]
        assert project["title"] not in status["markdown"]

        own = await call(theirs, "create_vendor", name=name)  # the name is free for bob
        assert (own["name"], own["version"], own["created_by"]) == (name, 1, "claude-desktop")
        assert own["id"] != vendor["id"]

        # and nothing of alice's moved
        assert await call(mine, "query_vendor_status", name=name) == vendor
        assert (await call(mine, "query_work_item", id=project["id"]))["version"] == 1
        listed = await call(mine, "list_deployments")
        assert [d["id"] for d in listed["items"]] == [deployment["id"]]


async def test_api_token_and_access_token_both_work_updated_by_is_the_client(
    http_server: HttpServer, container: Container, mode: str
) -> None:
    """Over MCP the record names the client's declared name, not the token's name."""
    alice = await new_account(container, "alice")
    async with http_server.connect(alice.api_token, "copilot", mode) as by_api_token:
        vendor = await call(by_api_token, "create_vendor", name=unique("v"))
    assert (vendor["created_by"], vendor["updated_by"]) == ("copilot", "copilot")
    async with http_server.connect(alice.jwt, "claude-code", mode) as by_jwt:
        vendor = await call(
            by_jwt, "update_vendor_status", vendor_id=vendor["id"], version=1, status="broken"
        )
    assert (vendor["created_by"], vendor["updated_by"], vendor["version"]) == (
        "copilot",
        "claude-code",
        2,
    )
    stored = await container.vendors.get(actor=alice.actor, vendor_id=uuid.UUID(vendor["id"]))
    assert (stored.status, stored.updated_by) == ("broken", "claude-code")


# --- the door: tokens and origins ----------------------------------------------------------------

MCP_HEADERS = {"Accept": "application/json, text/event-stream"}


async def post_initialize(server: HttpServer, headers: dict[str, str]) -> httpx2.Response:
    async with httpx2.AsyncClient(timeout=30) as http:
        return await http.post(server.mcp_url, json=INITIALIZE, headers=MCP_HEADERS | headers)


def assert_unauthorized(response: httpx2.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer"), response.headers


def claims(account_id: uuid.UUID, **overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "sub": str(account_id),
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "jti": uuid.uuid4().hex,
        "iss": "workledger",
        "aud": "workledger",
        **overrides,
    }


async def test_valid_token_and_local_origin_are_let_in(
    http_server: HttpServer, container: Container
) -> None:
    """The counterpart of the refusals below: the same request with a good token passes."""
    alice = await new_account(container, "alice")
    for token in (alice.jwt, alice.api_token):
        headers = {"Authorization": f"Bearer {token}", "Origin": http_server.base_url}
        response = await post_initialize(http_server, headers)
        assert response.status_code == 200, response.text


async def test_no_token_is_401_with_a_bearer_challenge(
    http_server: HttpServer, container: Container
) -> None:
    assert_unauthorized(await post_initialize(http_server, {}))


@pytest.mark.parametrize(
    "kind",
    ["garbage", "wrong key", "expired", "alg none", "unknown account"],
)
async def test_bad_token_is_401(http_server: HttpServer, container: Container, kind: str) -> None:
    alice = await new_account(container, "alice")
    token = {
        "garbage": "not-a-token",
        "wrong key": jwt.encode(claims(alice.id), "k" * 48, algorithm="HS256"),
        "expired": jwt.encode(
            claims(alice.id, exp=datetime.now(UTC) - timedelta(seconds=5)), TEST_SECRET
        ),
        "alg none": jwt.encode(claims(alice.id), "", algorithm="none"),
        "unknown account": jwt.encode(claims(uuid.uuid4()), TEST_SECRET, algorithm="HS256"),
    }[kind]
    assert_unauthorized(await post_initialize(http_server, {"Authorization": f"Bearer {token}"}))


async def test_revoking_an_api_token_locks_its_client_out(
    http_server: HttpServer, container: Container, mode: str
) -> None:
    alice = await new_account(container, "alice")
    async with http_server.connect(alice.api_token, "claude-code", mode) as client:
        await call(client, "list_vendors")
    await container.accounts.revoke_api_token(actor=alice.actor, token_id=alice.api_token_id)
    response = await post_initialize(http_server, {"Authorization": f"Bearer {alice.api_token}"})
    assert_unauthorized(response)


async def test_an_origin_let_in_to_the_rest_api_is_still_foreign_to_mcp(
    database_url: str, container: Container, tmp_path: Path
) -> None:
    """WORKLEDGER_CORS_ORIGINS opens /api to a front end, not /mcp (issue 17)."""
    front_end = "https://app.example.test"
    server = HttpServer(database_url, tmp_path, env={"WORKLEDGER_CORS_ORIGINS": front_end})
    try:
        server.wait_until_up()
        alice = await new_account(container, "alice")
        headers = {"Authorization": f"Bearer {alice.api_token}", "Origin": front_end}
        refused = await post_initialize(server, headers)
        assert refused.status_code == 403, refused.text
        assert "access-control-allow-origin" not in refused.headers
        async with httpx2.AsyncClient(timeout=30) as http:
            rest = await http.get(f"{server.base_url}/api/v1/work-items", headers=headers)
        assert rest.status_code == 200, rest.text
        assert rest.headers["access-control-allow-origin"] == front_end
    finally:
        server.stop()


async def test_foreign_origin_is_403(http_server: HttpServer, container: Container) -> None:
    alice = await new_account(container, "alice")
    headers = {"Authorization": f"Bearer {alice.jwt}", "Origin": "http://evil.example"}
    response = await post_initialize(http_server, headers)
    assert response.status_code == 403, response.text
