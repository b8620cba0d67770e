"""The board (docs/reference/web.md#the-board): a card moves to another column by its
"Move to" select or by dragging it there; each column shows its first 50 cards and a
"Show more" link. In a real browser against a real `workledger serve`, on both
databases."""

from __future__ import annotations

from playwright.async_api import Locator, Page, expect

from tests.support.servers import Account
from tests.web.conftest import sign_in
from workledger.container import Container
from workledger.models.work_item import short_id
from workledger.schemas.common import Actor
from workledger.schemas.work_item import WorkItemCreate, WorkItemRead, WorkItemUpdate


async def make(container: Container, actor: Actor, title: str, **fields: object) -> WorkItemRead:
    data = WorkItemCreate.load({"item_type": "task", "title": title, **fields})
    return await container.work_items.create(actor=actor, data=data)


def column(page: Page, name: str) -> Locator:
    return page.get_by_role("region", name=name)


def card(page: Page, item: WorkItemRead) -> Locator:
    return page.locator(f"li.card[data-id='{short_id(item.id)}']")


async def status_of(container: Container, actor: Actor, item: WorkItemRead) -> str:
    return str((await container.work_items.get(actor=actor, item_id=item.id)).status)


async def test_a_card_moves_by_its_move_to_select(
    page: Page, container: Container, person: Account
) -> None:
    item = await make(container, person.actor, "Parse the totals")
    await sign_in(page, person, path="/board")

    await card(page, item).get_by_label("Move to").select_option("blocked")

    await expect(
        column(page, "Blocked").get_by_role("link", name="Parse the totals")
    ).to_be_visible()
    await expect(column(page, "Active").get_by_role("link", name="Parse the totals")).to_have_count(
        0
    )
    assert await status_of(container, person.actor, item) == "blocked"
    stored = await container.work_items.get(actor=person.actor, item_id=item.id)
    assert (stored.updated_by, stored.updated_by_account) == ("web", person.email)


async def test_a_card_dragged_to_another_column_moves_there(
    page: Page, container: Container, person: Account
) -> None:
    item = await make(container, person.actor, "Ship the parser")
    await make(container, person.actor, "Already done", status="completed")
    await sign_in(page, person, path="/board")

    await card(page, item).drag_to(column(page, "Completed").get_by_role("list"))

    await expect(
        column(page, "Completed").get_by_role("link", name="Ship the parser")
    ).to_be_visible()
    assert await status_of(container, person.actor, item) == "completed"


async def test_a_move_made_on_a_stale_board_is_refused_and_shows_the_item_as_it_is(
    page: Page, container: Container, person: Account
) -> None:
    item = await make(container, person.actor, "Contested")
    # Without JavaScript the board stays as rendered: the move goes with its version.
    await page.context.route("**/static/*.js", lambda route: route.abort())
    await sign_in(page, person, path="/board")
    data = WorkItemUpdate.load({"version": item.version, "priority": "high"})
    await container.work_items.update(actor=person.actor, item_id=item.id, data=data)

    moved = card(page, item)
    await moved.get_by_label("Move to").select_option("completed")
    await moved.get_by_role("button", name="Move").click()

    await expect(page.get_by_role("alert")).to_contain_text("nothing moved")
    assert await status_of(container, person.actor, item) == "active"


async def test_each_column_shows_fifty_cards_and_a_show_more_link(
    page: Page, container: Container, person: Account
) -> None:
    items = [
        WorkItemCreate.load({"item_type": "task", "title": f"task {n:03}"}) for n in range(120)
    ]
    await container.work_items.create_many(actor=person.actor, items=items)
    await sign_in(page, person, path="/board")
    active = column(page, "Active")

    await expect(active.locator("li.card")).to_have_count(50)
    await expect(active).to_contain_text("50 of 120 shown")
    await active.get_by_role("link", name="Show more").click()
    await expect(column(page, "Active").locator("li.card")).to_have_count(100)
    await column(page, "Active").get_by_role("link", name="Show more").click()
    await expect(column(page, "Active").locator("li.card")).to_have_count(120)
    await expect(column(page, "Active").get_by_role("link", name="Show more")).to_have_count(0)
