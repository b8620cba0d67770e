"""The web pages (docs/reference/web.md) in a real browser, against a real `workledger serve`,
on both databases. What the tests arrange goes through the in-process services; what
they check is what a person sees."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
from playwright.async_api import Browser, Page, Route, expect

from tests.conftest import new_actor
from tests.support.mcp import call
from tests.support.servers import Account, HttpServer, new_account
from tests.web.conftest import LIVE_TIMEOUT_MS, PASSWORD, sign_in
from workledger.container import Container
from workledger.models.work_item import short_id
from workledger.schemas.deployment import DeploymentCreate
from workledger.schemas.enhancement import EnhancementCreate
from workledger.schemas.vendor import VendorCreate
from workledger.schemas.work_item import WorkItemCreate, WorkItemRead, WorkItemUpdate


async def make(
    container: Container, account: Account, title: str, **fields: object
) -> WorkItemRead:
    data = WorkItemCreate.load({"item_type": "task", "title": title, **fields})
    return await container.work_items.create(actor=account.actor, data=data)


def item_url(item: WorkItemRead) -> str:
    return f"/items/{short_id(item.id)}"


async def test_pages_refuse_anonymous_visitors_and_sign_in_leads_back(
    page: Page, person: Account
) -> None:
    for path in ("/", "/items", "/board", "/ready", "/items/0123abcd"):
        await page.goto(path)
        await expect(page).to_have_url(re.compile(rf"/sign-in\?next={re.escape(path)}$"))
        await expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        await expect(page.get_by_role("link", name="Work items")).to_have_count(0)

    await page.get_by_label("Email").fill(person.email)
    await page.get_by_label("Password").fill("not the password")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    await expect(page.get_by_label("Email")).to_have_value(person.email)

    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(re.compile(r"/items/0123abcd$"))  # where it was going
    await expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    await page.get_by_role("link", name="Ready").click()
    await expect(page.get_by_role("heading", name="Ready to work on")).to_be_visible()

    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    await page.goto("/items")
    await expect(page).to_have_url(re.compile(r"/sign-in\?next=/items$"))


async def test_the_overview_shows_counts_vendors_deployments_enhancements_and_ready_work(
    page: Page, container: Container, person: Account
) -> None:
    actor = person.actor
    for name, status in (("Acme", "operational"), ("Zeta", "broken")):
        data = VendorCreate.load(
            {
                "name": name,
                "status": status,
                "test_results": {"passing": 9, "total": 10, "skipped": 1},
                "format_support": {"csv": True},
                "extractor_version": "2.1.0",
                "manifest_compliant": status == "operational",
            }
        )
        await container.vendors.create(actor=actor, data=data)
    shipped = await make(container, person, "Ship the parser")
    await container.deployments.record(
        actor=actor,
        data=DeploymentCreate.load(
            {
                "pr_number": 42,
                "pr_title": "Parser v2",
                "commit_hash": "a" * 40,
                "vendor_names": ["Acme"],
                "work_item_ids": [str(shipped.id)],
            }
        ),
    )
    await container.enhancements.create(
        actor=actor, data=EnhancementCreate.load({"title": "Dark mode", "priority": "high"})
    )
    await make(container, person, "Most urgent", priority="critical")

    await sign_in(page, person)
    counts = page.get_by_role("region", name="Counts")
    await expect(counts).to_contain_text("Work items2")
    await expect(counts).to_contain_text("1 operational, 1 broken")
    vendors = page.get_by_role("region", name="Vendor health").get_by_role("row")
    # Broken first: the header, then Zeta, then Acme.
    await expect(vendors.nth(1)).to_contain_text("Zeta")
    await expect(vendors.nth(1)).to_contain_text("broken")
    await expect(vendors.nth(1)).to_contain_text("9/10 passing, 1 skipped")
    await expect(vendors.nth(2)).to_contain_text("csv")
    await expect(vendors.nth(2)).to_contain_text("2.1.0")
    deployments = page.get_by_role("region", name="Latest deployments")
    await expect(deployments).to_contain_text("PR #42: Parser v2")
    await expect(deployments).to_contain_text("a" * 40)
    await expect(deployments.get_by_role("link", name="Ship the parser")).to_be_visible()
    await expect(page.get_by_role("region", name="Pending enhancements")).to_contain_text(
        "Dark mode"
    )
    ready = page.get_by_role("region", name="Ready to work on").get_by_role("row")
    await expect(ready.nth(1)).to_contain_text("Most urgent")  # critical comes first


async def test_a_change_made_over_mcp_appears_on_an_open_board_within_two_seconds(
    page: Page, http_server: HttpServer, container: Container, person: Account
) -> None:
    first = await make(container, person, "Already there")
    await sign_in(page, person, path="/board")
    active = page.get_by_role("region", name=re.compile("^Active"))
    await expect(active.get_by_role("link", name="Already there")).to_be_visible()

    async with http_server.connect(person.api_token, "agent-a", "auto") as agent:
        await call(agent, "create_work_item", item_type="task", title="Made by an agent")
        await expect(active.get_by_role("link", name="Made by an agent")).to_be_visible(
            timeout=LIVE_TIMEOUT_MS
        )
        await call(agent, "update_work_item", id=str(first.id), version=1, status="completed")
        done = page.get_by_role("region", name=re.compile("^Completed"))
        await expect(done.get_by_role("link", name="Already there")).to_be_visible(
            timeout=LIVE_TIMEOUT_MS
        )
    await expect(active.get_by_role("link", name="Already there")).to_have_count(0)


async def test_a_change_by_another_process_reaches_open_pages(
    page: Page, container: Container, person: Account
) -> None:
    """The test process writes straight to the database: only the database's own change
    signal can tell the server (on PostgreSQL, another server process would be the same)."""
    await sign_in(page, person, path="/items")
    await expect(page.get_by_text("No work items yet")).to_be_visible()
    await make(container, person, "Written elsewhere")
    await expect(page.get_by_role("link", name="Written elsewhere")).to_be_visible(
        timeout=LIVE_TIMEOUT_MS
    )
    await page.get_by_role("link", name="Overview").click()
    await make(container, person, "Also elsewhere", priority="critical")
    ready = page.get_by_role("region", name="Ready to work on").get_by_role("row")
    await expect(ready.nth(1)).to_contain_text("Also elsewhere", timeout=LIVE_TIMEOUT_MS)


async def test_a_change_made_while_a_page_loads_is_not_missed(
    page: Page, container: Container, person: Account
) -> None:
    """The change lands after the page was made but before its change stream connects:
    the stream, told the token the page was made at, reports it at once."""
    released = asyncio.Event()

    async def hold(route: Route) -> None:
        await released.wait()
        await route.continue_()

    await page.route("**/changes*", hold)
    await sign_in(page, person, path="/items")
    await expect(page.get_by_text("No work items yet")).to_be_visible()
    await make(container, person, "Written while loading")
    released.set()
    await expect(page.get_by_role("link", name="Written while loading")).to_be_visible(
        timeout=LIVE_TIMEOUT_MS
    )


async def test_the_pages_work_from_the_keyboard(page: Page, person: Account) -> None:
    await page.goto("/")
    await page.get_by_label("Email").focus()
    await page.keyboard.type(person.email)
    await page.keyboard.press("Tab")
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Project status")).to_be_visible()
    for _ in range(3):  # workledger, Overview, Work items
        await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Work items")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Work items")).to_be_visible()


async def test_an_edit_saved_from_an_items_page(
    page: Page, container: Container, person: Account
) -> None:
    item = await make(container, person, "Write the docs")
    await sign_in(page, person, path=item_url(item))
    await page.get_by_label("Status").select_option("blocked")
    await page.get_by_label("Title").fill("Write the user docs")
    await page.get_by_label("Assignee").fill("alice")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status")).to_have_text("Saved.")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Write the user docs")

    stored = await container.work_items.get(actor=person.actor, item_id=item.id)
    assert (stored.status, stored.title, stored.assignee) == (
        "blocked",
        "Write the user docs",
        "alice",
    )
    assert (stored.updated_by, stored.updated_by_account) == ("web", person.email)
    # Who did it: the person, and the client they did it through.
    await expect(page.locator("#item-head")).to_contain_text(f"changed by {person.email} via web")


async def test_a_stale_edit_is_refused_naming_who_changed_it_and_keeping_the_input(
    page: Page, container: Container, person: Account
) -> None:
    item = await make(container, person, "Pick a name")
    await sign_in(page, person, path=item_url(item))
    await page.get_by_label("Title").fill("My title")
    # Meanwhile an agent changes the item.
    agent = await new_actor(container, person.email, "agent-b")
    data = WorkItemUpdate.load({"version": item.version, "title": "Their title"})
    await container.work_items.update(actor=agent, item_id=item.id, data=data)
    # The page follows (another process's commit), but leaves the form as typed.
    header = page.locator("#item-head")
    await expect(header).to_contain_text(
        f"changed by {person.email} via agent-b", timeout=LIVE_TIMEOUT_MS
    )
    await expect(header.get_by_role("heading", level=1)).to_have_text("Their title")
    await expect(page.get_by_label("Title")).to_have_value("My title")

    await page.get_by_role("button", name="Save").click()
    alert = page.get_by_role("alert")
    await expect(alert).to_contain_text(f"{person.email} via agent-b changed this item")
    await expect(alert.get_by_role("row", name=re.compile("title"))).to_contain_text("My title")
    await expect(alert.get_by_role("row", name=re.compile("title"))).to_contain_text("Their title")
    await expect(page.get_by_label("Title")).to_have_value("My title")  # kept
    stored = await container.work_items.get(actor=person.actor, item_id=item.id)
    assert stored.title == "Their title"  # nothing overwritten

    await page.get_by_role("button", name="Save").click()  # now deliberately, over theirs
    await expect(page.get_by_role("status")).to_have_text("Saved.")
    stored = await container.work_items.get(actor=person.actor, item_id=item.id)
    assert stored.title == "My title"


async def test_an_html_title_is_shown_as_text_and_never_run(
    page: Page, container: Container, person: Account
) -> None:
    title = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'
    item = await make(container, person, title)
    await sign_in(page, person, path="/items")
    await expect(page.get_by_role("link", name=title)).to_be_visible()
    for path in ("/", "/items", "/board", "/ready", item_url(item)):
        await page.goto(path)
        await expect(page.get_by_text(title).first).to_be_visible()
        assert await page.evaluate("window.pwned") is None
        assert await page.locator("main img, main script").count() == 0


async def test_another_accounts_item_answers_404_and_never_appears_in_lists(
    page: Page, container: Container, person: Account
) -> None:
    stranger = await new_account(container, "stranger", password=PASSWORD)
    theirs = await make(container, stranger, "Their secret plan")
    await make(container, person, "My own plan")
    await sign_in(page, person)
    for path in ("/", "/items", "/board", "/ready", "/items?search=plan"):
        await page.goto(path)
        await expect(page.get_by_text("My own plan").first).to_be_visible()
        await expect(page.get_by_text("Their secret plan")).to_have_count(0)
    response = await page.goto(item_url(theirs))
    assert response is not None
    assert response.status == 404
    await expect(page.get_by_text("Their secret plan")).to_have_count(0)


async def test_a_change_without_this_browsers_form_token_is_refused(
    http_server: HttpServer, container: Container, person: Account
) -> None:
    item = await make(container, person, "Untouchable")
    cookies = {"workledger_session": person.jwt, "workledger_csrf": "mine"}
    async with httpx.AsyncClient(base_url=http_server.base_url, cookies=cookies) as http:
        shown = await http.get(item_url(item))
        assert shown.status_code == 200
        policy = shown.headers["content-security-policy"]
        assert "default-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert shown.headers["cache-control"] == "no-store"
        for token in ("", "someone-elses"):
            answer = await http.post(
                item_url(item),
                data={"csrf": token, "version": "1", "title": "Changed", "shown_title": "x"},
            )
            assert answer.status_code == 403
            assert "nothing was changed" in answer.text
        answer = await http.post(
            item_url(item),
            data={"csrf": "mine", "version": "1", "title": "Changed", "shown_title": "x"},
        )
        assert answer.status_code == 303
    stored = await container.work_items.get(actor=person.actor, item_id=item.id)
    assert stored.title == "Changed"


async def test_the_filters_find_items_and_the_tree_nests_them(
    page: Page, container: Container, person: Account
) -> None:
    epic = await make(container, person, "Epic", item_type="project")
    schema = await make(container, person, "Schema", parent_id=str(epic.id), tags=["db"])
    await make(
        container,
        person,
        "API",
        parent_id=str(epic.id),
        dependencies=[{"depends_on_id": str(schema.id)}],
    )
    await sign_in(page, person, path="/items")
    tree = page.locator("ul.tree")
    await expect(tree.locator("details summary").first).to_contain_text("Epic")
    api_row = tree.locator("li", has_text="API").last
    await expect(api_row).to_contain_text("waiting on Schema (active)")
    await expect(api_row.locator(".waiting").get_by_role("link", name="Schema")).to_be_visible()
    await tree.locator("details summary").first.click()  # collapse the project
    await expect(page.get_by_role("link", name="Schema")).to_be_hidden()

    await page.get_by_label("Tag").fill("db")
    await page.get_by_role("button", name="Filter").click()
    rows = page.get_by_role("table").get_by_role("row")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(1)).to_contain_text("Schema")
    await page.get_by_label("Tag").fill("")
    await page.get_by_label("Ready only").check()
    await page.get_by_role("button", name="Filter").click()
    await expect(page.get_by_role("table")).to_contain_text("Schema")
    await expect(page.get_by_role("table")).not_to_contain_text("API")


async def test_pages_fit_a_phone_width_screen(
    page: Page, container: Container, person: Account
) -> None:
    await make(container, person, "A task with a rather long title that has to wrap somewhere")
    await page.set_viewport_size({"width": 390, "height": 844})
    await sign_in(page, person)
    for path in ("/", "/items", "/board", "/ready"):
        await page.goto(path)
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow} px at 390 px"


async def test_sign_in_spends_the_token_routes_rate_budget(
    database_url: str, container: Container, person: Account, tmp_path: Path
) -> None:
    """Ten tries a minute from one address, shared with POST /api/v1/auth/token: a
    password guesser gains nothing by switching doors. (A server of its own, so that the
    other tests keep their budget.)"""
    server = HttpServer(database_url, tmp_path / "limited")
    server.wait_until_up()
    try:
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            form = await http.get("/sign-in")
            csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
            assert csrf is not None
            wrong = {"csrf": csrf[1], "email": person.email, "password": "guess"}
            for _ in range(5):
                answer = await http.post("/sign-in", data=wrong)
                assert answer.status_code == 401
            for _ in range(5):
                answer = await http.post(
                    "/api/v1/auth/token", json={"email": person.email, "password": "guess"}
                )
                assert answer.status_code == 401
            right = {**wrong, "password": PASSWORD}
            refused = await http.post("/sign-in", data=right)
            assert refused.status_code == 429
            assert "Too many attempts" in refused.text
            assert int(refused.headers["Retry-After"]) > 0
            assert "workledger_session" not in refused.cookies
    finally:
        server.stop()


async def test_the_pages_work_without_javascript(
    browser: Browser, http_server: HttpServer, container: Container, person: Account
) -> None:
    item = await make(container, person, "Plain HTML")
    context = await browser.new_context(base_url=http_server.base_url, java_script_enabled=False)
    try:
        page = await context.new_page()
        await page.goto(item_url(item))
        await page.get_by_label("Email").fill(person.email)
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await page.get_by_label("Status").select_option("completed")
        await page.get_by_role("button", name="Save").click()
        await expect(page.get_by_role("status")).to_have_text("Saved.")
        await page.get_by_role("link", name="Board").click()
        done = page.get_by_role("region", name=re.compile("^Completed"))
        await expect(done.get_by_role("link", name="Plain HTML")).to_be_visible()
    finally:
        await context.close()
    stored = await container.work_items.get(actor=person.actor, item_id=item.id)
    assert stored.status == "completed"
