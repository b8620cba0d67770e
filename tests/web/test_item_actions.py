"""Everything a person does to work items on the pages (docs/reference/web.md): create
one, edit every field, delete and restore, a project's children; in a real browser against
a real `workledger serve`, on both databases. What the tests check is what the page shows
and what the ledger then holds."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from tests.support.servers import Account
from tests.web.conftest import sign_in
from workledger.container import Container
from workledger.models.work_item import short_id
from workledger.schemas.common import Actor
from workledger.schemas.work_item import WorkItemCreate, WorkItemListQuery, WorkItemRead


async def make(container: Container, actor: Actor, title: str, **fields: object) -> WorkItemRead:
    data = WorkItemCreate.load({"item_type": "task", "title": title, **fields})
    return await container.work_items.create(actor=actor, data=data)


async def titled(container: Container, actor: Actor, title: str) -> WorkItemRead:
    query = WorkItemListQuery.load({"search": title, "include_deleted": True})
    [found] = (await container.work_items.list(actor=actor, query=query)).items
    return await container.work_items.get(actor=actor, item_id=found.id, include_deleted=True)


async def test_a_person_creates_a_project_and_a_child_from_the_pages(
    page: Page, container: Container, person: Account
) -> None:
    await sign_in(page, person, path="/items")
    await page.get_by_role("link", name="New item").click()
    await page.get_by_label("Type").select_option("project")
    await page.get_by_label("Title").fill("Invoices v2")
    await page.get_by_label("Description").fill("Parse **every** vendor's invoices.")
    await page.get_by_role("button", name="Create").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text("Invoices v2")
    await expect(page.locator("#description strong")).to_have_text("every")
    project = await titled(container, person.actor, "Invoices v2")
    assert (project.item_type, project.description) == (
        "project",
        "Parse **every** vendor's invoices.",
    )
    assert (project.created_by, project.created_by_account) == ("web", person.email)

    await page.get_by_role("link", name="Add a child").click()
    await expect(page.get_by_label("Parent")).to_have_value(short_id(project.id))
    await page.get_by_label("Title").fill("Parse the totals")
    await page.get_by_label("Tags").fill("parser, q1")
    await page.get_by_role("button", name="Create").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Parse the totals")
    child = await titled(container, person.actor, "Parse the totals")
    assert (child.parent_id, child.tags) == (project.id, ["parser", "q1"])

    await page.get_by_role("link", name="Invoices v2").first.click()
    children = page.get_by_role("region", name="Children")
    await expect(children.get_by_role("link", name="Parse the totals")).to_be_visible()


async def test_a_new_item_refused_keeps_what_was_typed(
    page: Page, container: Container, person: Account
) -> None:
    await sign_in(page, person, path="/items/new")
    await page.get_by_label("Title").fill("Orphan")
    await page.get_by_label("Parent").fill("0badc0de")
    await page.get_by_role("button", name="Create").click()

    await expect(page.get_by_role("alert")).to_contain_text("0badc0de")
    await expect(page.get_by_label("Title")).to_have_value("Orphan")
    query = WorkItemListQuery.load({})
    assert (await container.work_items.list(actor=person.actor, query=query)).total_count == 0


async def test_every_field_is_edited_on_an_items_page(
    page: Page, container: Container, person: Account
) -> None:
    project = await make(container, person.actor, "Ledger v2", item_type="project")
    schema = await make(container, person.actor, "Design the schema")
    item = await make(container, person.actor, "Write the migration")
    await sign_in(page, person, path=f"/items/{short_id(item.id)}")

    await page.get_by_label("Due date").fill("2027-01-15")
    await page.get_by_label("Parent").fill(short_id(project.id))
    await page.get_by_role("textbox", name="Dependencies").fill(f"{short_id(schema.id)} (blocks)")
    await page.get_by_label("Description").fill("Up **and** down.")
    await page.get_by_label("Tags").fill("db")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status")).to_have_text("Saved.")

    stored = await container.work_items.get(actor=person.actor, item_id=item.id)
    assert stored.due_date is not None
    assert (stored.due_date.isoformat(), stored.parent_id, stored.tags) == (
        "2027-01-15",
        project.id,
        ["db"],
    )
    assert [(d.depends_on_id, d.dependency_type) for d in stored.dependencies] == [
        (schema.id, "blocks")
    ]
    assert stored.description == "Up **and** down."
    fields = page.get_by_role("region", name="Fields")
    await expect(fields.get_by_role("link", name="Ledger v2")).to_be_visible()
    await expect(fields.locator("#description strong")).to_have_text("and")
    dependencies = page.get_by_role("region", name="Dependencies")
    await expect(dependencies).to_contain_text("blocked by Design the schema")
    await expect(dependencies).not_to_contain_text("depends_on")
    # Nothing changed, nothing sent: the version stays.
    await page.get_by_role("button", name="Save").click()
    assert (await container.work_items.get(actor=person.actor, item_id=item.id)).version == (
        stored.version
    )


async def test_an_item_is_deleted_with_what_is_below_it_and_restored(
    page: Page, container: Container, person: Account
) -> None:
    project = await make(container, person.actor, "Old plan", item_type="project")
    await make(container, person.actor, "Old step", parent_id=str(project.id))
    await sign_in(page, person, path=f"/items/{short_id(project.id)}")

    await page.get_by_role("button", name="Delete").click()
    await expect(page.get_by_role("alert")).to_contain_text("live children")
    assert (await titled(container, person.actor, "Old plan")).deleted_at is None

    await page.get_by_label("with the 1 item below it").check()
    await page.get_by_role("button", name="Delete").click()
    await expect(page.locator("#deletion")).to_contain_text(re.compile("Deleted at"))
    assert (await titled(container, person.actor, "Old step")).deleted_at is not None

    await page.get_by_role("button", name="Restore").click()
    await expect(page.get_by_role("button", name="Delete")).to_be_visible()
    assert (await titled(container, person.actor, "Old plan")).deleted_at is None
    assert (await titled(container, person.actor, "Old step")).deleted_at is None
