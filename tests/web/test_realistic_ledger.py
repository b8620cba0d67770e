"""The pages of a ledger as a team keeps one: a few dozen items in projects, two people
and two agents claiming, commenting, logging work and changing things, vendors and
deployments. What each page shows of it is checked; with `make screenshots` the README's
pictures are taken from it (docs/screenshots)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.async_api import Page, expect

from tests.conftest import new_member
from tests.support.servers import Account
from tests.web.conftest import sign_in
from workledger.container import Container
from workledger.models.work_item import short_id
from workledger.schemas.common import Actor
from workledger.schemas.deployment import DeploymentCreate
from workledger.schemas.enhancement import EnhancementCreate
from workledger.schemas.vendor import VendorCreate
from workledger.schemas.work_item import WorkItemCreate, WorkItemRead, WorkItemUpdate
from workledger.schemas.work_log import WorkLogCreate

SCREENSHOTS = os.environ.get("WORKLEDGER_SCREENSHOTS")

# (project, its tasks as (title, status, priority, tags))
PLAN: list[tuple[str, list[tuple[str, str, str, list[str]]]]] = [
    (
        "Statement import v2",
        [
            ("Parse PDF statement tables", "active", "high", ["parser"]),
            ("Detect the statement's currency", "active", "medium", ["parser"]),
            ("Map OCR'd amounts to ledger lines", "blocked", "high", ["ocr"]),
            ("Golden files for 12 banks", "completed", "medium", ["tests"]),
            ("Reject statements older than 7 years", "active", "low", []),
            ("Handle split pages", "active", "medium", ["parser"]),
        ],
    ),
    (
        "Vendor extractors",
        [
            ("Acme Bank: new CSV header", "completed", "high", ["acme"]),
            ("Globex: rate limit the portal", "active", "critical", ["globex"]),
            ("Initech: OCR for scanned letters", "active", "medium", ["ocr"]),
            ("Umbrella: manifest compliance", "blocked", "medium", ["manifest"]),
            ("Retry failed downloads", "active", "low", []),
        ],
    ),
    (
        "Release 2.4",
        [
            ("Changelog and upgrade notes", "active", "medium", ["docs"]),
            ("Migrate staging to PostgreSQL 16", "completed", "high", ["ops"]),
            ("Smoke tests on the release branch", "active", "high", ["tests"]),
            ("Tag and publish the wheel", "active", "medium", ["ops"]),
        ],
    ),
]
# Items of no project, by bea: (title, type, priority); the test fix gets completed.
LOOSE = [
    ("Research: table extraction libraries", "research", "medium"),
    ("Session: plan the Q1 roadmap", "session", "high"),
    ("Fix flaky date parsing test", "task", "low"),
    ("Rotate the portal credentials", "task", "critical"),
]


async def make(container: Container, actor: Actor, title: str, **fields: object) -> WorkItemRead:
    data = WorkItemCreate.load({"item_type": "task", "title": title, **fields})
    return await container.work_items.create(actor=actor, data=data)


async def change(container: Container, actor: Actor, item: WorkItemRead, **fields: object) -> None:
    current = await container.work_items.get(actor=actor, item_id=item.id)
    data = WorkItemUpdate.load({"version": current.version, **fields})
    await container.work_items.update(actor=actor, item_id=item.id, data=data)


async def a_teams_ledger(container: Container, person: Account) -> dict[str, WorkItemRead]:
    """Two people (the person and bea) and two agents (claude-code, codex) at work."""
    ada = person.actor
    bea = await new_member(container, ada, "bea@example.com", client="web")
    claude = ada.as_client("claude-code")
    codex = bea.as_client("codex")
    items: dict[str, WorkItemRead] = {}
    for project, tasks in PLAN:
        parent = await make(container, ada, project, item_type="project", priority="high")
        items[project] = parent
        for title, status, priority, tags in tasks:
            items[title] = await make(
                container,
                ada,
                title,
                parent_id=str(parent.id),
                priority=priority,
                tags=tags,
                status="active" if status == "completed" else status,
            )
    for title, kind, priority in LOOSE:
        items[title] = await make(container, bea, title, item_type=kind, priority=priority)
    await change(
        container,
        ada,
        items["Map OCR'd amounts to ledger lines"],
        dependencies=[{"depends_on_id": str(items["Initech: OCR for scanned letters"].id)}],
        description="Amounts come back from OCR as text: map them **with their currency**.",
        due_date="2027-01-15",
    )
    await change(
        container,
        ada,
        items["Tag and publish the wheel"],
        dependencies=[{"depends_on_id": str(items["Smoke tests on the release branch"].id)}],
    )
    for actor, title in (
        (claude, "Parse PDF statement tables"),
        (codex, "Globex: rate limit the portal"),
        (claude, "Smoke tests on the release branch"),
        (bea, "Changelog and upgrade notes"),
    ):
        await container.work_items.claim(actor=actor, item_id=items[title].id, lease_seconds=3600)
    for title in (
        title for _, tasks in PLAN for title, status, _, _ in tasks if status == "completed"
    ):
        await change(container, ada, items[title], status="completed")
    await change(container, bea, items["Fix flaky date parsing test"], status="completed")
    parser = items["Parse PDF statement tables"]
    for actor, body in (
        (ada, "The Umbrella statements put the totals in a **second table**: keep both."),
        (claude, "Both tables are parsed now; 3 of 12 golden files still differ on rounding."),
        (bea, "Rounding is the bank's: compare to the cent, not below."),
    ):
        await container.comments.add(actor=actor, work_item_id=parser.id, body=body)
    await change(container, claude, parser, priority="critical", tags=["parser", "q1"])
    costs = {"minutes": 95, "tokens": 1_420_000, "cost_usd": 4.26}
    for actor, title, spent in (
        (claude, "Parse PDF statement tables", costs),
        (claude, "Smoke tests on the release branch", {"minutes": 20, "cost_usd": 0.93}),
        (codex, "Globex: rate limit the portal", {"tokens": 640_000, "cost_usd": 1.92}),
        (ada, "Golden files for 12 banks", {"minutes": 120}),
        (bea, "Changelog and upgrade notes", {"minutes": 30}),
    ):
        data = WorkLogCreate.load(spent)
        await container.work_logs.log(actor=actor, work_item_id=items[title].id, data=data)
    for vendor in (
        {"name": "Acme Bank", "test_results": {"passing": 48, "total": 50, "skipped": 2},
         "format_support": {"excel": True, "csv": True}, "extractor_version": "2.1.0",
         "manifest_compliant": True},
        {"name": "Globex", "status": "broken", "test_results": {"passing": 9, "total": 20},
         "format_support": {"pdf": True}, "extractor_version": "0.9.4"},
        {"name": "Initech", "test_results": {"passing": 31, "total": 31},
         "format_support": {"pdf": True, "ocr": True}, "extractor_version": "1.4.0",
         "manifest_compliant": True},
    ):  # fmt: skip
        await container.vendors.create(actor=ada, data=VendorCreate.load(vendor))
    now = datetime.now(UTC)
    for number, (title, done) in enumerate(
        (("Acme CSV header", "Acme Bank: new CSV header"), ("Staging on PostgreSQL 16", None)),
        start=41,
    ):
        await container.deployments.record(
            actor=ada,
            data=DeploymentCreate.load(
                {
                    "pr_number": number,
                    "pr_title": title,
                    "commit_hash": f"{number:02x}" * 20,
                    "deployed_at": (now - timedelta(days=43 - number)).isoformat(),
                    "test_summary": {"unit": 412, "e2e": 38},
                    "constitutional_compliance": True,
                    "vendor_names": ["Acme Bank"] if done else [],
                    "work_item_ids": [str(items[done].id)] if done else [],
                }
            ),
        )
    later = {"title": "Dark mode", "priority": "low", "target_quarter": "2027-Q2"}
    await container.enhancements.create(actor=ada, data=EnhancementCreate.load(later))
    return items


async def test_a_teams_ledger_on_the_overview_the_board_and_an_items_page(
    page: Page, container: Container, person: Account
) -> None:
    items = await a_teams_ledger(container, person)
    await page.set_viewport_size({"width": 1280, "height": 900})
    await sign_in(page, person, path="/")

    spend = page.get_by_role("region", name="Spend")
    await expect(spend).to_contain_text("5 work log entries")
    await expect(spend.get_by_role("row")).to_have_count(1 + 4 + 1 + 5)  # two tables
    await expect(page.get_by_role("region", name="Vendor health")).to_contain_text("Globex")
    if SCREENSHOTS:
        await page.screenshot(path=Path(SCREENSHOTS) / "overview.png", full_page=True)

    await page.get_by_role("link", name="Board").click()
    completed = page.get_by_role("region", name="Completed")
    await expect(completed.locator("li.card")).to_have_count(4)
    await expect(page.get_by_role("region", name="Blocked").locator("li.card")).to_have_count(2)
    if SCREENSHOTS:
        await page.screenshot(path=Path(SCREENSHOTS) / "board.png", full_page=True)

    parser = items["Parse PDF statement tables"]
    await page.goto(f"/items/{short_id(parser.id)}")
    await expect(page.get_by_role("region", name="Comments").get_by_role("article")).to_have_count(
        3
    )
    await expect(page.get_by_role("region", name="Claim")).to_contain_text(
        f"Claimed by {person.email} via claude-code"
    )
    await expect(page.get_by_role("region", name="History")).to_contain_text("claude-code")
    if SCREENSHOTS:
        await page.screenshot(path=Path(SCREENSHOTS) / "item.png", full_page=True)
