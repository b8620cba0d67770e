"""The report round trip: a ledger whose work items hold every field a work item carries,
rendered, imported into an empty ledger and rendered again, gives the same document and
the same fields."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from tests.services.test_import import run_import
from workledger.container import Container
from workledger.schemas.common import Actor
from workledger.schemas.work_item import WorkItemCreate, WorkItemListQuery, WorkItemUpdate
from workledger.schemas.work_log import WorkLogCreate
from workledger.status_file.parser import parse_status_file

AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
GENERATED = re.compile(r"^Generated .*$", re.MULTILINE)

# Every field, and values that a plain rendering would lose: descriptions with markdown
# lists, quotes, blank lines and trailing spaces; tags with commas; a branch with a
# backtick; metadata of every type's shape.
ITEMS: list[dict[str, Any]] = [
    {
        "item_type": "project",
        "title": "Ledger v3 · the rewrite",
        "priority": "high",
        "due_date": "2027-01-31",
        "tags": ["platform", "q1"],
        "description": "Why:\n\n- one database\n- > quoted, not a child\n\n  indented code",
        "metadata": {"target_quarter": "2027-Q1", "description": "the plan"},
        "branch_name": "feat/ledger-v3",
        "commit_hash": "0123456789abcdef0123456789abcdef01234567",
        "pr_number": 512,
    },
    {
        "item_type": "task",
        "title": "Parse hand-kept files",
        "parent": 0,
        "status": "blocked",
        "assignee": "claude-code",
        "tags": ["parser, importer", "[odd]", "ünïcode"],
        "description": "Line with trailing spaces  \nand a second one",
        "metadata": {"estimated_hours": 6.5, "blocked_reason": "waits on the corpus"},
        "branch_name": "fix/`quoted`",
        "commit_hash": "abc1234",
    },
    {
        "item_type": "research",
        "title": "Which markdown parser?",
        "parent": 1,
        "status": "completed",
        "priority": "low",
        "metadata": {"research_questions": ["speed?", "licence?"], "references": ["a", "b"]},
        "pr_number": 7,
    },
    {
        "item_type": "session",
        "title": "Session 12",
        "parent": 0,
        "description": "",
        "metadata": {"token_budget": 50_000, "yaml_frontmatter": {"schema_version": 1}},
    },
    {"item_type": "task", "title": "Nothing but a title"},
]
DEPENDENCIES = {4: [(1, "depends_on"), (2, "blocks")]}
SPENT = {1: {"minutes": 25, "tokens": 48_000, "cost_usd": 1.5}, 2: {"tokens": 1}}
# What a work item carries, as compared field by field after the round trip.
FIELDS = (
    "item_type",
    "title",
    "status",
    "priority",
    "depth",
    "due_date",
    "tags",
    "description",
    "metadata",
    "branch_name",
    "commit_hash",
    "pr_number",
    "assignee",
    "spent",
)


async def seed_every_field(container: Container, actor: Actor) -> None:
    made = []
    for fields in ITEMS:
        data = {key: value for key, value in fields.items() if key != "parent"}
        if "parent" in fields:
            data["parent_id"] = str(made[fields["parent"]].id)
        made.append(await container.work_items.create(actor=actor, data=WorkItemCreate.load(data)))
    for index, links in DEPENDENCIES.items():
        change = {
            "version": made[index].version,
            "dependencies": [
                {"depends_on_id": str(made[target].id), "dependency_type": kind}
                for target, kind in links
            ],
        }
        await container.work_items.update(
            actor=actor, item_id=made[index].id, data=WorkItemUpdate.load(change)
        )
    for index, spent in SPENT.items():
        await container.work_logs.log(
            actor=actor, work_item_id=made[index].id, data=WorkLogCreate.load(spent)
        )


async def fields_of(container: Container, actor: Actor) -> list[dict[str, Any]]:
    """Every item's fields, and its parent's and dependencies' titles, in tree order."""
    listed = await container.work_items.list(
        actor=actor, query=WorkItemListQuery.load({"limit": 100})
    )
    titles = {item.id: item.title for item in listed.items}
    found = []
    for brief in listed.items:
        item = await container.work_items.get(actor=actor, item_id=brief.id)
        record = item.model_dump(mode="json")
        found.append(
            {name: record[name] for name in FIELDS}
            | {
                "short_id": item.id.hex[-8:],
                "parent": titles.get(item.parent_id) if item.parent_id else None,
                "dependencies": sorted(
                    (titles[d.depends_on_id], d.dependency_type) for d in item.dependencies
                ),
            }
        )
    return sorted(found, key=lambda record: record["title"])


async def test_every_field_of_every_item_survives_the_round_trip(
    container: Container, actor: Actor, other_actor: Actor
) -> None:
    await seed_every_field(container, actor)
    exported = (await container.status.report(actor=actor, at=AT)).markdown

    result = await run_import(container, other_actor, parse_status_file(exported, source="s.md"))

    assert result.committed, [check for check in result.checks if not check.passed]
    assert result.warnings == []
    assert await fields_of(container, other_actor) == await fields_of(container, actor)
    reexported = (await container.status.report(actor=other_actor, at=AT)).markdown
    assert GENERATED.sub("", reexported) == GENERATED.sub("", exported)


async def test_the_report_carries_each_field_in_words_a_person_reads(
    container: Container, actor: Actor
) -> None:
    await seed_every_field(container, actor)

    report = (await container.status.report(actor=actor, at=AT)).markdown

    assert (
        "- [project] Ledger v3 · the rewrite · active · high · `"
        in report.split("## Work items")[1]
    )
    assert " · due 2027-01-31 · tags platform, q1" in report
    assert "  branch `feat/ledger-v3` · commit `0123456789abcdef0123456789abcdef01234567`" in report
    assert "  > Why:\n  >\n  > - one database\n  > - > quoted, not a child\n" in report
    assert '    tags ["parser, importer", "[odd]", "ünïcode"]' not in report  # on the line
    assert ' · tags ["parser, importer", "[odd]", "ünïcode"]' in report
    assert '    description "Line with trailing spaces  \\nand a second one"' in report
    assert '    branch "fix/`quoted`" · commit `abc1234`' in report
    assert '\n      metadata {"' in report  # JSON, in the order the database keeps keys
    assert '"research_questions": ["speed?", "licence?"]' in report
    assert (
        "    spent by alice@example.com via test-client: 1 entry, 25 min, 48,000 tokens" in report
    )
