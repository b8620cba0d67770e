"""Claim and release on an item's page (docs/reference/web.md#claims), in a real browser
against a real `workledger serve`, on both databases: what the person sees, and what the
ledger then holds."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.async_api import Browser, Locator, Page, expect

from tests.conftest import new_member
from tests.support.servers import Account, HttpServer, new_account
from tests.web.conftest import PASSWORD, sign_in
from tests.web.test_ledgers import browsing, in_team, shared_ledger
from workledger.container import Container
from workledger.models.work_item import short_id
from workledger.schemas.common import Actor
from workledger.schemas.work_item import WorkItemCreate, WorkItemRead
from workledger.schemas.work_log import WorkLogCreate

# `make screenshots` sets it (to docs/screenshots).
SCREENSHOTS = os.environ.get("WORKLEDGER_SCREENSHOTS")


async def make(container: Container, actor: Actor, title: str, **fields: object) -> WorkItemRead:
    data = WorkItemCreate.load({"item_type": "task", "title": title, **fields})
    return await container.work_items.create(actor=actor, data=data)


def claim_of(page: Page) -> Locator:
    return page.get_by_role("region", name="Claim")


async def stored(container: Container, actor: Actor, item: WorkItemRead) -> WorkItemRead:
    return await container.work_items.get(actor=actor, item_id=item.id)


async def test_a_person_claims_renews_and_releases_an_item_from_its_page(
    page: Page, container: Container, person: Account
) -> None:
    item = await make(container, person.actor, "Parse the invoices")
    await sign_in(page, person, path=f"/items/{short_id(item.id)}")
    claim = claim_of(page)
    await expect(claim).to_contain_text("Nobody holds it.")
    await expect(claim.get_by_role("button", name="Release")).to_have_count(0)

    await claim.get_by_role("button", name="Claim").click()
    await expect(claim).to_contain_text("You hold it until")
    taken = await stored(container, person.actor, item)
    assert (taken.assignee, taken.assignee_account) == ("web", person.email)
    assert taken.claimed_until is not None

    await claim.get_by_role("button", name="Renew the lease").click()
    await expect(claim).to_contain_text("You hold it until")
    renewed = await stored(container, person.actor, item)
    assert renewed.claimed_until is not None
    assert renewed.claimed_until >= taken.claimed_until
    assert renewed.version > taken.version

    await claim.get_by_role("button", name="Release").click()
    await expect(claim).to_contain_text("Nobody holds it.")
    assert (await stored(container, person.actor, item)).assignee is None


async def test_an_agents_claim_shows_who_holds_it_and_only_an_owner_may_release_it(
    page: Page, container: Container, person: Account
) -> None:
    item = await make(container, person.actor, "Rotate the keys")
    agent = await new_member(container, person.actor, "mate@example.com", client="claude-code")
    await container.work_items.claim(actor=agent, item_id=item.id, lease_seconds=600)
    await container.work_logs.log(
        actor=agent,
        work_item_id=item.id,
        data=WorkLogCreate.load({"minutes": 25, "tokens": 48_000, "cost_usd": 1.5}),
    )
    await sign_in(page, person, path=f"/items/{short_id(item.id)}")
    claim = claim_of(page)
    await expect(claim).to_contain_text("Claimed by mate@example.com via claude-code until")
    await expect(claim).to_contain_text("Spent: 25 min, 48,000 tokens, $1.50.")
    # Held by someone else: nothing to claim; the person owns the ledger, so may release.
    await expect(claim.get_by_role("button", name="Claim")).to_have_count(0)
    if SCREENSHOTS:
        await page.screenshot(path=Path(SCREENSHOTS) / "item-claim.png", full_page=True)

    await claim.get_by_role("button", name="Release").click()
    await expect(claim).to_contain_text("Nobody holds it.")
    assert (await stored(container, person.actor, item)).assignee is None


async def test_a_member_sees_a_teammates_running_claim_with_nothing_to_press(
    browser: Browser, http_server: HttpServer, container: Container, person: Account
) -> None:
    mate = await new_account(container, "mate", password=PASSWORD)
    team = await shared_ledger(container, person, **{mate.email: "member"})
    item = await make(container, team.as_client("codex"), "Rotate the keys")
    await container.work_items.claim(actor=team.as_client("codex"), item_id=item.id)

    async with browsing(browser, http_server, mate, in_team(f"/items/{short_id(item.id)}")) as page:
        claim = claim_of(page)
        await expect(claim).to_contain_text(f"Claimed by {person.email} via codex until")
        await expect(claim.get_by_role("button")).to_have_count(0)


async def test_claiming_an_item_that_waits_on_another_says_which_and_changes_nothing(
    page: Page, container: Container, person: Account
) -> None:
    first = await make(container, person.actor, "Design the schema")
    item = await make(
        container,
        person.actor,
        "Write the migration",
        dependencies=[{"depends_on_id": str(first.id)}],
    )
    await sign_in(page, person, path=f"/items/{short_id(item.id)}")
    claim = claim_of(page)
    await claim.get_by_role("button", name="Claim").click()

    alert = claim.get_by_role("alert")
    await expect(alert).to_contain_text("waits on 1 open dependency")
    await expect(alert).to_contain_text(short_id(first.id))
    await expect(claim).to_contain_text("Nobody holds it.")
    assert (await stored(container, person.actor, item)).assignee is None


async def test_the_overview_sums_the_work_log_by_who_logged_it_and_names_the_costliest_items(
    page: Page, container: Container, person: Account
) -> None:
    parser = await make(container, person.actor, "Parse the invoices")
    docs = await make(container, person.actor, "Write the docs")
    await make(container, person.actor, "Nothing spent")
    agent = await new_member(container, person.actor, "mate@example.com", client="claude-code")
    for actor, item, spent in (
        (agent, parser, {"tokens": 1_200_000, "cost_usd": 3.6}),
        (agent, parser, {"minutes": 40, "cost_usd": 0.4}),
        (person.actor, docs, {"minutes": 90}),
    ):
        data = WorkLogCreate.load(spent)
        await container.work_logs.log(actor=actor, work_item_id=item.id, data=data)

    await sign_in(page, person, path="/")
    spend = page.get_by_role("region", name="Spend")
    await expect(spend).to_contain_text(
        "3 work log entries: 130 min, 1,200,000 tokens, $4.00 in all."
    )
    by_who = spend.get_by_role("table", name="By who logged it, the costliest first")
    await expect(by_who.get_by_role("row")).to_have_text(
        [
            "WhoEntriesMinutesTokensCost",
            "mate@example.com via claude-code2401,200,000$4.00",
            f"{person.email} via e2e-setup1900$0.00",
        ]
    )
    costliest = spend.get_by_role("table", name="The items that cost the most")
    await expect(costliest.get_by_role("row")).to_have_text(
        [
            "Work itemSpent",
            "Parse the invoices40 min, 1,200,000 tokens, $4.00",
            "Write the docs90 min",
        ]
    )
    await costliest.get_by_role("link", name="Parse the invoices").click()
    await expect(claim_of(page)).to_contain_text("Spent: 40 min, 1,200,000 tokens, $4.00.")
