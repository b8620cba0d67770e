"""Importing a status file: the report round trip, the legacy file, reconciliation, rollback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.services.test_status import AT, seed
from workledger.container import Container
from workledger.errors import Conflict
from workledger.schemas.common import Actor
from workledger.schemas.deployment import DeploymentListQuery
from workledger.schemas.enhancement import EnhancementListQuery
from workledger.schemas.work_item import WorkItemCreate, WorkItemListQuery
from workledger.services.importer import ImportResult
from workledger.status_file.document import StatusDocument
from workledger.status_file.parser import parse_status_file, read_status_file

LEGACY = Path(__file__).parent.parent / "fixtures" / "legacy"
CHECKS = [
    "vendor count",
    "deployment history (every PR)",
    "enhancement count",
    "session prompt count",
    "vendor metadata completeness",
]


async def run_import(
    container: Container, actor: Actor, document: StatusDocument, *, dry_run: bool = False
) -> ImportResult:
    return await container.importer.run(actor=actor, document=document, dry_run=dry_run)


def legacy(name: str = "project_status.md", *, sessions: bool = False) -> StatusDocument:
    return read_status_file(LEGACY / name, sessions=LEGACY / "sessions" if sessions else None)


def outcome(result: ImportResult) -> dict[str, tuple[int, int, bool]]:
    return {c.name: (c.source, c.database, c.passed) for c in result.checks}


async def holdings(container: Container, actor: Actor) -> tuple[int, int, int, int]:
    """(vendors, work items incl. deleted, deployments, enhancements) of the account."""
    vendors = await container.vendors.list(actor=actor)
    items = await container.work_items.list(
        actor=actor, query=WorkItemListQuery.load({"include_deleted": True})
    )
    deployments = await container.deployments.list(actor=actor, query=DeploymentListQuery.load({}))
    enhancements = await container.enhancements.list(
        actor=actor, query=EnhancementListQuery.load({})
    )
    return (
        len(vendors.vendors),
        items.total_count,
        deployments.total_count,
        enhancements.total_count,
    )


def cut_spend(report: str) -> tuple[str, str]:
    """The report without its Spend section, and that section."""
    start = report.index("## Spend\n")
    end = report.index("## ", start + 1)
    return report[:start] + report[end:], report[start:end]


async def test_report_import_report_gives_the_same_document(
    container: Container, actor: Actor, other_actor: Actor
) -> None:
    await seed(container, actor)
    exported = (await container.status.report(actor=actor, at=AT)).markdown

    result = await run_import(
        container, other_actor, parse_status_file(exported, source="exported.md")
    )

    assert [c.name for c in result.checks] == [*CHECKS, "work item count"]
    assert result.committed, result.checks
    assert outcome(result)["work item count"] == (7, 7, True)
    assert result.warnings == []
    reexported = (await container.status.report(actor=other_actor, at=AT)).markdown
    exported_rest, exported_spend = cut_spend(exported)
    rest, spend = cut_spend(reexported)
    assert rest == exported_rest  # what was spent on each item, and by whom, included
    # Who logged what is carried over by each item's "spent by" line; only what was
    # logged on an item deleted since (5 min by claude-code) is in no item's line.
    assert "| alice@example.com via claude-code | 3 | 110 | 1,280,000 | $4.575 |" in exported_spend
    assert spend == (
        "## Spend\n\n"
        "What the work log holds, by who logged it: 4 entries, 135 min, 1,285,000 tokens, "
        "$4.575125 in all.\n\n"
        "| Who | Entries | Minutes | Tokens | Cost |\n"
        "| --- | ---: | ---: | ---: | ---: |\n"
        "| alice@example.com via claude-code | 2 | 105 | 1,280,000 | $4.575 |\n"
        "| alice@example.com via night \\| codex | 1 | 0 | 5,000 | $0.000125 |\n"
        "| alice@example.com via test-client | 1 | 30 | 0 | $0.00 |\n\n"
    )
    items = await container.work_items.list(actor=other_actor, query=WorkItemListQuery.load({}))
    assert {(i.version, i.title) for i in items.items if i.title == "Ledger v2"} == {
        (1, "Ledger v2")
    }
    imported = await container.work_items.get(actor=other_actor, item_id=items.items[0].id)
    assert imported.created_by == "migration"


async def test_the_legacy_file_imports_with_every_check_green(
    container: Container, actor: Actor
) -> None:
    result = await run_import(container, actor, legacy(sessions=True))

    assert result.committed, [c for c in result.checks if not c.passed]
    assert outcome(result) == {
        "vendor count": (45, 45, True),
        "deployment history (every PR)": (12, 12, True),
        "enhancement count": (8, 8, True),
        "session prompt count": (25, 25, True),
        "vendor metadata completeness": (45, 45, True),
    }
    assert await holdings(container, actor) == (45, 25, 12, 8)
    sessions = await container.work_items.list(
        actor=actor, query=WorkItemListQuery.load({"item_type": "session", "limit": 100})
    )
    session = await container.work_items.get(actor=actor, item_id=sessions.items[0].id)
    assert session.created_by == "migration"
    assert session.metadata is not None
    assert "schema_version" in session.metadata["yaml_frontmatter"]
    deployments = await container.deployments.list(
        actor=actor, query=DeploymentListQuery.load({"limit": 100})
    )
    assert all(d.affected_vendors for d in deployments.items)


async def test_a_failed_check_rolls_everything_back_and_says_why(
    container: Container, actor: Actor
) -> None:
    result = await run_import(container, actor, legacy("project_status_corrupted.md"))

    assert not result.committed
    failed = {c.name: c for c in result.checks if not c.passed}
    assert list(failed) == ["session prompt count", "vendor metadata completeness"]
    # The prompt whose YAML does not parse still counts in the file: its check names it.
    assert (failed["session prompt count"].source, failed["session prompt count"].database) == (
        10,
        9,
    )
    assert failed["session prompt count"].problems == ["line 313: session prompt not read"]
    assert failed["vendor metadata completeness"].problems == [
        "line 67: Zeta Bank: the file gives no status, tests, formats, version, manifest"
    ]
    assert any("project_status_corrupted.md:" in str(w) for w in result.warnings)
    assert await holdings(container, actor) == (0, 0, 0, 0)


async def test_a_dry_run_checks_everything_and_keeps_nothing(
    container: Container, actor: Actor
) -> None:
    result = await run_import(container, actor, legacy(sessions=True), dry_run=True)

    assert result.passed
    assert not result.committed
    assert result.created["vendors"] == 45
    assert await holdings(container, actor) == (0, 0, 0, 0)


async def test_an_entry_a_rule_refuses_is_skipped_and_fails_its_check(
    container: Container, actor: Actor
) -> None:
    document = legacy()
    document.enhancements[0].title = "x" * 201  # over the 200-character limit

    result = await run_import(container, actor, document)

    assert outcome(result)["enhancement count"] == (8, 7, False)
    skipped = [w for w in result.warnings if "skipped" in w.message]
    assert len(skipped) == 1
    assert skipped[0].line == document.enhancements[0].line
    assert await holdings(container, actor) == (0, 0, 0, 0)


async def test_an_account_that_holds_records_is_refused(container: Container, actor: Actor) -> None:
    await container.work_items.create(
        actor=actor, data=WorkItemCreate.load({"item_type": "task", "title": "already here"})
    )
    with pytest.raises(Conflict, match="already holds records"):
        await run_import(container, actor, legacy())
    assert await holdings(container, actor) == (0, 1, 0, 0)


HAND_EDITED = """# Project status

