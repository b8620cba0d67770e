"""When PostgreSQL is away, every request fails fast and honestly (docs/reference/outage.md, bounded
failure): 503 storage_unavailable with Retry-After, never 500, never a hang, and
``/health`` says degraded. The database is made to look away through a fault proxy; the
machine's PostgreSQL keeps running."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import make_settings
from tests.support.fault_proxy import FaultProxy, fault_proxy
from tests.support.mcp import call, refused
from tests.support.outage import eventually
from tests.support.servers import HttpServer, new_account
from workledger.app import create_app
from workledger.container import Container
from workledger.schemas.common import Actor

pytestmark = pytest.mark.parametrize("backend", ["postgresql"])

BASE_URL = "http://127.0.0.1:8000"
# A guard against hanging, far above the 5 s the contract allows; the figures live in bench/.
HANG_SECONDS = 20
WORK_ITEMS = "/api/v1/work-items"


class Outage:
    """The app in process, talking to PostgreSQL through a fault proxy, and a bearer."""

    def __init__(self, proxy: FaultProxy, api: httpx.AsyncClient, headers: dict[str, str]):
        self.proxy = proxy
        self.api = api
        self.headers = headers

    async def get(self, path: str) -> httpx.Response:
        return await asyncio.wait_for(self.api.get(path, headers=self.headers), HANG_SECONDS)

    async def post(self, path: str, body: dict[str, object]) -> httpx.Response:
        request = self.api.post(path, json=body, headers=self.headers)
        return await asyncio.wait_for(request, HANG_SECONDS)


@pytest.fixture
async def outage(
    database_url: str, container: Container, actor: Actor, tmp_path: Path
) -> AsyncIterator[Outage]:
    async with fault_proxy(database_url) as (proxy, proxied_url):
        app_container = Container.from_settings(make_settings(proxied_url, tmp_path / "app"))
        transport = httpx.ASGITransport(app=create_app(app_container))
        token = container.accounts.issue_access_token(actor.account_id).access_token
        try:
            async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as api:
                yield Outage(proxy, api, {"Authorization": f"Bearer {token}"})
        finally:
            proxy.heal()
            await app_container.close()


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "storage_unavailable"
    assert int(response.headers["Retry-After"]) > 0


def said(caplog: pytest.LogCaptureFixture, words: str) -> int:
    return sum(words in record.getMessage() for record in caplog.records)


async def test_a_refused_database_answers_503_then_recovers_saying_so_once(
    outage: Outage, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="workledger.fallback.outage")
    assert (await outage.get(WORK_ITEMS)).status_code == 200
    outage.proxy.refuse()
    assert_unavailable(await outage.get(WORK_ITEMS))
    assert_unavailable(await outage.post(WORK_ITEMS, {"item_type": "task", "title": "t"}))
    assert (said(caplog, "database is away"), said(caplog, "database is back")) == (1, 0)
    outage.proxy.heal()
    assert (await outage.get(WORK_ITEMS)).status_code == 200
    assert (await outage.get(WORK_ITEMS)).status_code == 200
    assert (said(caplog, "database is away"), said(caplog, "database is back")) == (1, 1)


async def test_cut_connections_answer_503_not_500(outage: Outage) -> None:
    assert (await outage.get(WORK_ITEMS)).status_code == 200  # a pooled connection
    outage.proxy.reset()
    first = await outage.get(WORK_ITEMS)
    assert first.status_code in (200, 503), first.text  # a fresh connection may serve
    if first.status_code == 503:
        assert_unavailable(first)
    assert (await outage.get(WORK_ITEMS)).status_code == 200


async def test_a_frozen_database_answers_503_instead_of_waiting(outage: Outage) -> None:
    assert (await outage.get(WORK_ITEMS)).status_code == 200
    outage.proxy.freeze()
    assert_unavailable(await outage.get(WORK_ITEMS))
    assert_unavailable(await outage.post(WORK_ITEMS, {"item_type": "task", "title": "t"}))
    outage.proxy.heal()
    created = await outage.post(WORK_ITEMS, {"item_type": "task", "title": "after"})
    assert created.status_code == 201, created.text


async def test_health_says_degraded_while_frozen_or_refused(outage: Outage) -> None:
    assert (await outage.get("/health")).json()["status"] == "ok"
    for fault in (outage.proxy.freeze, outage.proxy.refuse):
        fault()
        health = await outage.get("/health")
        assert health.status_code == 200
        assert health.json()["status"] == "degraded"
        assert health.json()["database"] == "unavailable"
        outage.proxy.heal()
    assert (await outage.get("/health")).json()["status"] == "ok"


async def test_a_served_process_answers_503_on_a_live_connection_and_mcp_never_401(
    database_url: str, container: Container, tmp_path: Path
) -> None:
    """Over `workledger serve` with nothing to fall back on (its mirror never fresh, no
    status file): a 503 keeps the keep-alive connection usable, and both kinds of bearer
    stay valid over MCP (a 401 would make the client drop them)."""
    account = await new_account(container, "outage")
    async with fault_proxy(database_url) as (proxy, proxied_url):
        no_fallback = {"WORKLEDGER_CACHE_TTL_SECONDS": "0"}
        server = HttpServer(proxied_url, tmp_path / "serve", env=no_fallback)
        try:
            await asyncio.to_thread(server.wait_until_up)  # its database is behind the proxy
            headers = {"Authorization": f"Bearer {account.jwt}"}
            async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as rest:
                proxy.refuse()
                refusal = await asyncio.wait_for(rest.get(WORK_ITEMS), HANG_SECONDS)
                assert_unavailable(refusal)
                assert refusal.headers.get("connection", "").lower() != "close"
                proxy.heal()
                assert (await rest.get(WORK_ITEMS)).status_code == 200
            for token in (account.jwt, account.api_token):
                async with server.connect(token, "outage-agent", "auto") as client:
                    assert (await call(client, "list_vendors"))["vendors"] == []
                    proxy.refuse()
                    error = await asyncio.wait_for(refused(client, "list_vendors"), HANG_SECONDS)
                    assert error["error"] == "storage_unavailable", error
                    proxy.heal()
                    assert (await call(client, "list_vendors"))["vendors"] == []

            # Said once when it went away and once when it was confirmed back, however
            # many requests met it in between.
            async def confirmed() -> bool:
                log = server.log()
                return log.count("database is away") == log.count("database is back") >= 1

            await eventually(confirmed, "the database to be confirmed back")
            assert "Traceback" not in server.log(), server.log()
        finally:
            proxy.heal()
            await asyncio.to_thread(server.stop)
