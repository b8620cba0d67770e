"""An item's comments and history on its page (docs/reference/web.md#comments-and-history),
and the pages' live stream on the ledger's change feed, in a real browser against a real
`workledger serve`, on both databases. What the tests arrange goes through the
in-process services or REST; what they check is what a person sees."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncGenerator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Locator, Page, expect

from tests.support.outage import WAIT_SECONDS, Served, served_behind_proxy
from tests.support.servers import Account, HttpServer, new_account
from tests.web.conftest import LIVE_TIMEOUT_MS, PASSWORD, sign_in
from tests.web.test_ledgers import TEAM, browsing, in_team, shared_ledger
from workledger.container import Container
from workledger.models.work_item import short_id
from workledger.schemas.common import Actor
from workledger.schemas.history import CommentListQuery
from workledger.schemas.work_item import WorkItemCreate, WorkItemRead, WorkItemUpdate

# `make screenshots` sets it (to docs/screenshots).
SCREENSHOTS = os.environ.get("WORKLEDGER_SCREENSHOTS")
HOSTILE = (
    "<script>window.__pwned = 1</script>\n\n"
    '<img src=x onerror="window.__pwned=1">\n\n'
    "[click me](javascript:window.__pwned=1) and [a fine link](https://example.com)"
)


async def make(container: Container, actor: Actor, title: str) -> WorkItemRead:
    data = WorkItemCreate.load({"item_type": "task", "title": title})
    return await container.work_items.create(actor=actor, data=data)


def item_url(item: WorkItemRead) -> str:
    return f"/items/{short_id(item.id)}"


def comments_of(page: Page) -> Locator:
    return page.get_by_role("region", name="Comments").get_by_role("article")


def history_of(page: Page) -> Locator:
    return page.get_by_role("region", name="History")


async def comment(page: Page, text: str) -> None:
    await page.get_by_role("textbox", name="Comment").fill(text)
    await page.get_by_role("button", name="Add comment").click()


async def stored_comments(container: Container, actor: Actor, item: WorkItemRead) -> list[str]:
    query = CommentListQuery.load({})
    listed = await container.comments.list(actor=actor, work_item_id=item.id, query=query)
    return [c.body for c in listed.items]


async def test_a_comment_typed_on_an_items_page_appears_rendered_with_who_wrote_it(
    page: Page, container: Container, person: Account
) -> None:
    item = await make(container, person.actor, "Review the parser")
    await sign_in(page, person, path=item_url(item))
    await expect(comments_of(page)).to_have_count(0)
    await comment(page, "Looks **good** to me.\n\n- one\n- two")

    shown = comments_of(page)
    await expect(shown).to_have_count(1)
    await expect(shown.locator(".markdown strong")).to_have_text("good")
    await expect(shown.get_by_role("listitem")).to_have_text(["one", "two"])
    await expect(shown).to_contain_text(f"{person.email} via web")
    await expect(shown).not_to_contain_text("**")
    await expect(page.get_by_role("textbox", name="Comment")).to_have_value("")
    assert await stored_comments(container, person.actor, item) == [
        "Looks **good** to me.\n\n- one\n- two"
    ]


async def test_html_and_script_links_in_a_comment_never_run(
    browser: Browser, page: Page, http_server: HttpServer, container: Container, person: Account
) -> None:
    item = await make(container, person.actor, "Hostile input")
    await sign_in(page, person, path=item_url(item))
    await comment(page, HOSTILE)
    # And one written over REST, seen by another member of the ledger too.
    bea = await new_account(container, "bea", password=PASSWORD)
    team = await shared_ledger(container, person, **{bea.email: "member"})
    shared = await make(container, team, "Shared hostile input")
    async with httpx.AsyncClient(base_url=http_server.base_url) as http:
        posted = await http.post(
            f"/api/v1/ledgers/team/work-items/{shared.id}/comments",
            json={"body": HOSTILE},
            headers={"Authorization": f"Bearer {person.api_token}"},
        )
        assert posted.status_code == 201, posted.text

    async def harmless(viewer: Page) -> None:
        shown = comments_of(viewer)
        await expect(shown).to_have_count(1)
        # What was typed is shown as text, and nothing of it is live.
        await expect(shown).to_contain_text("<script>window.__pwned = 1</script>")
        await expect(shown).to_contain_text('<img src=x onerror="window.__pwned=1">')
        assert await viewer.evaluate("typeof window.__pwned") == "undefined"
        main = viewer.locator("main")
        assert await main.locator("script, img, iframe, object, embed").count() == 0
        assert await main.locator("[onerror], [onclick], [onload]").count() == 0
        assert await main.locator('a[href^="javascript:" i]').count() == 0
        link = shown.get_by_role("link", name="a fine link")
        await expect(link).to_have_attribute("href", "https://example.com")
        await expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")
        await expect(shown.get_by_role("link", name="click me")).to_have_count(0)

    await harmless(page)
    await page.reload()
    await harmless(page)
    async with browsing(browser, http_server, bea, in_team(item_url(shared))) as theirs:
        await harmless(theirs)


async def test_the_history_shows_who_did_what_grouped_by_person_and_minute(
    page: Page, http_server: HttpServer, container: Container, person: Account
) -> None:
    item = await make(container, person.actor, "Write the release notes")
    await sign_in(page, person, path=item_url(item))
    history = history_of(page)
    await expect(history.get_by_role("heading", name="History")).to_be_visible()
    created = history.get_by_role("listitem").filter(has_text="created the item").first
    await expect(created).to_contain_text(f"{person.email} via e2e-setup")
    await expect(created).to_contain_text("title: Write the release notes")

    # An agent changes it over REST while the page is open: the history follows.
    async with httpx.AsyncClient(base_url=http_server.base_url) as http:
        changed = await http.patch(
            f"/api/v1/work-items/{item.id}",
            json={"status": "blocked", "description": "waiting on legal " + "x" * 200},
            headers={
                "Authorization": f"Bearer {person.api_token}",
                "X-Client-Name": "claude-code",
                "If-Match": '"1"',
            },
        )
        assert changed.status_code == 200, changed.text
    by_agent = history.get_by_role("listitem").filter(has_text=f"{person.email} via claude-code")
    await expect(by_agent.first).to_contain_text(
        "status: active → blocked", timeout=LIVE_TIMEOUT_MS
    )
    description = by_agent.first.locator(".history-changes li").filter(has_text="description")
    await expect(description).to_contain_text("waiting on legal")
    await expect(description).to_contain_text("…")  # shortened
    await expect(description).not_to_contain_text("x" * 100)

    # The person, on the page.
    await comment(page, "Blocked until **legal** answers.")
    by_web = history.get_by_role("listitem").filter(has_text=f"{person.email} via web")
    await expect(by_web.first).to_contain_text("commented")
    await expect(by_web.first).to_contain_text("Blocked until **legal** answers.")
    # Oldest first: created, then changed, then commented; one header per group.
    whos = history.locator(".history-who")
    await expect(whos).to_have_count(3)
    await expect(whos.nth(0)).to_contain_text("via e2e-setup")
    await expect(whos.nth(1)).to_contain_text("via claude-code")
    await expect(whos.nth(2)).to_contain_text("via web")

    # Deleting one's comment: gone from the list, said in the history.
    await comments_of(page).get_by_role("button", name="Delete").click()
    await expect(comments_of(page)).to_have_count(0)
    await expect(history).to_contain_text("deleted a comment")
    assert await stored_comments(container, person.actor, item) == []


async def test_another_members_open_page_shows_a_new_comment_live_and_a_reader_may_not_add(
    browser: Browser, page: Page, http_server: HttpServer, container: Container, person: Account
) -> None:
    bea = await new_account(container, "bea", password=PASSWORD)
    reader = await new_account(container, "reader", password=PASSWORD)
    team = await shared_ledger(container, person, **{bea.email: "member", reader.email: "reader"})
    item = await make(container, team, "Plan the launch")
    path = in_team(item_url(item))

    async with (
        browsing(browser, http_server, bea, path) as watching,
        browsing(browser, http_server, reader, path) as reading,
    ):
        await expect(comments_of(watching)).to_have_count(0)
        await watching.get_by_role("textbox", name="Comment").fill("half typed")
        await sign_in(page, person, path=path)
        await comment(page, "Launch on **Tuesday**.")
        for viewer in (watching, reading):
            shown = comments_of(viewer)
            await expect(shown).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
            await expect(shown.locator(".markdown strong")).to_have_text("Tuesday")
            await expect(shown).to_contain_text(f"{person.email} via web")
            await expect(history_of(viewer)).to_contain_text("commented")
            # Not theirs: no Delete (the author, or an owner, deletes).
            await expect(shown.get_by_role("button", name="Delete")).to_have_count(0)
        await expect(watching.get_by_role("textbox", name="Comment")).to_have_value("half typed")

        await expect(reading.get_by_role("textbox", name="Comment")).to_be_disabled()
        await expect(reading.get_by_role("button", name="Add comment")).to_be_disabled()
        await expect(reading.get_by_text(f"You are a reader of ledger {TEAM}")).to_be_visible()

    # Sent all the same: refused, said on the page, nothing written.
    cookies = {"workledger_session": reader.jwt, "workledger_csrf": "mine"}
    async with httpx.AsyncClient(base_url=http_server.base_url, cookies=cookies) as http:
        refused = await http.post(f"{path}/comments", data={"csrf": "mine", "body": "let me"})
        assert refused.status_code == 403
        assert "a reader cannot change records" in refused.text
        assert "let me" in refused.text  # what they typed is kept
    assert await stored_comments(container, team, item) == ["Launch on **Tuesday**."]


async def test_an_empty_comment_is_refused_beside_the_form_and_nothing_is_written(
    page: Page, container: Container, person: Account
) -> None:
    item = await make(container, person.actor, "Say something")
    await sign_in(page, person, path=item_url(item))
    form = page.get_by_role("form", name="Add a comment")
    for empty in ("", "   \n  "):
        await comment(page, empty)
        await expect(form.get_by_role("alert")).to_contain_text("Comment:")
        await expect(page.get_by_role("textbox", name="Comment")).to_have_attribute(
            "aria-invalid", "true"
        )
    await expect(comments_of(page)).to_have_count(0)
    await expect(history_of(page)).not_to_contain_text("commented")
    assert await stored_comments(container, person.actor, item) == []
    # Then said properly, from the page the refusal left.
    await comment(page, "Now with words.")
    await expect(comments_of(page)).to_contain_text("Now with words.")
    await expect(page.get_by_role("alert")).to_have_count(0)


async def test_the_change_stream_sends_its_ledgers_events_after_the_seq_asked(
    http_server: HttpServer, container: Container, person: Account
) -> None:
    """The page's stream, as a browser reads it: each event after the page's seq, ``id``
    the seq, none of another ledger's; and resumed after ``Last-Event-ID``."""
    stranger = await new_account(container, "stranger", password=PASSWORD)
    await make(container, person.actor, "One")
    await make(container, person.actor, "Two")
    seq = await container.history.last_seq(actor=person.actor)
    cookies = {"workledger_session": person.jwt}
    async with httpx.AsyncClient(base_url=http_server.base_url, cookies=cookies) as browser:
        shown = await browser.get("/items")
        assert f'/changes?after={seq}"' in shown.text

        async def events(after: int, last: int | None = None) -> AsyncGenerator[dict[str, str]]:
            headers = {"Last-Event-ID": str(last)} if last is not None else {}
            url = f"/changes?after={after}"
            async with browser.stream("GET", url, headers=headers, timeout=30) as answer:
                assert answer.status_code == 200
                assert answer.headers["content-type"].startswith("text/event-stream")
                fields: dict[str, str] = {}
                async for line in answer.aiter_lines():
                    if not line:
                        if "event" in fields:
                            yield fields
                        fields = {}
                    elif not line.startswith(":"):
                        name, _, value = line.partition(":")
                        fields[name] = value.strip()

        stream = events(seq - 1)  # made before the last change: told it at once
        first = await anext(stream)
        await stream.aclose()
        assert (first["event"], first["id"]) == ("ledger-change", str(seq))

        stream = events(0, last=seq)  # reconnecting: after the last one it saw
        waiting = asyncio.ensure_future(anext(stream))
        await make(container, stranger.actor, "Not theirs")
        await make(container, person.actor, "Three")
        told = await waiting
        await stream.aclose()
        assert (told["event"], told["id"]) == ("ledger-change", str(seq + 1))


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_while_the_database_is_away_an_open_item_page_stays_up_and_live(
    browser: Browser, database_url: str, container: Container, tmp_path: Path
) -> None:
    """The feed is read from the database only: while it is away, an open page's stream
    neither breaks nor stops (the page refreshes from the mirror, saying what it cannot
    show), and the page is served; once the database is back, changes reach it again."""
    person = await new_account(container, "away", password=PASSWORD)
    item = await make(container, person.actor, "Outlast the outage")
    async with served_behind_proxy(database_url, tmp_path / "home", person.jwt) as (
        proxy,
        server,
        rest,
    ):
        served = Served(proxy, server, rest)
        await served.copied()
        context = await browser.new_context(base_url=server.base_url)
        try:
            page = await context.new_page()
            await sign_in(page, person, path=item_url(item))
            history = history_of(page)
            await expect(history).to_contain_text("created the item")

            proxy.refuse()
            await expect(history).to_contain_text("cannot be read now", timeout=WAIT_SECONDS * 1000)
            await expect(page.get_by_role("heading", level=1)).to_have_text("Outlast the outage")

            other = await context.new_page()  # a page made during the outage
            answer = await other.goto(item_url(item))
            assert answer is not None
            assert answer.status == 200
            assert answer.headers["workledger-source"] == "cache"
            await expect(other.get_by_role("status")).to_contain_text("the database is away")
            await expect(history_of(other)).to_contain_text("cannot be read now")
            await expect(other.get_by_role("heading", level=1)).to_have_text("Outlast the outage")
            await other.close()

            proxy.heal()
            await served.until(lambda h: h["status"] == "ok", "the database")
            await container.comments.add(
                actor=person.actor, work_item_id=item.id, body="Still **here**."
            )
            await expect(comments_of(page)).to_contain_text(
                "Still here.", timeout=WAIT_SECONDS * 1000
            )
            await expect(history).to_contain_text("commented", timeout=WAIT_SECONDS * 1000)
        finally:
            await context.close()
        assert "Traceback" not in server.log(), server.log_tail()