## Active work items

- [project] Parent · active · high · `000000aa` · depends on `000000bb`
  - [task] Child · blocked · medium · `000000bb`
- [task] Loose · active · low · `000000cc` · depends on `0000dead`
- [task] Twin · active · low · `000000cc`
"""


async def test_a_hand_edited_tree_imports_what_it_can_and_says_what_it_could_not(
    container: Container, actor: Actor
) -> None:
    result = await run_import(container, actor, parse_status_file(HAND_EDITED, source="s.md"))

    assert result.committed
    assert sorted((w.line, w.message) for w in result.warnings) == [
        (7, "dependency on `0000dead` dropped: that item was not imported"),
        (8, "skipped: short id `000000cc` is listed twice"),
    ]
    items = await container.work_items.list(actor=actor, query=WorkItemListQuery.load({}))
    by_title = {i.title: i for i in items.items}
    assert sorted(by_title) == ["Child", "Loose", "Parent"]
    assert {t: i.id.hex[-8:] for t, i in by_title.items()} == {
        "Parent": "000000aa",
        "Child": "000000bb",
        "Loose": "000000cc",
    }
    parent = await container.work_items.get(actor=actor, item_id=by_title["Parent"].id)
    # A parent that depends on its own child leaves no creation order: linked afterwards.
    assert [d.depends_on_id for d in parent.dependencies] == [by_title["Child"].id]
    assert by_title["Child"].status == "blocked"


async def test_session_counts_are_read_as_people_write_them_in_yaml(
    container: Container, actor: Actor
) -> None:
    """Quoted, with a decimal point, or left empty: a count in a prompt's frontmatter is
    taken as the number it says, or left out (issue 16 made metadata strict)."""
    prompts = "\n".join(
        f"---\nschema_version: 1\ntitle: {title}\ntoken_budget: {budget}\nprompts_count: {count}"
        f"\n---\nThe prompt.\n"
        for title, budget, count in [("Quoted", '"8000"', ""), ("Decimal", "9000.0", "2")]
    )
    document = parse_status_file(f"# Status\n\n## Session prompts\n\n{prompts}", source="x.md")
    result = await run_import(container, actor, document)
    assert result.committed, [c for c in result.checks if not c.passed]
    listed = await container.work_items.list(
        actor=actor, query=WorkItemListQuery.load({"item_type": "session"})
    )
    found = {}
    for brief in listed.items:
        session = await container.work_items.get(actor=actor, item_id=brief.id)
        metadata = session.metadata or {}
        found[session.title] = (metadata.get("token_budget"), metadata.get("prompts_count"))
    assert found == {"Quoted": (8000, None), "Decimal": (9000, 2)}
