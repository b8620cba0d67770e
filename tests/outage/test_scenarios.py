"""The outage scenarios as a client meets them, over a real `workledger serve` whose
PostgreSQL is behind a fault proxy that is cut (refuse) or frozen (freeze):

1. a valid token is never signed out because storage is slow or away;
2. an answer made while the database cannot confirm it says where it came from;
3. a write goes to the database, or to the journal while the mirror serves, or nowhere;
4. the same over MCP, and on the web pages.

The machine's PostgreSQL keeps running throughout."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp_types import CallToolResult

from tests.conftest import new_actor
from tests.outage.test_status_layers import add_items, git, report
from tests.support.fault_proxy import FaultProxy
from tests.support.outage import eventually, served_behind_proxy
from tests.support.servers import Account, HttpServer, new_account
from workledger.config import LOCAL_ACCOUNT_EMAIL
from workledger.container import Container
from workledger.schemas.common import Actor
from workledger.web.session import SESSION_COOKIE

pytestmark = pytest.mark.parametrize("backend", ["postgresql"])

WORK_ITEMS = "/api/v1/work-items"
FAULTS = ["refuse", "freeze"]
STALE = {"WORKLEDGER_CACHE_TTL_SECONDS": "0"}  # the mirror never serves
PASSWORD = "correct horse battery staple"


def written(item: dict[str, Any]) -> datetime:
    """When the database took ``item``'s latest write."""
    return datetime.fromisoformat(item["updated_at"])


class Away:
    """A served process behind a fault proxy, in a project folder, and a REST client."""

    def __init__(
        self, proxy: FaultProxy, server: HttpServer, rest: httpx.AsyncClient, home: Path
    ) -> None:
        self.proxy, self.server, self.rest, self.home = proxy, server, rest, home

    async def health(self) -> dict[str, Any]:
        answer: dict[str, Any] = (await self.rest.get("/health")).json()
        return answer

    async def copied(self, since: datetime | None = None) -> None:
        """Wait for a copy of the mirror (one started after ``since``). To wait for a
        copy holding a write, ``since`` is the write's own time, never the client's clock
        after the answer: a copy can start between the commit and that moment, and then
        nothing would move the mirror again until its next confirmation, 30 s later. A
        copy started before the commit is followed by another, as the commit moves the
        database's change token."""

        async def done() -> bool:
            synced = (await self.health())["mirror_synced_at"]
            return synced is not None and (since is None or datetime.fromisoformat(synced) > since)

        await eventually(done, "the mirror's copy")

    async def page(self, path: str, token: str) -> httpx.Response:
        """A web page, as a browser signed in with ``token`` asks for it."""
        async with httpx.AsyncClient(
            base_url=self.server.base_url, cookies={SESSION_COOKIE: token}
        ) as browser:
            return await browser.get(path)

    async def titles_once_back(self) -> list[str]:
        """Heal the proxy; once reads come from the database again, the work items' titles."""
        self.proxy.heal()

        async def listed() -> list[list[str]] | None:  # an empty page is an answer too
            answer = await self.rest.get(WORK_ITEMS)
            if answer.headers["Workledger-Source"] != "database":
                return None
            return [sorted(item["title"] for item in answer.json()["items"])]

        [titles] = await eventually(listed, "the database")
        return list(titles)

    def fault(self, kind: str) -> None:
        getattr(self.proxy, kind)()

    def log_is_clean(self) -> None:
        log = self.server.log()
        assert "Traceback" not in log, log


@contextlib.asynccontextmanager
async def away_from(
    database_url: str, home: Path, token: str, env: dict[str, str] | None = None
) -> AsyncIterator[Away]:
    await asyncio.to_thread(home.mkdir, exist_ok=True)
    async with served_behind_proxy(database_url, home, token, env=env) as (proxy, server, rest):
        yield Away(proxy, server, rest, home)


@pytest.fixture
async def account(container: Container) -> Account:
    return await new_account(container, "scenario")


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "storage_unavailable"
    assert int(response.headers["Retry-After"]) > 0


def assert_from_mirror(response: httpx.Response) -> None:
    assert response.headers["Workledger-Source"] == "cache", response.headers
    as_of = datetime.fromisoformat(response.headers["Workledger-As-Of"])
    assert as_of <= datetime.now().astimezone()


def source_of(result: CallToolResult) -> str:
    assert result.meta is not None
    source: str = result.meta["workledger/source"]
    return source


# --- 1. a hung or lost database never signs anyone out -------------------------------------


