"""The status report shows what a person needs, and only the account's own data."""

from __future__ import annotations

from workledger.container import Container
from workledger.schemas.common import Actor
from workledger.schemas.deployment import DeploymentCreate
from workledger.schemas.enhancement import EnhancementCreate
from workledger.schemas.status import StatusReport
from workledger.schemas.vendor import VendorCreate
from workledger.schemas.work_item import WorkItemCreate


async def seed(container: Container, actor: Actor) -> None:
    vendor = await container.vendors.create(
        actor=actor,
        data=VendorCreate.load(
            {
                "name": "acme",
                "status": "broken",
                "test_results": {"passing": 7, "total": 10, "skipped": 1},
                "format_support": {"pdf": True},
                "extractor_version": "2.1.0",
            }
        ),
    )
    project = await container.work_items.create(
        actor=actor, data=WorkItemCreate.load({"item_type": "project", "title": "Ledger"})
    )
    task = await container.work_items.create(
        actor=actor,
        data=WorkItemCreate.load(
            {"item_type": "task", "title": "Write importer", "parent_id": str(project.id)}
        ),
    )
    await container.work_items.create(
        actor=actor,
        data=WorkItemCreate.load(
            {"item_type": "task", "title": "Shipped thing", "status": "completed"}
        ),
    )
    await container.deployments.record(
        actor=actor,
        data=DeploymentCreate.load(
            {
                "pr_number": 42,
                "pr_title": "Importer",
                "commit_hash": "b" * 40,
                "vendor_ids": [str(vendor.id)],
                "work_item_ids": [str(task.id)],
                "test_summary": {"unit": 12},
            }
        ),
    )
    await container.enhancements.create(
        actor=actor,
        data=EnhancementCreate.load(
            {"title": "OCR everywhere", "priority": "high", "target_quarter": "2027-Q1"}
        ),
    )
    await container.enhancements.create(
        actor=actor, data=EnhancementCreate.load({"title": "Done idea", "status": "completed"})
    )


def without_timestamp(report: StatusReport) -> str:
    return report.markdown.replace(report.generated_at.strftime("%Y-%m-%d %H:%M:%S"), "")


async def test_report_shows_health_tree_deployments_and_plans(
    container: Container, actor: Actor
) -> None:
    await seed(container, actor)
    report = await container.status.report(actor=actor)
    text = report.markdown
    assert "- **acme**: broken; tests 7/10 passing, 1 skipped; formats pdf; version 2.1.0" in text
    assert "\n- [project] Ledger · active" in text
    assert "\n  - [task] Write importer · active" in text
    assert "Shipped thing" not in text
    assert "PR #42 Importer · `bbbbbbbb` · vendors: acme · work items: Write importer" in text
    assert "- [high] OCR everywhere · planned · 2027-Q1" in text
    assert "Done idea" not in text
    counts = report.counts
    assert (counts.work_items, counts.work_items_completed) == (3, 1)
    assert (counts.vendors_broken, counts.deployments, counts.enhancements_pending) == (1, 1, 1)


async def test_report_holds_nothing_of_another_account(
    container: Container, actor: Actor, other_actor: Actor
) -> None:
    await seed(container, actor)
    report = await container.status.report(actor=other_actor)
    for private in ("acme", "Ledger", "PR #42", "OCR everywhere"):
        assert private not in report.markdown
    assert report.counts.work_items == report.counts.vendors == 0


async def test_two_renders_of_the_same_data_differ_only_in_the_timestamp(
    container: Container, actor: Actor
) -> None:
    await seed(container, actor)
    first = await container.status.report(actor=actor)
    second = await container.status.report(actor=actor)
    assert without_timestamp(first) == without_timestamp(second)
