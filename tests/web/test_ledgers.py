"""The web pages of a ledger a team shares (docs/reference/web.md#ledgers), in a real
browser against a real `workledger serve`, on both databases: pages under
/ledgers/{ledger}/, the ledger select, the Members page, roles, and who did it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from playwright.async_api import Browser, Page, expect

from tests.support.servers import Account, HttpServer, new_account
from tests.web.conftest import LIVE_TIMEOUT_MS, PASSWORD, sign_in
from workledger.container import Container
from workledger.models.work_item import short_id
from workledger.schemas.common import Actor, Role
from workledger.schemas.ledger import LedgerCreate
from workledger.schemas.work_item import WorkItemCreate, WorkItemRead

TEAM = "team"


async def shared_ledger(container: Container, owner: Account, **roles: str) -> Actor:
    """The ledger ``team``, made by ``owner``, with the accounts of ``roles`` (email →
    role) as members: the owner acting in it."""
    principal = await container.accounts.principal(owner.email)
    await container.ledgers.create(principal, LedgerCreate.load({"slug": TEAM, "name": "The team"}))
    actor = await container.ledgers.actor(principal, ledger=TEAM, client="test-setup")
    for email, role in roles.items():
        await container.ledgers.set_member(actor, email=email, role=Role(role))
    return actor


async def make(container: Container, actor: Actor, title: str) -> WorkItemRead:
    data = WorkItemCreate.load({"item_type": "task", "title": title})
    return await container.work_items.create(actor=actor, data=data)


def in_team(path: str) -> str:
    return f"/ledgers/{TEAM}{path}"


@asynccontextmanager
async def browsing(
    browser: Browser,
    server: HttpServer,
    account: Account,
    path: str = "/",
    *,
    javascript: bool = True,
) -> AsyncIterator[Page]:
    """Another person's browser, signed in as ``account``, at ``path``."""
    context = await browser.new_context(
        base_url=server.base_url,
        viewport={"width": 1280, "height": 800},
        java_script_enabled=javascript,
    )
    try:
        page = await context.new_page()
        await sign_in(page, account, path=path)
        yield page
    finally:
        await context.close()


async def test_a_members_change_in_a_shared_ledger_appears_on_another_members_open_page(
    browser: Browser, page: Page, http_server: HttpServer, container: Container, person: Account
) -> None:
    bea = await new_account(container, "bea", password=PASSWORD)
    team = await shared_ledger(container, person, **{bea.email: "member"})
    item = await make(container, team, "Plan the sprint")
    sid = short_id(item.id)

    async with browsing(browser, http_server, bea, in_team(f"/items/{sid}")) as watching:
        header = watching.locator("#item-head")
        await expect(header.get_by_role("heading", level=1)).to_have_text("Plan the sprint")
        # The person, in their browser, changes the shared item.
        await sign_in(page, person, path=in_team(f"/items/{sid}"))
        await page.get_by_label("Title").fill("Plan the next sprint")
        await page.get_by_role("button", name="Save").click()
        await expect(page).to_have_url(re.compile(rf"/ledgers/{TEAM}/items/{sid}\?saved=1$"))
        await expect(page.get_by_role("status")).to_have_text("Saved.")
        # The other member's open page follows, naming who did it and through what.
        await expect(header.get_by_role("heading", level=1)).to_have_text(
            "Plan the next sprint", timeout=LIVE_TIMEOUT_MS
        )
        await expect(header).to_contain_text(f"changed by {person.email} via web")
        # Links on a ledger's page stay in that ledger.
        await expect(header.get_by_role("link", name="Work items")).to_have_attribute(
            "href", in_team("/items")
        )
        await watching.get_by_role("link", name="Board").click()
        await expect(watching).to_have_url(re.compile(rf"/ledgers/{TEAM}/board$"))
        active = watching.get_by_role("region", name=re.compile("^Active"))
        await expect(active.get_by_role("link", name="Plan the next sprint")).to_have_attribute(
            "href", in_team(f"/items/{sid}")
        )
        await make(container, team, "Added while watching")
        await expect(active.get_by_role("link", name="Added while watching")).to_be_visible(
            timeout=LIVE_TIMEOUT_MS
        )
        # Their own default ledger holds none of it.
        await watching.goto("/board")
        await expect(watching.get_by_role("heading", name="Board")).to_be_visible()
        await expect(watching.get_by_text("Plan the next sprint")).to_have_count(0)

    stored = await container.work_items.get(actor=team, item_id=item.id)
    assert (stored.title, stored.updated_by, stored.updated_by_account) == (
        "Plan the next sprint",
        "web",
        person.email,
    )