@pytest.mark.parametrize("fault", FAULTS)
async def test_a_token_newer_than_the_mirror_is_never_refused_as_unknown(
    fault: str, database_url: str, container: Container, account: Account, tmp_path: Path
) -> None:
    """An account made after the mirror's last copy: the mirror cannot know it, so the
    answer is 503, never 401, over REST, MCP and the web pages, for both kinds of token."""
    async with away_from(database_url, tmp_path / "home", account.jwt) as away:
        await away.copied()
        newer = await new_account(container, "newer", password=PASSWORD)
        away.fault(fault)
        for token in (newer.jwt, newer.api_token):
            headers = {"Authorization": f"Bearer {token}"}
            assert_unavailable(await away.rest.get(WORK_ITEMS, headers=headers))
        # Nor is the right password called wrong.
        credentials = {"email": newer.email, "password": PASSWORD}
        assert_unavailable(await away.rest.post("/api/v1/auth/token", json=credentials))
        page = await away.page("/items", newer.jwt)
        assert page.status_code == 503, page.text  # not a redirect to the sign-in page
        async with away.server.connect(newer.jwt, "scenario-agent", "auto") as client:
            result = await client.call_tool("list_work_items", {})
        assert result.is_error
        assert '"error":"storage_unavailable"' in result.content[0].text
        away.log_is_clean()


@pytest.mark.parametrize("fault", FAULTS)
async def test_a_known_token_reads_from_the_mirror_while_the_database_is_away(
    fault: str, database_url: str, account: Account, tmp_path: Path
) -> None:
    async with away_from(database_url, tmp_path / "home", account.jwt) as away:
        item = (await away.rest.post(WORK_ITEMS, json={"item_type": "task", "title": "t"})).json()
        await away.copied(since=written(item))
        away.fault(fault)
        for token in (account.jwt, account.api_token):
            read = await away.rest.get(
                f"{WORK_ITEMS}/{item['id']}", headers={"Authorization": f"Bearer {token}"}
            )
            assert read.status_code == 200, read.text
            assert_from_mirror(read)


# --- 2 and 4. answers made without the database say so --------------------------------------


@pytest.mark.parametrize("fault", FAULTS)
async def test_answers_after_the_database_went_away_come_from_the_mirror_on_every_door(
    fault: str, database_url: str, account: Account, tmp_path: Path
) -> None:
    """Read (and cached by the process) just before the outage; asked again right after
    it began: from the mirror, saying so, with its as-of time. An item made a moment
    before the outage, not yet in the mirror's copy, is read back too (not a 404)."""
    async with away_from(database_url, tmp_path / "home", account.jwt) as away:
        rest = away.rest
        kept = (await rest.post(WORK_ITEMS, json={"item_type": "task", "title": "kept"})).json()
        await away.copied(since=written(kept))
        latest = await rest.post(WORK_ITEMS, json={"item_type": "task", "title": "latest"})
        assert latest.status_code == 201, latest.text
        async with away.server.connect(account.jwt, "scenario-agent", "auto") as client:
            for _ in range(2):  # the second read is the process's read cache
                assert (await rest.get(f"{WORK_ITEMS}/{kept['id']}")).status_code == 200
                before = await client.call_tool("list_work_items", {})
                assert source_of(before) == "database"
            away.fault(fault)

            for item in (kept, latest.json()):
                read = await rest.get(f"{WORK_ITEMS}/{item['id']}")
                assert read.status_code == 200, read.text
                assert_from_mirror(read)
                assert read.json()["title"] == item["title"]
            missing = await rest.get(f"{WORK_ITEMS}/{uuid.uuid4()}")
            assert missing.status_code == 404, missing.text
            assert_from_mirror(missing)  # the mirror does not have it: not the database's word
            listed = await client.call_tool("list_work_items", {})
            assert not listed.is_error, listed.content
            assert source_of(listed) == "cache"
            assert listed.meta is not None
            assert "workledger/as_of" in listed.meta
            assert listed.structured_content is not None
            titles = {i["title"] for i in listed.structured_content["items"]}
            assert titles == {"kept", "latest"}
            assert "local mirror" in listed.content[-1].text

            page = await away.page("/items", account.jwt)
            assert page.status_code == 200, page.text
            assert page.headers["Workledger-Source"] == "cache"
            assert "the database is away; this answer comes from the local mirror" in page.text
            assert "latest" in page.text

            away.proxy.heal()

            async def back() -> bool:
                return source_of(await client.call_tool("list_work_items", {})) == "database"

            await eventually(back, "the database")
        again = await rest.get(f"{WORK_ITEMS}/{kept['id']}")
        assert again.headers["Workledger-Source"] == "database"
        assert "Workledger-As-Of" not in again.headers
        away.log_is_clean()


# --- 3. a write goes where it is safe, or nowhere --------------------------------------------


@pytest.fixture
async def local(container: Container) -> Actor:
    """The local account: the one the status file belongs to."""
    return await new_actor(container, LOCAL_ACCOUNT_EMAIL, "setup")


async def keep_status_file(database_url: str, home: Path, *, committed: bool) -> None:
    await asyncio.to_thread(home.mkdir, exist_ok=True)
    if committed:
        git(home, "init", "-q")
        git(home, "config", "user.email", "t@example.com")
        git(home, "config", "user.name", "t")
    await report(database_url, home)
    if committed:
        git(home, "add", ".project_status.md")
        git(home, "commit", "-q", "-m", "status")


