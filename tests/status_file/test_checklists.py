"""Task lists as people keep them: checklists and bullets under any heading that names
tasks, read as work items with their status, owner, tags, due date and nesting; and
every heading either read or named in a warning."""

from __future__ import annotations

import pytest

from tests.services.test_import import run_import
from workledger.container import Container
from workledger.schemas.common import Actor
from workledger.schemas.work_item import WorkItemListQuery
from workledger.status_file.document import StatusDocument
from workledger.status_file.parser import parse_status_file


def parse(text: str) -> StatusDocument:
    return parse_status_file(text, source="s.md")


def items(text: str) -> list[tuple[str, str, int]]:
    """(title, status, depth) of each work item read."""
    return [(item.title, item.status, item.depth) for item in parse(text).work_items]


def warnings(text: str) -> list[tuple[int, str]]:
    return [(warning.line, warning.message) for warning in parse(text).warnings]


SPRINT = """# Ledgerline

## Current Sprint

### In progress
- [ ] Rewrite the PDF table parser @ada #parser (due 2026-12-20)
  - [x] Split the tokenizer out
  - a note on the approach, not a task
- [ ] Faster CSV export

### Done
- [x] Sign-up form
- [ ] Password reset

### Blocked
* [ ] OCR for scanned statements — waits on the vendor
"""


def test_a_sprint_of_checklists_gives_tasks_with_the_status_their_heading_says() -> None:
    assert items(SPRINT) == [
        ("Rewrite the PDF table parser", "active", 0),
        ("Split the tokenizer out", "completed", 1),
        ("Faster CSV export", "active", 0),
        ("Sign-up form", "completed", 0),
        ("Password reset", "completed", 0),  # under "Done", box or not
        ("OCR for scanned statements — waits on the vendor", "blocked", 0),
    ]
    assert warnings(SPRINT) == []


def test_owner_tags_due_date_and_a_nested_note_come_off_the_title() -> None:
    first = parse(SPRINT).work_items[0]

    assert (first.assignee, first.tags, first.due_date) == ("ada", ["parser"], "2026-12-20")
    assert first.description == "- a note on the approach, not a task"
    assert first.item_type == "task"
    assert first.parent_line is None
    assert parse(SPRINT).work_items[1].parent_line == first.line


@pytest.mark.parametrize(
    ("line", "title", "status"),
    [
        ("- ✅ Ship the importer", "Ship the importer", "completed"),
        ("- 🔴 Migrate the mirror", "Migrate the mirror", "blocked"),
        ("- ❌ Drop Python 3.10", "Drop Python 3.10", "blocked"),
        ("- 🟡 Board drag and drop", "Board drag and drop", "active"),
        ("- Rate limits (blocked)", "Rate limits", "blocked"),
        ("- [WIP] Search box", "Search box", "active"),
        ("- **done** Release notes", "Release notes", "completed"),
        ("- Blocked: the vendor API", "the vendor API", "blocked"),
        ("- ~~Old dashboard~~", "Old dashboard", "completed"),
        ("1. [x] Numbered and checked", "Numbered and checked", "completed"),
        ("+ [ ] A plus bullet", "A plus bullet", "active"),
        ("- Get the blocked list done soon", "Get the blocked list done soon", "active"),
        (
            "- Fix C# samples and #123 @ada@example.com",
            "Fix C# samples and #123 @ada@example.com",
            "active",
        ),
    ],
)
def test_a_line_says_its_status_by_box_emoji_or_marked_word(
    line: str, title: str, status: str
) -> None:
    assert items(f"## TODO\n\n{line}\n") == [(title, status, 0)]


def test_a_type_in_brackets_as_the_report_writes_it_gives_the_item_its_type() -> None:
    doc = parse("## Backlog\n\n- [research] Compare PDF parsers\n  - [ ] [task] Read docs\n")

    assert [(i.item_type, i.title, i.depth) for i in doc.work_items] == [
        ("research", "Compare PDF parsers", 0),
        ("task", "Read docs", 1),
    ]
    assert doc.warnings == []


def test_a_checked_box_wins_over_what_the_line_says() -> None:
    assert items("## Tasks\n\n- [x] Tests (blocked)\n") == [("Tests", "completed", 0)]