async def test_the_ledger_select_goes_to_the_same_page_of_the_ledger_chosen(
    browser: Browser, page: Page, http_server: HttpServer, container: Container, person: Account
) -> None:
    owner = await new_account(container, "owner", password=PASSWORD)
    team = await shared_ledger(container, owner, **{person.email: "member"})
    ours = await make(container, team, "Ours")
    await make(container, person.actor, "Mine")
    own = person.actor.ledger
    assert own is not None

    await sign_in(page, person, path="/items")
    select = page.get_by_label("Ledger")
    await expect(select).to_have_value(own)  # the default ledger's pages
    await expect(page.get_by_role("link", name="Mine")).to_be_visible()
    await select.select_option(TEAM)  # with JavaScript, choosing is enough
    await expect(page).to_have_url(re.compile(rf"/ledgers/{TEAM}/items$"))
    await expect(page.get_by_label("Ledger")).to_have_value(TEAM)
    await expect(page.get_by_role("link", name="Ours")).to_be_visible()
    await expect(page.get_by_role("link", name="Mine")).to_have_count(0)
    await page.get_by_role("link", name="Ready").click()
    await expect(page).to_have_url(re.compile(rf"/ledgers/{TEAM}/ready$"))
    await expect(page.get_by_role("link", name="Ours")).to_be_visible()

    # From an item's page (the item is this ledger's alone): the other's work items.
    await page.goto(in_team(f"/items/{short_id(ours.id)}"))
    await page.get_by_label("Ledger").select_option(own)
    await expect(page).to_have_url(re.compile(rf"/ledgers/{own}/items$"))
    await expect(page.get_by_role("link", name="Mine")).to_be_visible()

    # Without JavaScript, the form's button goes.
    async with browsing(browser, http_server, person, "/board", javascript=False) as plain:
        await plain.get_by_label("Ledger").select_option(TEAM)
        await plain.get_by_role("button", name="Go").click()
        await expect(plain).to_have_url(re.compile(rf"/ledgers/{TEAM}/board$"))
        await expect(plain.get_by_role("link", name="Ours")).to_be_visible()


async def test_an_owner_adds_a_member_on_the_members_page_who_then_sees_the_ledger(
    browser: Browser, page: Page, http_server: HttpServer, container: Container, person: Account
) -> None:
    await shared_ledger(container, person)
    bea = await new_account(container, "bea", password=PASSWORD)

    async with browsing(browser, http_server, bea, in_team("/")) as theirs:
        await expect(theirs.get_by_role("heading", name="Not found")).to_be_visible()
        await expect(theirs.get_by_label("Ledger").locator("option", has_text=TEAM)).to_have_count(
            0
        )

        await sign_in(page, person, path=in_team("/"))
        await page.get_by_role("link", name="Members").click()
        await expect(page).to_have_url(re.compile(rf"/ledgers/{TEAM}/members$"))
        await expect(page.get_by_role("heading", name=f"Members of {TEAM}")).to_be_visible()
        add = page.get_by_role("form", name="Add a member")
        # An email with no account: said beside the form.
        await add.get_by_label("Email").fill("nobody@example.com")
        await add.get_by_role("button", name="Add member").click()
        await expect(page.get_by_role("alert")).to_contain_text(
            "No account has the email nobody@example.com"
        )
        # The last owner cannot step down.
        await page.get_by_label(f"Role of {person.email}").select_option("member")
        await (
            page.get_by_role("row", name=re.compile(re.escape(person.email)))
            .get_by_role("button", name="Change role")
            .click()
        )
        await expect(page.get_by_role("alert")).to_contain_text("would have no owner")

        add = page.get_by_role("form", name="Add a member")
        await add.get_by_label("Email").fill(bea.email)
        await add.get_by_label("Role", exact=True).select_option("member")
        await add.get_by_role("button", name="Add member").click()
        await expect(page.get_by_role("status")).to_have_text("Saved.")
        row = page.get_by_role("row", name=re.compile(re.escape(bea.email)))
        await expect(page.get_by_label(f"Role of {bea.email}")).to_have_value("member")
        await expect(row.get_by_role("button", name="Remove")).to_be_visible()

        # The new member sees the ledger: its pages, and in the select.
        await theirs.goto(in_team("/"))
        await expect(theirs.get_by_role("heading", name="Project status")).to_be_visible()
        await expect(theirs.get_by_label("Ledger")).to_have_value(TEAM)
        await theirs.get_by_role("link", name="Members").click()
        # A member, not an owner: the list only, and a way to leave.
        await expect(
            theirs.get_by_role("row", name=re.compile(re.escape(person.email)))
        ).to_contain_text("owner")
        await expect(theirs.get_by_role("button", name="Add member")).to_have_count(0)
        await expect(theirs.get_by_role("button", name="Remove")).to_have_count(0)
        await expect(theirs.get_by_role("button", name="Leave")).to_have_count(1)

        # Removed, they get 404 there on their very next page.
        await row.get_by_role("button", name="Remove").click()
        await expect(page.get_by_role("status")).to_have_text("Removed.")
        await expect(page.get_by_role("row", name=re.compile(re.escape(bea.email)))).to_have_count(
            0
        )
        response = await theirs.goto(in_team("/members"))
        assert response is not None
        assert response.status == 404
    assert [
        m.email
        for m in await container.ledgers.members(
            await container.ledgers.actor(
                await container.accounts.principal(person.email), ledger=TEAM, client="check"
            )
        )
    ] == [person.email]


