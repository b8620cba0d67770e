"""The status report: its exact text (golden files), determinism, and account isolation.

Run with ``WORKLEDGER_UPDATE_GOLDEN=1`` to rewrite the golden files after an intended
change of the report; then read the diff."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from workledger.container import Container
from workledger.db.change_watcher import NoWatcher
from workledger.models import ids_ending_in
from workledger.schemas.common import Actor
from workledger.schemas.deployment import DeploymentCreate
from workledger.schemas.enhancement import EnhancementCreate
from workledger.schemas.vendor import VendorCreate
from workledger.schemas.work_item import WorkItemCreate, WorkItemRead
from workledger.schemas.work_log import WorkLogCreate
from workledger.services.read_cache import ReadCache
from workledger.services.status import StatusService

GOLDEN = Path(__file__).parent / "golden"
AT = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)

VENDORS: list[dict[str, Any]] = [
    {
        "name": "Acme Bank",
        "test_results": {"passing": 48, "total": 50, "skipped": 2},
        "format_support": {"excel": True, "csv": True},
        "extractor_version": "2.1.0",
        "manifest_compliant": True,
    },
    {
        "name": "Beta Credit, Union",  # a comma in a name
        "status": "broken",
        "test_results": {"passing": 3, "total": 20, "skipped": 0},
        "format_support": {"pdf": True, "ocr": True},
        "extractor_version": "0.9",
    },
    {"name": "Gamma"},  # nothing but a name: formats none, version unknown
]

# (short id, type, title, parent short id, fields)
TREE: list[tuple[str, str, str, str | None, dict[str, Any]]] = [
    ("0000000a", "project", "Ledger v2", None, {"priority": "high"}),
    ("0000000b", "task", "Parser · the sequel", "0000000a", {"status": "blocked"}),
    ("0000000c", "research", "Formats: which ones?", "0000000b", {"priority": "low"}),
    ("0000000d", "task", "Level four", "0000000c", {}),
    ("0000000e", "task", "Level five", "0000000d", {"status": "completed"}),
    (
        "0000000f",
        "session",
        "Session 1",
        "0000000a",
        {"priority": "critical", "assignee": "claude-code"},
    ),
    ("00000010", "task", "Standalone, done", None, {"status": "completed"}),
    ("00000011", "task", "Deleted later", None, {}),
]
# (item, depends on, type)
EDGES = [
    ("0000000b", "0000000f", "depends_on"),
    ("0000000d", "00000010", "blocks"),
    ("0000000d", "0000000f", "depends_on"),
    ("00000010", "00000011", "depends_on"),  # on an item deleted later: not shown
]

# (client, or None for the actor's own; item; what was spent)
WORK_LOG: list[tuple[str | None, str, dict[str, Any]]] = [
    ("claude-code", "0000000f", {"minutes": 90, "tokens": 1_250_000, "cost_usd": 4.125}),
    ("claude-code", "0000000b", {"minutes": 15, "tokens": 30_000, "cost_usd": 0.45}),
    (None, "0000000d", {"minutes": 30}),
    ("night | codex", "0000000c", {"tokens": 5_000, "cost_usd": 0.000125}),  # a pipe in a cell
    ("claude-code", "00000011", {"minutes": 5}),  # on an item deleted later: still spent
]

ENHANCEMENTS: list[dict[str, Any]] = [
    {"title": "OCR everywhere", "priority": "high", "target_quarter": "2027-Q1"},
    {"title": "Faster import", "priority": "critical", "status": "approved"},
    {"title": "Dark mode", "priority": "low", "target_quarter": "2027-Q3"},
    {"title": "Shipped idea", "status": "completed"},  # not pending: not shown
]


async def seed(container: Container, actor: Actor) -> dict[str, WorkItemRead]:
    """A bit of everything the report shows, with fixed ids and times."""
    for vendor in VENDORS:
        await container.vendors.create(actor=actor, data=VendorCreate.load(vendor))
    ids = dict(zip([t[0] for t in TREE], ids_ending_in([t[0] for t in TREE]), strict=True))
    items: dict[str, WorkItemRead] = {}
    for short, item_type, title, parent, fields in TREE:
        data = {"item_type": item_type, "title": title, **fields}
        if parent:
            data["parent_id"] = str(ids[parent])
        items[short] = await container.work_items.create(
            actor=actor, data=WorkItemCreate.load(data), item_id=ids[short]
        )
    for short in {e[0] for e in EDGES}:
        deps = [
            {"depends_on_id": str(ids[t]), "dependency_type": k} for s, t, k in EDGES if s == short
        ]
        items[short] = await _update(container, actor, items[short], dependencies=deps)
    for number in range(1, 13):
        await container.deployments.record(
            actor=actor,
            data=DeploymentCreate.load(
                {
                    "pr_number": 100 + number,
                    "pr_title": f"Change number {number}",
                    "commit_hash": f"{number:02x}" * 20,
                    "deployed_at": (AT - timedelta(days=13 - number, hours=number)).isoformat(),
                    "test_summary": {"unit": 10 * number, "e2e": number} if number % 3 else {},
                    "constitutional_compliance": number % 4 != 0,
                    "vendor_names": ["Acme Bank", "Beta Credit, Union"][: number % 3],
                    "work_item_ids": [str(ids[s]) for s in ("0000000b", "00000011")[: number % 3]],
                }
            ),
        )
    for enhancement in ENHANCEMENTS:
        await container.enhancements.create(actor=actor, data=EnhancementCreate.load(enhancement))
    for client, short, spent in WORK_LOG:
        await container.work_logs.log(
            actor=actor.as_client(client) if client else actor,
            work_item_id=ids[short],
            data=WorkLogCreate.load(spent),
        )
    deleted = items["00000011"]
    await container.work_items.delete(actor=actor, item_id=deleted.id, version=deleted.version)
    return items


async def _update(
    container: Container, actor: Actor, item: WorkItemRead, **fields: Any
) -> WorkItemRead:
    from workledger.schemas.work_item import WorkItemUpdate

    data = WorkItemUpdate.load({"version": item.version, **fields})
    return await container.work_items.update(actor=actor, item_id=item.id, data=data)


def assert_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("WORKLEDGER_UPDATE_GOLDEN"):
        if os.environ.get("CI"):  # CI compares with the committed files, never rewrites them
            pytest.fail(
                "WORKLEDGER_UPDATE_GOLDEN is set under CI: the golden files stay as committed"
            )
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


async def test_the_report_matches_its_golden_file(container: Container, actor: Actor) -> None:
    await seed(container, actor)
    report = await container.status.report(actor=actor, at=AT)
    assert_golden("status_report.md", report.markdown)
    counts = report.counts
    assert (counts.work_items, counts.work_items_completed, counts.work_items_blocked) == (7, 2, 1)
    assert (counts.vendors, counts.vendors_broken, counts.deployments) == (3, 1, 12)
    assert (counts.enhancements_pending, counts.session_prompts) == (3, 1)


async def test_an_empty_account_gets_the_empty_report(container: Container, actor: Actor) -> None:
    report = await container.status.report(actor=actor, at=AT)
    assert_golden("status_report_empty.md", report.markdown)


async def test_two_renders_of_the_same_data_are_identical(
    container: Container, actor: Actor
) -> None:
    await seed(container, actor)
    # Without a read cache, so that both renders really read the database.
    from_database = StatusService(container.db, read_cache=ReadCache(NoWatcher()))
    first = await from_database.report(actor=actor, at=AT)
    second = await from_database.report(actor=actor, at=AT)
    assert first.markdown == second.markdown
    assert (await container.status.report(actor=actor, at=AT)).markdown == first.markdown
    later = await container.status.report(actor=actor)
    assert later.generated_at > AT
    assert later.markdown.replace(f"{later.generated_at:%Y-%m-%d %H:%M:%S}", "") == (
        first.markdown.replace(f"{AT:%Y-%m-%d %H:%M:%S}", "")
    )


async def test_report_holds_nothing_of_another_account(
    container: Container, actor: Actor, other_actor: Actor
) -> None:
    await seed(container, actor)
    report = await container.status.report(actor=other_actor, at=AT)
    for private in ("Acme", "Ledger", "PR #101", "OCR everywhere"):
        assert private not in report.markdown
    assert report.counts.work_items == report.counts.vendors == report.counts.deployments == 0
