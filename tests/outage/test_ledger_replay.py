"""Journaled writes in a shared ledger, over a real `workledger serve` whose PostgreSQL is
behind a fault proxy (docs/reference/ledgers.md#during-an-outage, outage.md#replay):

1. a writer removed from the ledger while the database was away gets a conflict of that
   ledger, and none of their writes is applied, while the owner's writes are;
2. the same for a writer made a reader meanwhile;
3. each journaled write replays into the ledger it was made in, as its writer, not into
   the writer's default ledger.

Who may do what is changed during the outage by a second process on the real database
(the test's container), not through the proxy, so the change is committed before the
served process can see it. The machine's PostgreSQL keeps running throughout."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import outage
from tests.support.outage import served_behind_proxy
from tests.support.servers import Account, new_account
from workledger.container import Container
from workledger.errors import NotFound
from workledger.schemas.common import Actor, Role
from workledger.schemas.ledger import LedgerCreate
from workledger.schemas.work_item import WorkItemCreate, WorkItemListQuery

pytestmark = pytest.mark.parametrize("backend", ["postgresql"])

TEAM = "/api/v1/ledgers/team"
BEA_AGENT = "bea-agent"
ADA_AGENT = "ada-agent"


@dataclass(frozen=True)
class Team:
    """Ledger ``team``: ada owns it, bea is a member; ``shared`` is a task in it."""

    ada: Account
    bea: Account
    owner: Actor  # ada in team, on the real database
    shared: dict[str, Any]


@pytest.fixture
async def team(container: Container) -> Team:
    ada = await new_account(container, "ada")
    bea = await new_account(container, "bea")
    ada_principal = await container.accounts.principal(ada.email)
    await container.ledgers.create(ada_principal, LedgerCreate.load({"slug": "team"}))
    owner = await container.ledgers.actor(ada_principal, ledger="team", client="setup")
    await container.ledgers.set_member(owner, email=bea.email, role=Role.member)
    shared = await container.work_items.create(
        actor=owner, data=WorkItemCreate.load({"item_type": "task", "title": "shared"})
    )
    return Team(ada, bea, owner, shared.model_dump(mode="json"))


class Served(outage.Served):
    """A served process behind a fault proxy; REST as ada (the client's token) or bea."""

    async def away(self) -> None:
        """Cut the database off, and wait until the server knows it is away."""
        self.proxy.refuse()
        await self.noticed()

    async def back(self) -> dict[str, Any]:
        """Heal; wait until the database answers again and the journal has drained."""
        self.proxy.heal()
        return await self.replayed()

    def log_is_clean(self) -> None:
        log = self.server.log()
        assert "Traceback" not in log, log


@asynccontextmanager
async def served(
    database_url: str, home: Path, account: Account, client: str
) -> AsyncIterator[Served]:
    async with served_behind_proxy(database_url, home, account.jwt) as (proxy, server, rest):
        rest.headers["X-Client-Name"] = client
        serving = Served(proxy, server, rest)
        await serving.copied()
        yield serving


def as_(account: Account, client: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {account.jwt}", "X-Client-Name": client}


def journaled(response: httpx.Response) -> str:
    """The journal id of a write the server took while the database was away."""
    assert response.status_code == 202, response.text
    assert response.headers["Workledger-Source"] == "journal", response.headers
    return response.headers["Workledger-Journal-Id"]


def task(title: str) -> dict[str, str]:
    return {"item_type": "task", "title": title}


async def titles_in(container: Container, actor: Actor) -> list[str]:
    """The work items' titles of ``actor``'s ledger, on the real database."""
    page = await container.work_items.list(actor=actor, query=WorkItemListQuery.load({}))
    return sorted(item.title for item in page.items)


# --- 1 and 2. a writer who lost the right meanwhile ------------------------------------------


@dataclass(frozen=True)
class Lost:
    """The outage in which bea lost her right to write in team, once replayed."""

    serving: Served
    reason: str  # what each of bea's conflicts must say
    bea_update: httpx.Response  # of ``shared``, journaled
    bea_create: httpx.Response  # journaled
    ada_create: httpx.Response  # journaled


@asynccontextmanager
async def bea_loses_team_while_away(
    change: str, database_url: str, container: Container, team: Team, home: Path
) -> AsyncIterator[Lost]:
    """Bea (then ada) writes in team while the database is away; meanwhile ada, on the
    real database, removes bea or makes her a reader; the database comes back and the
    journal is replayed."""
    bea = team.bea
    bea_headers = as_(bea, BEA_AGENT)
    async with served(database_url, home, team.ada, ADA_AGENT) as serving:
        rest = serving.rest
        # Bea works in team while the database answers (the process knows her role there).
        before = await rest.get(f"{TEAM}/work-items", headers=bea_headers)
        assert before.status_code == 200, before.text
        assert before.headers["Workledger-Source"] == "database"

        await serving.away()
        bea_update = await rest.patch(
            f"{TEAM}/work-items/{team.shared['id']}",
            json={"title": "bea's while away"},
            headers={**bea_headers, "If-Match": '"1"'},
        )
        journaled(bea_update)
        bea_create = await rest.post(
            f"{TEAM}/work-items", json=task("bea made while away"), headers=bea_headers
        )
        journaled(bea_create)
        ada_create = await rest.post(f"{TEAM}/work-items", json=task("ada made while away"))
        journaled(ada_create)
        assert (await serving.health())["journal"] == {"pending": 3, "conflicts": 0}

        # Meanwhile, on the real database, ada takes bea's right to write in team away.
        who = f"{bea.email} via {BEA_AGENT}"
        if change == "removed":
            await container.ledgers.remove_member(team.owner, email=bea.email)
            reason = f"forbidden: {who} is no longer a member of this ledger"
        else:
            await container.ledgers.set_member(team.owner, email=bea.email, role=Role.reader)
            reason = f"forbidden: {who} is a reader of this ledger now"

        health = await serving.back()
        assert health["journal"] == {"pending": 0, "conflicts": 2}, health
        yield Lost(serving, reason, bea_update, bea_create, ada_create)


@pytest.mark.parametrize("change", ["removed", "made reader"])
async def test_a_writer_who_lost_the_ledger_during_the_outage_gets_conflicts_not_changes(
    change: str, database_url: str, container: Container, team: Team, tmp_path: Path
) -> None:
    ada, bea, shared = team.ada, team.bea, team.shared
    home = tmp_path / "serve"
    async with bea_loses_team_while_away(change, database_url, container, team, home) as lost:
        rest = lost.serving.rest
        bea_item = lost.bea_create.json()["id"]

        # On the real database: none of bea's writes, ada's one.
        assert await titles_in(container, team.owner) == ["ada made while away", "shared"]
        unchanged = await container.work_items.get(actor=team.owner, item_id=shared["id"])
        assert (unchanged.title, unchanged.version) == ("shared", 1)
        assert unchanged.updated_by_account == ada.email
        with pytest.raises(NotFound):
            await container.work_items.get(actor=team.owner, item_id=bea_item, include_deleted=True)
        ada_item = lost.ada_create.json()["id"]
        made = await container.work_items.get(actor=team.owner, item_id=ada_item)
        assert (made.created_by_account, made.created_by) == (ada.email, ADA_AGENT)

        # The same over REST, from the database.
        listed = await rest.get(f"{TEAM}/work-items")
        assert listed.headers["Workledger-Source"] == "database"
        assert sorted(i["title"] for i in listed.json()["items"]) == [
            "ada made while away",
            "shared",
        ]

        # Both of bea's writes are conflicts of team, saying why.
        answer = await rest.get(f"{TEAM}/conflicts")
        assert answer.status_code == 200, answer.text
        conflicts = answer.json()
        assert conflicts["total_count"] == 2, conflicts
        update_conflict, create_conflict = conflicts["items"]  # oldest first
        assert update_conflict["journal_id"] == lost.bea_update.headers["Workledger-Journal-Id"]
        assert create_conflict["journal_id"] == lost.bea_create.headers["Workledger-Journal-Id"]
        for conflict in conflicts["items"]:
            assert conflict["reason"] == lost.reason, conflict
            assert conflict["actor"] == f"{bea.email} via {BEA_AGENT}"
            assert conflict["record_type"] == "work_item"
        assert update_conflict["record_id"] == shared["id"]
        assert update_conflict["change"]["data"]["title"] == "bea's while away"
        assert create_conflict["record_id"] == bea_item
        assert create_conflict["change"]["data"]["title"] == "bea made while away"
        assert create_conflict["current"] is None  # never made

        # They are team's, not those of ada's or bea's own ledger.
        assert (await rest.get("/api/v1/conflicts")).json()["total_count"] == 0
        bea_headers = as_(bea, BEA_AGENT)
        own = await rest.get("/api/v1/conflicts", headers=bea_headers)
        assert own.status_code == 200, own.text
        assert own.json()["total_count"] == 0
        bea_reads = await rest.get(f"{TEAM}/conflicts", headers=bea_headers)
        if change == "removed":  # not hers: not there
            assert bea_reads.status_code == 404, bea_reads.text
        else:  # a reader reads conflicts
            assert bea_reads.status_code == 200, bea_reads.text
            assert bea_reads.json()["total_count"] == 2
        lost.serving.log_is_clean()


async def test_the_conflict_of_a_writer_who_lost_the_ledger_keeps_the_record_as_it_is_now(
    database_url: str, container: Container, team: Team, tmp_path: Path
) -> None:
    """outage.md#conflicts: a conflict keeps ``current``, the record as it is now, if it
    exists; the refused update's record does (as ada left it)."""
    home = tmp_path / "serve"
    async with bea_loses_team_while_away("removed", database_url, container, team, home) as lost:
        conflicts = (await lost.serving.rest.get(f"{TEAM}/conflicts")).json()
        [refused] = [c for c in conflicts["items"] if c["record_id"] == team.shared["id"]]
        assert refused["reason"] == lost.reason
        current = refused["current"]
        assert current is not None, f"the refused update's conflict lacks the record: {refused}"
        assert (current["id"], current["title"], current["version"]) == (
            team.shared["id"],
            "shared",
            1,
        )


# --- 3. a journaled write keeps its ledger ---------------------------------------------------


async def test_a_journaled_write_replays_into_the_ledger_it_was_made_in(
    database_url: str, container: Container, team: Team, tmp_path: Path
) -> None:
    """Bea writes in team and in her own (default) ledger during the same outage, records
    of the same kind and name in both: each lands where it was made, as hers."""
    bea, shared = team.bea, team.shared
    async with served(database_url, tmp_path / "serve", bea, BEA_AGENT) as serving:
        rest = serving.rest
        assert (await rest.get(f"{TEAM}/work-items")).status_code == 200
        await serving.away()
        in_team = await rest.post(f"{TEAM}/work-items", json=task("made in team"))
        journaled(in_team)
        changed = await rest.patch(
            f"{TEAM}/work-items/{shared['id']}",
            json={"title": "changed in team"},
            headers={"If-Match": '"1"'},
        )
        journaled(changed)
        in_own = await rest.post("/api/v1/work-items", json=task("made in own"))
        journaled(in_own)
        team_vendor = await rest.post(f"{TEAM}/vendors", json={"name": "Acme"})
        journaled(team_vendor)
        own_vendor = await rest.post("/api/v1/vendors", json={"name": "Acme"})
        journaled(own_vendor)
        assert team_vendor.json()["id"] != own_vendor.json()["id"]

        health = await serving.back()
        assert health["journal"] == {"pending": 0, "conflicts": 0}, health

        # On the real database.
        bea_own = await container.ledgers.actor(
            await container.accounts.principal(bea.email), ledger=None, client="check"
        )
        assert bea_own.ledger_id != team.owner.ledger_id
        assert await titles_in(container, team.owner) == ["changed in team", "made in team"]
        assert await titles_in(container, bea_own) == ["made in own"]
        made = await container.work_items.get(actor=team.owner, item_id=in_team.json()["id"])
        assert (made.created_by_account, made.created_by) == (bea.email, BEA_AGENT)
        updated = await container.work_items.get(actor=team.owner, item_id=shared["id"])
        assert (updated.title, updated.version) == ("changed in team", 2)
        assert (updated.updated_by_account, updated.updated_by) == (bea.email, BEA_AGENT)
        assert updated.created_by_account == team.ada.email
        vendor = await container.vendors.get(actor=team.owner, name="Acme")
        assert str(vendor.id) == team_vendor.json()["id"]
        assert vendor.created_by_account == bea.email
        mine = await container.vendors.get(actor=bea_own, name="Acme")
        assert str(mine.id) == own_vendor.json()["id"]

        # Over REST, from the database.
        listed = await rest.get(f"{TEAM}/work-items")
        assert listed.headers["Workledger-Source"] == "database"
        titles = sorted(i["title"] for i in listed.json()["items"])
        assert titles == ["changed in team", "made in team"]
        own = await rest.get("/api/v1/work-items")
        assert sorted(i["title"] for i in own.json()["items"]) == ["made in own"]
        serving.log_is_clean()
