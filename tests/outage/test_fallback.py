"""The outage scenario over a real `workledger serve`: while PostgreSQL is away, reads
come from the mirror and say so, writes are journaled and visible at once, and when it is
back they are replayed exactly once; a write made against a version that changed
meanwhile becomes a conflict, never an overwrite (docs/reference/outage.md). The database is made to
look away through a fault proxy; the machine's PostgreSQL keeps running."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sqlite3
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp_types import CallToolResult

from tests.support.commands import WORKLEDGER
from tests.support.fault_proxy import fault_proxy
from tests.support.mcp import call
from tests.support.outage import WAIT_SECONDS, Served, eventually, served_behind_proxy
from tests.support.servers import Account, HttpServer, StdioServer, new_account, server_env
from workledger.container import Container
from workledger.schemas.work_item import WorkItemUpdate

pytestmark = pytest.mark.parametrize("backend", ["postgresql"])

WORK_ITEMS = "/api/v1/work-items"
CONFLICTS = "/api/v1/conflicts"


@pytest.fixture
async def account(container: Container) -> Account:
    return await new_account(container, "fallback")


@pytest.fixture
async def served(database_url: str, account: Account, tmp_path: Path) -> AsyncIterator[Served]:
    home = tmp_path / "serve"
    async with served_behind_proxy(database_url, home, account.jwt) as (proxy, server, rest):
        yield Served(proxy, server, rest)


async def create(rest: httpx.AsyncClient, title: str) -> httpx.Response:
    return await rest.post(WORK_ITEMS, json={"item_type": "task", "title": title})


async def test_reads_fall_back_to_the_mirror_and_journaled_writes_replay_once(
    served: Served, account: Account
) -> None:
    rest = served.rest
    kept = await create(rest, "kept")
    assert kept.status_code == 201, kept.text
    assert kept.headers["Workledger-Source"] == "database"
    assert "Workledger-As-Of" not in kept.headers
    item = kept.json()
    await served.mirrored()

    served.proxy.refuse()
    read = await rest.get(f"{WORK_ITEMS}/{item['id']}")
    assert read.status_code == 200, read.text
    assert read.headers["Workledger-Source"] == "cache"
    assert datetime.fromisoformat(read.headers["Workledger-As-Of"]) <= datetime.now().astimezone()
    assert read.json()["title"] == "kept"
    # An API token is checked against the mirror too.
    by_token = await rest.get(
        f"{WORK_ITEMS}/{item['id']}", headers={"Authorization": f"Bearer {account.api_token}"}
    )
    assert by_token.status_code == 200, by_token.text
    assert by_token.headers["Workledger-Source"] == "cache"

    changed = await rest.patch(
        f"{WORK_ITEMS}/{item['id']}",
        json={"title": "changed while away"},
        headers={"If-Match": read.headers["ETag"]},
    )
    assert changed.status_code == 202, changed.text
    assert changed.headers["Workledger-Source"] == "journal"
    assert changed.headers["Workledger-Journal-Id"]
    assert changed.json()["version"] == item["version"] + 1
    made = await create(rest, "made while away")
    assert made.status_code == 202, made.text
    new_id = made.json()["id"]

    # Visible at once, to the next read.
    assert (await rest.get(f"{WORK_ITEMS}/{item['id']}")).json()["title"] == "changed while away"
    listed = await rest.get(WORK_ITEMS)
    assert listed.headers["Workledger-Source"] == "cache"
    assert {i["title"] for i in listed.json()["items"]} == {"changed while away", "made while away"}
    health = await served.health()
    assert health["status"] == "degraded"
    assert health["source"] == "cache"
    assert health["journal"] == {"pending": 2, "conflicts": 0}

    served.proxy.heal()
    health = await served.replayed()
    assert health["source"] == "database"
    assert health["journal"] == {"pending": 0, "conflicts": 0}
    after = await rest.get(f"{WORK_ITEMS}/{item['id']}")
    assert after.headers["Workledger-Source"] == "database"
    assert after.json()["title"] == "changed while away"
    assert after.json()["version"] == item["version"] + 1
    again = await rest.get(WORK_ITEMS, params={"search": "made while away"})
    assert [i["id"] for i in again.json()["items"]] == [new_id]  # once, with its id
    log = served.server.log()
    assert log.count("database is away") == log.count("database is back") == 1, log
    assert "Traceback" not in log, log


async def test_a_journaled_write_on_a_record_changed_meanwhile_becomes_a_conflict(
    served: Served, container: Container, account: Account, database_url: str, tmp_path: Path
) -> None:
    rest = served.rest
    item = (await create(rest, "contested")).json()
    await served.mirrored()
    served.proxy.refuse()
    await served.noticed()
    journaled = await rest.patch(
        f"{WORK_ITEMS}/{item['id']}", json={"title": "mine"}, headers={"If-Match": '"1"'}
    )
    assert journaled.status_code == 202, journaled.text
    # Meanwhile another process, which still reaches the database, changes it.
    other = account.actor.as_client("other-agent")
    update = WorkItemUpdate.load({"title": "theirs", "version": 1})
    await container.work_items.update(actor=other, item_id=item["id"], data=update)

    served.proxy.heal()
    health = await served.replayed()
    assert health["journal"] == {"pending": 0, "conflicts": 1}
    assert (await rest.get(f"{WORK_ITEMS}/{item['id']}")).json()["title"] == "theirs"
    conflicts = (await rest.get(CONFLICTS)).json()
    assert conflicts["total_count"] == 1
    [conflict] = conflicts["items"]
    assert conflict["record_type"] == "work_item"
    assert conflict["record_id"] == item["id"]
    assert conflict["journal_id"] == journaled.headers["Workledger-Journal-Id"]
    assert conflict["reason"].startswith("version_conflict")
    assert conflict["current"]["title"] == "theirs"
    assert conflict["current"]["updated_by"] == "other-agent"
    assert conflict["change"]["data"]["title"] == "mine"

    # An operator sees it too, from the data directory alone.
    env = server_env(database_url, tmp_path / "serve")
    shown = await asyncio.to_thread(
        subprocess.run,
        [WORKLEDGER, "journal"],
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS,
    )
    assert shown.returncode == 0, shown.stderr
    assert "0 journaled writes wait for the database; 1 conflicts" in shown.stdout
    assert conflict["id"] in shown.stdout
    assert "version_conflict" in shown.stdout

    assert (await rest.delete(f"{CONFLICTS}/{conflict['id']}")).status_code == 204
    assert (await rest.get(CONFLICTS)).json()["total_count"] == 0
    assert (await rest.delete(f"{CONFLICTS}/{conflict['id']}")).status_code == 404


async def test_a_write_made_a_moment_before_the_outage_is_the_base_of_the_next(
    served: Served,
) -> None:
    """The mirror lags the database by up to a copy; what this process wrote meanwhile is
    applied to it before a journaled change is checked against it."""
    rest = served.rest
    await served.copied()
    made = await create(rest, "just before")
    assert made.status_code == 201, made.text  # on the database, not yet in the mirror
    served.proxy.refuse()
    await served.noticed()
    changed = await rest.patch(
        f"{WORK_ITEMS}/{made.json()['id']}",
        json={"title": "during"},
        headers={"If-Match": made.headers["ETag"]},
    )
    assert changed.status_code == 202, changed.text

    served.proxy.heal()
    health = await served.replayed()
    assert health["journal"] == {"pending": 0, "conflicts": 0}
    after = (await rest.get(f"{WORK_ITEMS}/{made.json()['id']}")).json()
    assert (after["title"], after["version"]) == ("during", 2)


async def test_a_journaled_write_a_rule_now_refuses_does_not_block_the_ones_behind_it(
    served: Served, container: Container, account: Account
) -> None:
    rest = served.rest
    parent = (await rest.post(WORK_ITEMS, json={"item_type": "project", "title": "P"})).json()
    await served.mirrored()
    served.proxy.refuse()
    await served.noticed()
    child = {"item_type": "task", "title": "under P", "parent_id": parent["id"]}
    assert (await rest.post(WORK_ITEMS, json=child)).status_code == 202
    assert (await create(rest, "behind it")).status_code == 202
    # Meanwhile another process deletes the parent.
    await container.work_items.delete(actor=account.actor, item_id=parent["id"], version=1)

    served.proxy.heal()
    health = await served.replayed()
    assert health["journal"] == {"pending": 0, "conflicts": 1}
    [conflict] = (await rest.get(CONFLICTS)).json()["items"]
    assert conflict["reason"].startswith("not_found"), conflict
    assert conflict["change"]["data"]["title"] == "under P"
    assert titles_of(await rest.get(WORK_ITEMS)) == ["behind it"]


def titles_of(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return sorted(item["title"] for item in response.json()["items"])


async def test_journaled_writes_survive_kill_9_and_land_once(
    database_url: str, account: Account, tmp_path: Path
) -> None:
    headers = {"Authorization": f"Bearer {account.jwt}"}
    home = tmp_path / "serve"
    titles = [f"journaled {n}" for n in range(5)]
    async with fault_proxy(database_url) as (proxy, proxied_url):
        first = HttpServer(proxied_url, home)
        try:
            await asyncio.to_thread(first.wait_until_up)
            async with httpx.AsyncClient(base_url=first.base_url, headers=headers) as rest:
                served = Served(proxy, first, rest)
                assert (await create(rest, "before")).status_code == 201
                await served.mirrored()
                proxy.refuse()
                await served.noticed()
                for title in titles:
                    assert (await create(rest, title)).status_code == 202
        finally:
            first.process.send_signal(signal.SIGKILL)
            first.process.wait(timeout=15)
        proxy.heal()
        second = HttpServer(proxied_url, home)
        try:
            await asyncio.to_thread(second.wait_until_up)
            async with httpx.AsyncClient(base_url=second.base_url, headers=headers) as rest:
                await Served(proxy, second, rest).replayed()
                listed = (await rest.get(WORK_ITEMS, params={"limit": 100})).json()
        finally:
            await asyncio.to_thread(second.stop)
    assert sorted(i["title"] for i in listed["items"]) == sorted(["before", *titles])


# --- MCP ------------------------------------------------------------------------------------


async def meta_call(
    client: Client, tool: str, **args: Any
) -> tuple[dict[str, Any], CallToolResult]:
    result = await client.call_tool(tool, args)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content, result


def source_of(result: CallToolResult) -> str:
    assert result.meta is not None
    source: str = result.meta["workledger/source"]
    return source


def mirror_synced_at(data_dir: Path) -> datetime | None:
    """When the mirror file in ``data_dir`` was last synced (stdio has no /health to ask)."""
    path = data_dir / "mirror.sqlite3"
    if not path.exists():
        return None
    with contextlib.closing(sqlite3.connect(path)) as conn:
        try:
            row = conn.execute("SELECT synced_at FROM workledger_mirror").fetchone()
        except sqlite3.OperationalError:
            return None  # not made yet
    return None if row is None else datetime.fromisoformat(row[0]).replace(tzinfo=UTC)


@pytest.mark.parametrize("transport", ["http", "stdio"])
async def test_mcp_reads_from_the_mirror_and_journals_writes_in_meta(
    transport: str, database_url: str, account: Account, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    async with contextlib.AsyncExitStack() as stack:
        proxy, proxied_url = await stack.enter_async_context(fault_proxy(database_url))
        if transport == "http":
            server = HttpServer(proxied_url, home)
            stack.callback(server.stop)
            await asyncio.to_thread(server.wait_until_up)
            connecting = server.connect(account.jwt, "fallback-agent", "auto")
        else:
            stdio = StdioServer(env=server_env(proxied_url, home), cwd=home)
            connecting = stdio.connect("fallback-agent", "auto")
        client = await stack.enter_async_context(connecting)
        stack.callback(proxy.heal)

        item, result = await meta_call(client, "create_work_item", item_type="task", title="kept")
        assert source_of(result) == "database"
        assert len(result.content) == 1  # no warning from the database
        created_at = datetime.now(UTC)
        data_dir = home / ".workledger"
        await eventually(
            lambda: _async(_newer(mirror_synced_at(data_dir), created_at)), "the mirror"
        )

        proxy.refuse()
        read, result = await meta_call(client, "query_work_item", id=item["id"])
        assert source_of(result) == "cache"
        assert result.meta is not None
        assert "workledger/as_of" in result.meta
        assert read["title"] == "kept"
        [_, warning] = result.content
        assert warning.type == "text"
        assert "local mirror" in warning.text

        changed, result = await meta_call(
            client, "update_work_item", id=item["id"], title="changed", version=item["version"]
        )
        assert source_of(result) == "journal"
        assert result.meta is not None
        assert result.meta["workledger/journal_id"]
        assert changed["version"] == item["version"] + 1
        read, result = await meta_call(client, "query_work_item", id=item["id"])
        assert read["title"] == "changed"
        if transport == "stdio":  # it acts as the local account, whose the status file is
            status_file = home / ".project_status.md"

            async def rendered() -> bool:
                return status_file.exists() and "changed" in status_file.read_text()

            await eventually(rendered, "the status file to show the journaled write")

        proxy.heal()

        async def replayed() -> bool:
            _, result = await meta_call(client, "query_work_item", id=item["id"])
            return source_of(result) == "database"

        await eventually(replayed, "the replay")
        read, result = await meta_call(client, "query_work_item", id=item["id"])
        assert (read["title"], read["version"]) == ("changed", item["version"] + 1)
        assert len(result.content) == 1
        assert (await call(client, "list_conflicts"))["total_count"] == 0


def _newer(stamp: datetime | None, moment: datetime) -> bool:
    return stamp is not None and stamp > moment


async def _async(value: bool) -> bool:
    return value