def mirror_titles(home: Path) -> set[str]:
    with contextlib.closing(sqlite3.connect(home / ".workledger" / "mirror.sqlite3")) as conn:
        return {row[0] for row in conn.execute("SELECT title FROM work_items")}


@pytest.mark.parametrize(
    ("layers", "reads_from"),
    [("stale mirror, git", "git"), ("stale mirror, file", "file"), ("stale mirror", None)],
)
@pytest.mark.parametrize("fault", FAULTS)
async def test_without_a_serving_mirror_a_write_is_refused_and_stored_nowhere(
    layers: str,
    reads_from: str | None,
    fault: str,
    database_url: str,
    container: Container,
    local: Actor,
    tmp_path: Path,
) -> None:
    home = tmp_path / "project"
    await add_items(container, local, "Before")
    if reads_from is not None:
        await keep_status_file(database_url, home, committed=reads_from == "git")
    token = container.accounts.issue_access_token(local.account_id).access_token
    async with away_from(database_url, home, token, env=STALE) as away:
        await away.copied()
        away.fault(fault)
        listed = await away.rest.get(WORK_ITEMS)
        if reads_from is None:
            assert_unavailable(listed)
        else:
            assert listed.status_code == 200, listed.text
            assert listed.headers["Workledger-Source"] == reads_from

        for _ in range(2):  # before and after the outage is known
            write = await away.rest.post(WORK_ITEMS, json={"item_type": "task", "title": "No"})
            assert_unavailable(write)
        assert (await away.health())["journal"] == {"pending": 0, "conflicts": 0}
        assert "No" not in mirror_titles(home)

        assert await away.titles_once_back() == ["Before"]
        away.log_is_clean()
    if reads_from == "git":  # the status file stayed as it was committed
        assert git(home, "status", "--porcelain", ".project_status.md") == ""


async def test_connections_that_outlive_the_outage_take_no_writes(
    database_url: str, container: Container, local: Actor, tmp_path: Path
) -> None:
    """New connections refused, pooled ones still answering (a server shutting down lets
    its open sessions finish): reads come from the status file, and a write is refused
    rather than sent down an old connection, where later reads would not show it."""
    home = tmp_path / "project"
    await add_items(container, local, "Before")
    await keep_status_file(database_url, home, committed=True)
    token = container.accounts.issue_access_token(local.account_id).access_token
    async with away_from(database_url, home, token, env=STALE) as away:
        await away.copied()
        await asyncio.gather(*(away.rest.get(WORK_ITEMS) for _ in range(8)))  # pooled
        away.proxy.refuse_new()
        # The database still answers on an open connection: this write is taken, and the
        # copy it sets off cannot connect.
        taken = await away.rest.post(WORK_ITEMS, json={"item_type": "task", "title": "Taken"})
        assert taken.status_code == 201, taken.text

        async def from_git() -> bool:
            return (await away.rest.get(WORK_ITEMS)).headers["Workledger-Source"] == "git"

        await eventually(from_git, "reads from the status file")
        health = await away.health()  # its own ping, down an open connection, proves nothing
        assert (health["status"], health["source"]) == ("degraded", "git"), health
        for _ in range(5):
            write = await away.rest.post(WORK_ITEMS, json={"item_type": "task", "title": "No"})
            assert_unavailable(write)
            read = await away.rest.get(WORK_ITEMS)
            assert read.headers["Workledger-Source"] == "git", read.headers

        assert await away.titles_once_back() == ["Before", "Taken"]
        away.log_is_clean()


@pytest.mark.parametrize("fault", FAULTS)
async def test_with_a_serving_mirror_a_write_is_journaled_and_lands_once(
    fault: str, database_url: str, account: Account, tmp_path: Path
) -> None:
    async with away_from(database_url, tmp_path / "home", account.jwt) as away:
        made = await away.rest.post(WORK_ITEMS, json={"item_type": "task", "title": "Up"})
        assert made.status_code == 201, made.text
        assert made.headers["Workledger-Source"] == "database"
        await away.copied(since=written(made.json()))
        away.fault(fault)
        for _ in range(2):  # before and after the outage is known
            journaled = await away.rest.post(WORK_ITEMS, json={"item_type": "task", "title": "J"})
            assert journaled.status_code in (202, 503), journaled.text
            if journaled.status_code == 202:
                break
        assert journaled.status_code == 202, journaled.text
        assert journaled.headers["Workledger-Source"] == "journal"
        assert (await away.health())["journal"]["pending"] == 1
        away.proxy.heal()

        async def replayed() -> bool:
            health = await away.health()
            return health["status"] == "ok" and health["journal"]["pending"] == 0

        await eventually(replayed, "the replay")
        titles = sorted(i["title"] for i in (await away.rest.get(WORK_ITEMS)).json()["items"])
        assert titles == ["J", "Up"]
        away.log_is_clean()