async def test_a_ledger_you_are_not_a_member_of_answers_404_like_a_missing_one(
    http_server: HttpServer, container: Container, person: Account
) -> None:
    stranger = await new_account(container, "stranger", password=PASSWORD)
    team = await shared_ledger(container, person)
    item = await make(container, team, "Team secret")
    sid = short_id(item.id)

    def main(html: str) -> str:
        found = re.search(r"<main.*</main>", html, re.S)
        assert found is not None
        return found[0]

    cookies = {"workledger_session": stranger.jwt, "workledger_csrf": "mine"}
    async with httpx.AsyncClient(base_url=http_server.base_url, cookies=cookies) as http:
        for path in ("/", "/items", "/board", "/ready", "/members", f"/items/{sid}", "/changes"):
            theirs = await http.get(in_team(path))
            missing = await http.get(f"/ledgers/no-such-ledger{path}")
            assert theirs.status_code == missing.status_code == 404, path
            assert "Team secret" not in theirs.text
            assert main(theirs.text).replace(TEAM, "X") == main(missing.text).replace(
                "no-such-ledger", "X"
            )
        for path, form in (
            (f"/items/{sid}", {"version": "1", "title": "Taken over", "shown_title": "x"}),
            ("/members", {"email": stranger.email, "role": "owner"}),
        ):
            refused = await http.post(in_team(path), data={"csrf": "mine", **form})
            assert refused.status_code == 404, path
        # Nor is the item there by its id in the stranger's own ledger.
        assert (await http.get(f"/items/{sid}")).status_code == 404
    stored = await container.work_items.get(actor=team, item_id=item.id)
    assert stored.title == "Team secret"
    assert len(await container.ledgers.members(team)) == 1


async def test_a_reader_cannot_save_and_is_told_why(
    browser: Browser, http_server: HttpServer, container: Container, person: Account
) -> None:
    reader = await new_account(container, "reader", password=PASSWORD)
    team = await shared_ledger(container, person, **{reader.email: "reader"})
    item = await make(container, team, "Read me")
    path = in_team(f"/items/{short_id(item.id)}")

    async with browsing(browser, http_server, reader, path) as page:
        await expect(page.get_by_role("heading", level=1)).to_have_text("Read me")
        await expect(page.get_by_role("button", name="Save")).to_be_disabled()
        await expect(page.get_by_text(f"You are a reader of ledger {TEAM}")).to_be_visible()
        await page.get_by_role("link", name="Members").click()
        await expect(
            page.get_by_role("row", name=re.compile(re.escape(reader.email)))
        ).to_contain_text("reader")
        await expect(page.get_by_role("form", name="Add a member")).to_have_count(0)

    # Sent all the same (an old page, a hand-made form): refused, said on the page.
    cookies = {"workledger_session": reader.jwt, "workledger_csrf": "mine"}
    async with httpx.AsyncClient(base_url=http_server.base_url, cookies=cookies) as http:
        answer = await http.post(
            path, data={"csrf": "mine", "version": "1", "title": "Changed", "shown_title": "x"}
        )
        assert answer.status_code == 403
        assert "a reader cannot change records" in answer.text
        assert 'value="Changed"' in answer.text  # what they typed is kept
        answer = await http.post(
            in_team("/members"), data={"csrf": "mine", "email": reader.email, "role": "owner"}
        )
        assert answer.status_code == 403
        assert "a reader cannot manage the ledger" in answer.text
    stored = await container.work_items.get(actor=team, item_id=item.id)
    assert stored.title == "Read me"
