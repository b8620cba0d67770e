"""Layers 3 and 4 of the outage reference over a real `workledger serve` whose mirror is too old to
serve (``WORKLEDGER_CACHE_TTL_SECONDS=0``): reads come from the newest committed status
file of a real git repository, else from the file on disk; only the file's account is
served, and nothing is written."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.conftest import new_actor
from tests.support.commands import WORKLEDGER
from tests.support.fault_proxy import FaultProxy
from tests.support.outage import WAIT_SECONDS, eventually, served_behind_proxy
from tests.support.servers import HttpServer, new_account, server_env
from workledger.config import LOCAL_ACCOUNT_EMAIL
from workledger.container import Container
from workledger.schemas.common import Actor
from workledger.schemas.work_item import WorkItemCreate

pytestmark = pytest.mark.parametrize("backend", ["postgresql"])

STALE = {"WORKLEDGER_CACHE_TTL_SECONDS": "0"}  # the mirror never serves


def git(home: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(home), *args], capture_output=True, text=True, check=True, timeout=30
    )
    return done.stdout.strip()


async def report(database_url: str, home: Path) -> None:
    """`workledger report` as a person runs it: writes .project_status.md in ``home``."""
    done = await asyncio.to_thread(
        subprocess.run,
        [WORKLEDGER, "report"],
        cwd=home,
        env=server_env(database_url, home),
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS,
    )
    assert done.returncode == 0, done.stderr


async def add_items(container: Container, actor: Actor, *titles: str) -> None:
    for title in titles:
        data = WorkItemCreate.load({"item_type": "task", "title": title})
        await container.work_items.create(actor=actor, data=data)


class Away:
    """A served process with a stale mirror, behind a fault proxy, in a project folder."""

    def __init__(
        self, proxy: FaultProxy, server: HttpServer, rest: httpx.AsyncClient, home: Path
    ) -> None:
        self.proxy, self.server, self.rest, self.home = proxy, server, rest, home

    async def go_away(self) -> None:
        async def mirrored() -> bool:  # the mirror holds the account, however stale
            return (await self.rest.get("/health")).json()["mirror_synced_at"] is not None

        await eventually(mirrored, "the first copy")
        self.proxy.refuse()

        async def noticed() -> bool:
            return (await self.rest.get("/health")).json()["status"] == "degraded"

        await eventually(noticed, "the outage to be noticed")


@pytest.fixture
async def actor(container: Container) -> Actor:
    """The local account: the one the status file belongs to (no WORKLEDGER_ACCOUNT)."""
    return await new_actor(container, LOCAL_ACCOUNT_EMAIL, "setup")


@pytest.fixture
async def away(
    database_url: str, container: Container, actor: Actor, tmp_path: Path
) -> AsyncIterator[Away]:
    home = tmp_path / "project"
    home.mkdir()
    token = container.accounts.issue_access_token(actor.account_id).access_token
    async with served_behind_proxy(database_url, home, token, env=STALE) as (
        proxy,
        server,
        rest,
    ):
        yield Away(proxy, server, rest, home)


def titles(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return sorted(item["title"] for item in response.json()["items"])


async def test_reads_come_from_the_newest_committed_status_file(
    away: Away, container: Container, actor: Actor, database_url: str
) -> None:
    home, rest = away.home, away.rest
    await add_items(container, actor, "Committed task")
    git(home, "init", "-q")
    git(home, "config", "user.email", "t@example.com")
    git(home, "config", "user.name", "t")
    await report(database_url, home)
    git(home, "add", ".project_status.md")
    git(home, "commit", "-q", "-m", "status")
    committed_at = datetime.fromisoformat(git(home, "log", "-1", "--format=%cI"))
    # A newer report on disk, not committed: the git layer comes first.
    await add_items(container, actor, "Uncommitted task")
    await report(database_url, home)

    await away.go_away()
    listed = await rest.get("/api/v1/work-items")
    assert titles(listed) == ["Committed task"]
    assert listed.headers["Workledger-Source"] == "git"
    assert datetime.fromisoformat(listed.headers["Workledger-As-Of"]) == committed_at
    [item] = listed.json()["items"]
    status = await rest.get("/api/v1/status")
    assert status.status_code == 200
    assert status.headers["Workledger-Source"] == "git"
    assert "Committed task" in status.text
    assert (await rest.get("/health")).json()["source"] == "git"

    # Read-only: a write is refused, and changes nothing.
    write = await rest.post("/api/v1/work-items", json={"item_type": "task", "title": "no"})
    assert write.status_code == 503, write.text
    # Only the file's account: another one's valid token gets 503, not 401.
    other = await new_account(container, "other")
    elsewhere = await rest.get(
        "/api/v1/work-items", headers={"Authorization": f"Bearer {other.jwt}"}
    )
    assert elsewhere.status_code == 503, elsewhere.text

    away.proxy.heal()

    async def back() -> bool:
        return (await rest.get("/api/v1/work-items")).headers["Workledger-Source"] == "database"

    await eventually(back, "the database")
    assert titles(await rest.get("/api/v1/work-items")) == ["Committed task", "Uncommitted task"]
    assert item["id"][-8:] in {
        i["id"][-8:] for i in (await rest.get("/api/v1/work-items")).json()["items"]
    }


async def test_without_git_reads_come_from_the_file_on_disk(
    away: Away, container: Container, actor: Actor, database_url: str
) -> None:
    await add_items(container, actor, "On disk")
    await report(database_url, away.home)
    modified = (away.home / ".project_status.md").stat().st_mtime

    await away.go_away()
    listed = await away.rest.get("/api/v1/work-items")
    assert titles(listed) == ["On disk"]
    assert listed.headers["Workledger-Source"] == "file"
    as_of = datetime.fromisoformat(listed.headers["Workledger-As-Of"])
    assert abs(as_of - datetime.fromtimestamp(modified, UTC)).total_seconds() < 1
    log = away.server.log()
    assert "Traceback" not in log, log
