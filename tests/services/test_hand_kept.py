"""Hand-kept status files, one per style people keep them in (tests/fixtures/hand_kept):
each imports, on either database, to what was counted by hand from it.

Beside each ``NAME.md`` is ``NAME.counts.toml``: its records, counted by reading the
file, never by running the importer, so that a reader that misses an entry, or takes a
note for a task, shows here as a wrong figure."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tests.services.test_import import run_import
from workledger.container import Container
from workledger.schemas.common import Actor
from workledger.schemas.deployment import DeploymentListQuery
from workledger.schemas.enhancement import EnhancementListQuery
from workledger.schemas.item_type import ItemType
from workledger.schemas.vendor import VendorStatus
from workledger.schemas.work_item import ItemStatus, WorkItemListQuery, WorkItemSummary
from workledger.services.importer import ImportResult
from workledger.status_file.parser import read_status_file

CORPUS = Path(__file__).parent.parent / "fixtures" / "hand_kept"
FILES = sorted(CORPUS.glob("*.md"))
SIDECAR = ".counts.toml"
# Every figure a sidecar gives, none left out.
FIGURES = (
    "vendors",
    "deployments",
    "enhancements",
    "work_items",
    "completed",
    "blocked",
    "active",
    "children",
    "assigned",
    "tagged",
    "due",
    "vendors_operational",
    "vendors_broken",
)


def counted_by_hand(path: Path) -> dict[str, int]:
    """The figures the sidecar of ``path`` gives."""
    figures: dict[str, int] = tomllib.loads(path.with_suffix(SIDECAR).read_text(encoding="utf-8"))
    return figures


async def every_work_item(container: Container, actor: Actor) -> list[WorkItemSummary]:
    """The ledger's live work items, page by page."""
    items: list[WorkItemSummary] = []
    cursor: str | None = None
    while True:
        query = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = await container.work_items.list(actor=actor, query=WorkItemListQuery.load(query))
        items += page.items
        if not page.has_more:
            return items
        cursor = page.next_cursor


async def held(container: Container, actor: Actor) -> dict[str, int]:
    """What the ledger holds, figure by figure as a sidecar gives them."""
    vendors = (await container.vendors.list(actor=actor)).vendors
    deployments = await container.deployments.list(actor=actor, query=DeploymentListQuery.load({}))
    enhancements = await container.enhancements.list(
        actor=actor, query=EnhancementListQuery.load({})
    )
    items = await every_work_item(container, actor)
    return {
        "vendors": len(vendors),
        "deployments": deployments.total_count,
        "enhancements": enhancements.total_count,
        "work_items": len(items),
        "completed": sum(i.status == ItemStatus.completed for i in items),
        "blocked": sum(i.status == ItemStatus.blocked for i in items),
        "active": sum(i.status == ItemStatus.active for i in items),
        "children": sum(i.parent_id is not None for i in items),
        "assigned": sum(i.assignee is not None for i in items),
        "tagged": sum(bool(i.tags) for i in items),
        "due": sum(i.due_date is not None for i in items),
        "vendors_operational": sum(v.status == VendorStatus.operational for v in vendors),
        "vendors_broken": sum(v.status == VendorStatus.broken for v in vendors),
    }


def why_not_committed(result: ImportResult) -> str:
    """The checks that failed, then every warning, one a line."""
    failed = [
        f"{c.name}: file {c.source}, ledger {c.database} {c.problems}"
        for c in result.checks
        if not c.passed
    ]
    return "\n".join([*failed, *(str(w) for w in result.warnings)])


def test_every_file_has_its_hand_count_and_every_count_its_file() -> None:
    files = {path.name.removesuffix(".md") for path in CORPUS.glob("*.md")}
    sidecars = {path.name.removesuffix(SIDECAR) for path in CORPUS.glob(f"*{SIDECAR}")}

    assert files == sidecars
    assert len(files) >= 12
    for path in FILES:
        figures = counted_by_hand(path)
        assert sorted(figures) == sorted(FIGURES), path.name
        # The figures of one count agree with each other.
        statuses = figures["completed"] + figures["blocked"] + figures["active"]
        assert statuses == figures["work_items"], path.name
        by_status = figures["vendors_operational"] + figures["vendors_broken"]
        assert by_status == figures["vendors"], path.name


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
async def test_a_hand_kept_file_imports_to_what_was_counted_by_hand(
    container: Container, actor: Actor, path: Path
) -> None:
    result = await run_import(container, actor, read_status_file(path))

    assert result.committed, why_not_committed(result)
    assert await held(container, actor) == counted_by_hand(path)
    items = await every_work_item(container, actor)
    assert {i.item_type for i in items} <= {ItemType.task}, [
        (i.item_type, i.title) for i in items if i.item_type != ItemType.task
    ]
