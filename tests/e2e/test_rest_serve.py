"""REST end to end: a real `workledger serve` process on a loopback port, on each database.

The server runs on the test's own database (see ``tests/e2e/conftest.py``); the bearer
token is issued in-process by the test's container, exactly as the server would issue it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.support.servers import HttpServer, unique
from workledger.container import Container
from workledger.schemas.common import Actor

WORK_ITEMS = "/api/v1/work-items"
SHUTDOWN_SECONDS = 5.0


def bearer(container: Container, actor: Actor) -> dict[str, str]:
    token = container.accounts.issue_access_token(actor.account_id).access_token
    return {"Authorization": f"Bearer {token}"}


async def test_health_answers_ok(http_server: HttpServer, backend: str) -> None:
    async with httpx.AsyncClient(base_url=http_server.base_url, timeout=10) as client:
        response = await client.get("/health")
    assert response.status_code == 200
    health = response.json()
    synced_at = health.pop("mirror_synced_at")
    assert health == {
        "status": "ok",
        "database": "ok",
        "backend": backend,
        "source": "database",
        "journal": {"pending": 0, "conflicts": 0},
    }
    if backend == "sqlite":
        assert synced_at is None  # only PostgreSQL has a mirror to fall back on


async def test_create_list_patch_get(
    http_server: HttpServer, container: Container, actor: Actor
) -> None:
    headers = {**bearer(container, actor), "X-Client-Name": "e2e-client"}
    title = unique("e2e item")
    async with httpx.AsyncClient(
        base_url=http_server.base_url, headers=headers, timeout=10
    ) as client:
        created = await client.post(WORK_ITEMS, json={"item_type": "task", "title": title})
        assert created.status_code == 201, created.text
        item = created.json()
        assert created.headers["Location"] == f"{WORK_ITEMS}/{item['id']}"
        assert created.headers["ETag"] == '"1"'
        assert item["created_by"] == "e2e-client"

        listed = await client.get(WORK_ITEMS, params={"search": title})
        assert listed.status_code == 200
        assert [i["id"] for i in listed.json()["items"]] == [item["id"]]
        assert listed.json()["total_count"] == 1

        patched = await client.patch(
            created.headers["Location"],
            json={"status": "completed", "priority": "high"},
            headers={"If-Match": created.headers["ETag"], "X-Client-Name": "second-client"},
        )
        assert patched.status_code == 200, patched.text
        assert patched.headers["ETag"] == '"2"'

        fetched = await client.get(created.headers["Location"])
        assert fetched.status_code == 200
        assert fetched.headers["ETag"] == '"2"'
        assert fetched.headers["content-type"] == "application/json"
        current = fetched.json()
        assert (current["status"], current["priority"], current["version"]) == (
            "completed",
            "high",
            2,
        )
        assert (current["created_by"], current["updated_by"]) == ("e2e-client", "second-client")

        stale = await client.patch(
            created.headers["Location"], json={"title": "lost"}, headers={"If-Match": '"1"'}
        )
        assert stale.status_code == 412
        assert stale.headers["content-type"].startswith("application/problem+json")
        assert (stale.json()["current_version"], stale.json()["updated_by"]) == (
            2,
            "second-client",
        )

        anonymous = await client.get(WORK_ITEMS, headers={"Authorization": ""})
        assert anonymous.status_code == 401
        assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.timeout(60)
async def test_sigterm_shuts_down_within_seconds(
    database_url: str, container: Container, actor: Actor, tmp_path: Path
) -> None:
    server = HttpServer(database_url, tmp_path / "sigterm")
    try:
        server.wait_until_up()
        # An idle keep-alive connection stays open across the signal: it must not hold
        # the shutdown up.
        async with httpx.AsyncClient(
            base_url=server.base_url, headers=bearer(container, actor), timeout=10
        ) as client:
            assert (await client.get(WORK_ITEMS)).status_code == 200
            started = time.monotonic()
            server.process.send_signal(signal.SIGTERM)
            status = server.process.wait(timeout=SHUTDOWN_SECONDS + 10)
            elapsed = time.monotonic() - started
    finally:
        server.stop()
    log = server.log()
    assert elapsed < SHUTDOWN_SECONDS, f"shutdown took {elapsed:.1f} s:\n{log}"
    # uvicorn shuts down cleanly, then re-raises the signal as its exit status.
    assert status in (0, -signal.SIGTERM), log
    assert "Application shutdown complete" in log
    assert "Traceback" not in log


def worker_pids(server: HttpServer) -> set[int]:
    """The server's worker processes (uvicorn's supervisor spawns them)."""
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes()
        except (OSError, IndexError):
            continue
        if int(stat[1]) == server.process.pid and b"spawn_main" in command:
            found.add(int(entry.name))
    return found


async def eventually_workers(server: HttpServer, count: int) -> set[int]:
    deadline = time.monotonic() + 30
    while len(found := worker_pids(server)) != count:
        assert time.monotonic() < deadline, f"workers {found}:\n{server.log_tail()}"
        await asyncio.sleep(0.2)
    return found


@pytest.mark.timeout(120)
async def test_serve_with_workers_shares_the_port_and_outlives_a_dead_worker(
    database_url: str, container: Container, actor: Actor, tmp_path: Path
) -> None:
    server = HttpServer(database_url, tmp_path / "workers", workers=2)
    headers = bearer(container, actor)
    try:
        server.wait_until_up()
        first = await eventually_workers(server, 2)

        async def create(title: str) -> None:
            # A new connection each time: the kernel hands it to either worker.
            async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:
                made = await client.post(
                    WORK_ITEMS, json={"item_type": "task", "title": title}, headers=headers
                )
                assert made.status_code == 201, made.text

        await asyncio.gather(*(create(f"before {i}") for i in range(20)))
        os.kill(min(first), signal.SIGKILL)
        await asyncio.gather(*(create(f"after {i}") for i in range(20)))
        again = await eventually_workers(server, 2)
        assert min(first) not in again  # the supervisor started another one
        async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:
            listed = await client.get(WORK_ITEMS, params={"limit": 100}, headers=headers)
    finally:
        server.stop()
    assert listed.json()["total_count"] == 40
    assert "Traceback" not in server.log()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_postgresql_server_says_what_its_mirror_is_in_its_log(http_server: HttpServer) -> None:
    """The outage mirror is a SQLite file brought up to date at start: the log says so in
    one line of workledger's, not with Alembic's steps for a "SQLiteImpl" out of nowhere."""
    log = http_server.log()
    assert "the local mirror" in log
    assert "bringing its schema up to date" in log
    assert "SQLiteImpl" not in log
    assert "setup plugin" not in log


async def test_each_request_is_a_line_of_the_log(http_server: HttpServer) -> None:
    async with httpx.AsyncClient(base_url=http_server.base_url) as client:
        await client.get("/api/v1/work-items")  # no token: 401

    await asyncio.sleep(0.2)  # the log is a file the server writes to
    log = http_server.log()
    assert '"GET /api/v1/work-items HTTP/1.1" 401' in log
    assert '"GET /health HTTP/1.1" 200' in log