async def test_a_screenshot_of_an_items_comments_and_history(
    page: Page, container: Container
) -> None:
    """Two people and an agent at work on one item; saved for docs/reference/web.md."""
    person = await new_account(container, "ada", password=PASSWORD)
    bea = await new_account(container, "bea", password=PASSWORD)
    team = await shared_ledger(container, person, **{bea.email: "member"})
    item = await make(container, team, "Ship the CSV importer")
    principal = await container.accounts.principal(bea.email)
    bea_web = await container.ledgers.actor(principal, ledger=TEAM, client="web")
    agent = await container.ledgers.actor(
        await container.accounts.principal(person.email), ledger=TEAM, client="claude-code"
    )
    changed = await container.work_items.update(
        actor=agent,
        item_id=item.id,
        data=WorkItemUpdate.load(
            {"version": 1, "assignee": "claude", "tags": ["importer", "csv"], "priority": "high"}
        ),
    )
    await container.comments.add(
        actor=agent,
        work_item_id=item.id,
        body="Started: the parser handles **quoted fields**; `;` separators still fail.",
    )
    await container.comments.add(
        actor=bea_web,
        work_item_id=item.id,
        body="Two vendors send `;`. See [the sample](https://example.com/sample.csv).",
    )
    await container.work_items.update(
        actor=bea_web,
        item_id=item.id,
        data=WorkItemUpdate.load({"version": changed.version, "status": "blocked"}),
    )
    await sign_in(page, person, path=in_team(item_url(item)))
    await comment(page, "Blocked on the sample files:\n\n1. ask Acme\n2. ask Zeta")
    await expect(comments_of(page)).to_have_count(3)
    await expect(history_of(page).locator(".history-who")).to_have_count(4)
    await expect(history_of(page)).to_contain_text(f"{bea.email} via web")
    if SCREENSHOTS:
        await page.screenshot(path=Path(SCREENSHOTS) / "item-history-comments.png", full_page=True)
    await page.set_viewport_size({"width": 390, "height": 844})  # and on a phone
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the item's page scrolls sideways by {overflow} px at 390 px"


def test_the_markdown_of_a_comment_is_cleaned_by_an_allow_list() -> None:
    """The rendering alone (the browser tests above show it on the page)."""
    from workledger.web.markdown import to_html

    html = str(to_html("# Title\n\n![x](https://example.com/x.png) <b>raw</b>\n\n~~old~~"))
    assert "<h4>Title</h4>" in html  # under the page's own headings
    assert "<img" not in html
    assert "&lt;b&gt;raw&lt;/b&gt;" in html
    assert "<s>old</s>" in html
    assert "href" not in str(to_html("[y](javascript:x) <javascript:x>"))
    assert re.search(r"<a href=\"https://example.com/x.png\" rel=\"noopener", html)