@pytest.mark.parametrize(
    "heading",
    [
        "## Tasks",
        "## TODO",
        "## To-do list",
        "### Backlog",
        "## Sprint 12",
        "## Milestones",
        "## Work items",
        "## 🚧 In progress",
        "## Done",
        "# Blocked",
    ],
)
def test_any_heading_naming_tasks_at_any_level_holds_work_items(heading: str) -> None:
    assert len(parse(f"{heading}\n\n- [ ] One\n- Two\n").work_items) == 2


def test_a_todo_under_another_section_is_read_and_that_section_goes_on_after_it() -> None:
    text = """## Vendors

| Name | Status |
|---|---|
| Acme | ok |

### TODO
- [ ] Ask Acme for test files

### Beta Bank
- Status: operational
"""
    doc = parse(text)

    assert [item.title for item in doc.work_items] == ["Ask Acme for test files"]
    assert [vendor.name for vendor in doc.vendors] == ["Acme", "Beta Bank"]
    assert [kind for kind, _, _ in doc.sections] == ["vendors", "work_items"]


def test_a_deployment_titled_with_a_task_word_stays_a_deployment() -> None:
    text = """## Deployments

### 2026-01-14 - PR #7: Fix the task list and the TODO view
- commit: `abc1234`
"""
    doc = parse(text)

    assert [(d.pr_number, d.pr_title) for d in doc.deployments] == [
        (7, "Fix the task list and the TODO view")
    ]
    assert doc.work_items == []


def test_words_of_progress_name_work_items_only_when_nothing_else_is_named() -> None:
    doc = parse("## Completed releases\n\n### 2026-01-14 - PR #7: Fix\n- commit: `abc1234`\n")

    assert [kind for kind, _, _ in doc.sections] == ["deployments"]


def test_every_heading_not_read_is_named_also_when_only_sub_headings_follow_it() -> None:
    text = """# Project

Intro prose under the title.

## Vendors
- **Acme**: operational

## Notes

### Meeting 1
We agreed on things.

### Meeting 2
- more things

## Empty heading
## Ideas
- a thought
"""

    assert warnings(text) == [
        (
            8,
            "section 'Notes' not read: its heading names none of vendors, work items or "
            "tasks, deployments, enhancements, session prompts, spend",
        ),
        (
            10,
            "section 'Meeting 1' not read: its heading names none of vendors, work items or "
            "tasks, deployments, enhancements, session prompts, spend",
        ),
        (
            13,
            "section 'Meeting 2' not read: its heading names none of vendors, work items or "
            "tasks, deployments, enhancements, session prompts, spend",
        ),
        (
            17,
            "section 'Ideas' not read: its heading names none of vendors, work items or "
            "tasks, deployments, enhancements, session prompts, spend",
        ),
    ]


def test_a_report_shaped_line_of_an_unknown_type_is_warned_not_taken_as_a_task() -> None:
    text = "## Work items\n\n- [chore] Tidy · active · medium · `abcdef12`\n"

    assert items(text) == []
    assert warnings(text) == [(3, "work item line not understood, skipped")]


async def test_a_checklist_imports_with_its_nesting_and_fields(
    container: Container, actor: Actor
) -> None:
    result = await run_import(container, actor, parse(SPRINT))

    assert result.committed, result.checks
    assert [(c.name, c.source, c.database) for c in result.checks][-1] == (
        "work item count",
        6,
        6,
    )
    listed = await container.work_items.list(
        actor=actor, query=WorkItemListQuery.load({"limit": 100})
    )
    by_title = {item.title: item for item in listed.items}
    parser_task = by_title["Rewrite the PDF table parser"]
    assert (parser_task.assignee, parser_task.tags, str(parser_task.due_date)) == (
        "ada",
        ["parser"],
        "2026-12-20",
    )
    assert by_title["Split the tokenizer out"].parent_id == parser_task.id
    assert sorted(item.status for item in listed.items) == [
        "active",
        "active",
        "blocked",
        "completed",
        "completed",
        "completed",
    ]


async def test_a_list_item_that_could_not_be_imported_fails_the_work_item_count(
    container: Container, actor: Actor
) -> None:
    text = "## TODO\n\n- [ ] Fine\n- [ ] " + "A title far too long " * 12 + "\n- [ ] @ada\n"

    result = await run_import(container, actor, parse(text))

    assert not result.committed
    [check] = [check for check in result.checks if check.name == "work item count"]
    assert (check.source, check.database, check.passed) == (3, 1, False)
    assert check.problems == ["2 of the 3 list items not imported (see the warnings)"]
    assert [warning.line for warning in result.warnings] == [4, 5]
