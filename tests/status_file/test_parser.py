"""The status file parser: the report workledger writes, read exactly; the hand-kept legacy
file, read leniently; bad input turned into warnings, never exceptions."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from workledger.status_file.document import (
    VENDOR_METADATA,
    Census,
    ParseWarning,
    SourceDeployment,
    SourceEnhancement,
    SourceVendor,
    SourceWorkItem,
    StatusDocument,
)
from workledger.status_file.parser import parse_status_file
from workledger.status_file.sessions import read_session_files

LEGACY = Path(__file__).parent.parent / "fixtures" / "legacy"
ALL_GIVEN = set(VENDOR_METADATA)
NO_FORMATS = {"excel": False, "csv": False, "pdf": False, "ocr": False}

# As rendered by templates/status.md.j2 for tests/services/test_status.py's seed.
SAMPLE_REPORT = """\
# Project status

Generated 2026-01-02 03:04:05 UTC.

- Work items: 3 (2 active, 0 blocked, 1 completed)
- Vendors: 1 (0 operational, 1 broken)
- Deployments: 1
- Pending enhancements: 1
- Session prompts: 0

## Vendor health

0 operational, 1 broken.

- **acme**: broken · tests 7/10 passing, 1 skipped · formats pdf · version 2.1.0 · manifest NOT compliant

## Active work items

Every work item not archived, as a tree: type, title, status, priority, short id, dependencies.

- [project] Ledger · active · medium · `953808bd`
  - [task] Write importer · active · medium · `750e08b6`
- [task] Shipped thing · completed · medium · `60694b34`

## Latest deployments

1 recorded.

### 2026-11-21 12:03:24 UTC - PR #42: Importer
- commit: `bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb`
- vendors: acme
- work items: `750e08b6` Write importer
- tests: unit 12
- constitutional compliance: no

## Pending enhancements

- [high] OCR everywhere · planned · 2027-Q1

## Session prompts

0 session prompts, listed with the work items above.
"""  # noqa: E501

# Rendered by the same template from hand-made records exercising every construct.
RICH_REPORT = """\
# Project status

Generated 2026-03-15 08:00:00 UTC.

- Work items: 7 (5 active, 1 blocked, 1 completed)
- Vendors: 4 (3 operational, 1 broken)
- Deployments: 4
- Pending enhancements: 3
- Session prompts: 1

## Vendor health

3 operational, 1 broken.

- **Acme Bank**: operational · tests 45/50 passing, 2 skipped · formats excel, csv · version 2.1.0 · manifest compliant
- **Banco: Norte · Sul**: broken · tests 0/12 passing, 0 skipped · formats none · version unknown · manifest NOT compliant
- **Smith**: operational · tests 10/10 passing, 0 skipped · formats pdf · version 0.9 · manifest compliant
- **Smith, Jones & Co**: operational · tests 30/33 passing, 3 skipped · formats excel, csv, pdf, ocr · version v3 · manifest compliant

## Active work items

Every work item not archived, as a tree: type, title, status, priority, short id, dependencies.

- [project] Ledger · active · high · `aaaa0001`
  - [session] Sprint 1: import · active · medium · `aaaa0002` · depends on `bbbb0001`
    - [task] Parse vendors, deployments · enhancements · completed · medium · `aaaa0003`
      - [research] Which YAML: safe · or full? · blocked · low · `aaaa0004` · depends on `aaaa0003`, `bbbb0001` (blocks)
        - [task] Read the spec · active · critical · `aaaa0005`
  - [task] Second child · active · medium · `aaaa0006`
- [project] Other: root · active · low · `bbbb0001`

## Latest deployments

4 recorded: the 2 latest in full, the earlier ones in one line each.

### 2026-03-14 15:09:26 UTC - PR #57: Vendors: add Smith, Jones & Co · fix
- commit: `0123456789abcdef0123456789abcdef01234567`
- vendors: Smith, Jones & Co, Smith, Banco: Norte · Sul
- work items: `aaaa0001` Ledger, `aaaa0003` Parse vendors, deployments · enhancements
- tests: integration tests 3, unit 120
- constitutional compliance: yes

### 2026-03-01 00:00:00 UTC - PR #56: Docs
- commit: `ffffffffffffffffffffffffffffffffffffffff`
- vendors: none
- work items: none
- tests: none
- constitutional compliance: no

### Earlier deployments

- 2025-12-31 23:59:59 UTC - PR #12: Initial import: part 1 · setup · commit `aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa` · compliant
- 2025-01-02 03:04:05 UTC - PR #3: Bootstrap · commit `1234567890123456789012345678901234567890` · NOT compliant

## Pending enhancements

- [critical] OCR: scanned, rotated · pages · approved · 2026-Q3
- [low] Someday · planned · unscheduled
- [medium] Faster report · implementing · 2027-Q1

## Session prompts

1 recorded, as the [session] work items above.
"""  # noqa: E501


def at(year: int, month: int, day: int, hour: int, minute: int, second: int) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def complete(
    name: str,
    line: int,
    status: str,
    tests: tuple[int, int, int],
    formats: str,
    version: str | None,
    manifest: bool,
) -> SourceVendor:
    """A vendor entry stating all five fields; ``formats`` like "excel csv"."""
    passing, total, skipped = tests
    support = {name: name in formats.split() for name in NO_FORMATS}
    return SourceVendor(
        name, line, status, passing, total, skipped, support, version, manifest, set(ALL_GIVEN)
    )


def parse(text: str) -> StatusDocument:
    return parse_status_file(text, source="status.md")


def vendor_of(text: str) -> SourceVendor:
    """The one vendor a vendors section holds (and no warning)."""
    doc = parse(f"## Vendors\n\n{text}\n")
    assert doc.warnings == []
    [vendor] = doc.vendors
    return vendor


def by_name(vendors: list[SourceVendor], name: str) -> SourceVendor:
    return next(vendor for vendor in vendors if vendor.name == name)


def messages(doc: StatusDocument) -> list[tuple[int, str]]:
    return [(warning.line, warning.message) for warning in doc.warnings]


# -- the report workledger writes ----------------------------------------------------


REPORT_SECTIONS = [
    ("vendors", "Vendor health"),
    ("work_items", "Active work items"),
    ("deployments", "Latest deployments"),
    ("enhancements", "Pending enhancements"),
    ("sessions", "Session prompts"),
]


def records(doc: StatusDocument) -> StatusDocument:
    """The document without what the outline says (sections read, the census)."""
    return replace(doc, sections=[], census=Census())


def test_the_sample_report_parses_into_exactly_its_records() -> None:
    doc = parse(SAMPLE_REPORT)
    assert [(kind, heading) for kind, heading, _ in doc.sections] == REPORT_SECTIONS
    assert doc.census == Census(
        vendors=[15],
        deployment_prs={42: 29},
        enhancements=[38],
        work_items=[(21, "953808bd"), (22, "750e08b6"), (23, "60694b34")],
    )
    assert records(doc) == StatusDocument(
        source="status.md",
        vendors=[
            SourceVendor(
                name="acme",
                line=15,
                status="broken",
                passing=7,
                total=10,
                skipped=1,
                format_support={**NO_FORMATS, "pdf": True},
                extractor_version="2.1.0",
                manifest_compliant=False,
                given=ALL_GIVEN,
            )
        ],
        work_items=[
            SourceWorkItem(21, "project", "Ledger", "active", "medium", 0, "953808bd", None),
            SourceWorkItem(
                22, "task", "Write importer", "active", "medium", 1, "750e08b6", parent_line=21
            ),
            SourceWorkItem(23, "task", "Shipped thing", "completed", "medium", 0, "60694b34", None),
        ],
        deployments=[
            SourceDeployment(
                line=29,
                pr_number=42,
                pr_title="Importer",
                commit_hash="b" * 40,
                deployed_at=at(2026, 11, 21, 12, 3, 24),
                vendor_names=["acme"],
                work_item_short_ids=["750e08b6"],
                test_summary={"unit": 12},
                constitutional_compliance=False,
            )
        ],
        deployment_prs=[42],
        enhancements=[SourceEnhancement(38, "OCR everywhere", "high", "planned", "2027-Q1")],
    )


def test_every_vendor_construct_of_the_report_is_read() -> None:
    doc = parse(RICH_REPORT)

    assert doc.warnings == []
    assert doc.vendors == [
        complete("Acme Bank", 15, "operational", (45, 50, 2), "excel csv", "2.1.0", True),
        # "version unknown" states the version (as unknown): every field is given.
        complete("Banco: Norte · Sul", 16, "broken", (0, 12, 0), "", None, False),
        complete("Smith", 17, "operational", (10, 10, 0), "pdf", "0.9", True),
        # The report's own version is kept as written, "v" and all.
        complete(
            "Smith, Jones & Co", 18, "operational", (30, 33, 3), "excel csv pdf ocr", "v3", True
        ),
    ]


def test_the_work_item_tree_keeps_depth_parents_and_dependencies() -> None:
    doc = parse(RICH_REPORT)
    short_ids = {item.line: item.short_id for item in doc.work_items}

    assert [
        (item.depth, item.short_id, short_ids.get(item.parent_line), item.dependencies)
        for item in doc.work_items
    ] == [
        (0, "aaaa0001", None, []),
        (1, "aaaa0002", "aaaa0001", [("bbbb0001", "depends_on")]),
        (2, "aaaa0003", "aaaa0002", []),
        (3, "aaaa0004", "aaaa0003", [("aaaa0003", "depends_on"), ("bbbb0001", "blocks")]),
        (4, "aaaa0005", "aaaa0004", []),
        (1, "aaaa0006", "aaaa0001", []),
        (0, "bbbb0001", None, []),
    ]
    assert [(item.item_type, item.title, item.status, item.priority) for item in doc.work_items][
        2:4
    ] == [
        ("task", "Parse vendors, deployments · enhancements", "completed", "medium"),
        ("research", "Which YAML: safe · or full?", "blocked", "low"),
    ]


@pytest.mark.parametrize(
    ("after", "assignee"),
    [
        (" · assigned to agent-a", "agent-a"),
        (" · assigned to ops · night shift", "ops · night shift"),
        (" · assigned to ops · night shift · waiting on `bbbb0002` (active)", "ops · night shift"),
        (" · waiting on `bbbb0002` (blocked)", None),
        ("", None),
    ],
)
def test_the_assignee_is_read_back_as_the_report_writes_it(
    after: str, assignee: str | None
) -> None:
    doc = parse(f"## Work items\n- [task] Ship · it · active · high · `bbbb0001`{after}\n")

    assert [(item.title, item.assignee) for item in doc.work_items] == [("Ship · it", assignee)]
    assert messages(doc) == []


@pytest.mark.parametrize(
    ("after", "assignee", "spent"),
    [
        (" · spent 25 min, 48,000 tokens, $1.50", None, (25, 48_000, 1_500_000)),
        (" · assigned to ops · night · spent 1 token", "ops · night", (0, 1, 0)),
        (" · spent $1,234.000125 · 2 comments", None, (0, 0, 1_234_000_125)),
        (" · spent 90 min · waiting on `bbbb0002` (active)", None, (90, 0, 0)),
        ("", None, None),
    ],
)
def test_what_was_spent_is_read_back_as_the_report_writes_it(
    after: str, assignee: str | None, spent: tuple[int, int, int] | None
) -> None:
    doc = parse(
        f"## Work items\n- [task] Ship · it · active · high · `bbbb0001`{after}\n\n"
        "## Spend\n\n| Who | Entries | Minutes | Tokens | Cost |\n"
        "| --- | ---: | ---: | ---: | ---: |\n"
        "| ada@example.com via codex | 1 | 25 | 48,000 | $1.50 |\n"
    )

    assert [(item.title, item.assignee, item.spent) for item in doc.work_items] == [
        ("Ship · it", assignee, spent)
    ]
    assert messages(doc) == []  # the Spend section is known: its sums come from the items


def test_deployments_in_full_and_earlier_one_liners_come_in_document_order() -> None:
    doc = parse(RICH_REPORT)

    assert doc.deployments == [
        SourceDeployment(
            line=36,
            pr_number=57,
            pr_title="Vendors: add Smith, Jones & Co · fix",
            commit_hash="0123456789abcdef0123456789abcdef01234567",
            deployed_at=at(2026, 3, 14, 15, 9, 26),
            # Names holding ", " are matched against the vendors section.
            vendor_names=["Smith, Jones & Co", "Smith", "Banco: Norte · Sul"],
            work_item_short_ids=["aaaa0001", "aaaa0003"],
            test_summary={"integration tests": 3, "unit": 120},
            constitutional_compliance=True,
        ),
        SourceDeployment(43, 56, "Docs", "f" * 40, at(2026, 3, 1, 0, 0, 0)),
        SourceDeployment(
            line=52,
            pr_number=12,
            pr_title="Initial import: part 1 · setup",
            commit_hash="a" * 40,
            deployed_at=at(2025, 12, 31, 23, 59, 59),
            constitutional_compliance=True,
        ),
        SourceDeployment(53, 3, "Bootstrap", "1234567890" * 4, at(2025, 1, 2, 3, 4, 5)),
    ]
    assert doc.deployment_prs == [57, 56, 12, 3]


def test_enhancements_keep_titles_with_separators_and_unscheduled_quarters() -> None:
    assert parse(RICH_REPORT).enhancements == [
        SourceEnhancement(57, "OCR: scanned, rotated · pages", "critical", "approved", "2026-Q3"),
        SourceEnhancement(58, "Someday", "low", "planned", None),
        SourceEnhancement(59, "Faster report", "medium", "implementing", "2027-Q1"),
    ]


def test_an_empty_report_holds_nothing_and_warns_of_nothing() -> None:
    empty = (
        "# Project status\n\n## Vendor health\n\n0 operational, 0 broken.\n\nNo vendors recorded.\n"
        "\n## Active work items\n\nNo work items.\n\n## Latest deployments\n\n"
        "No deployments recorded.\n\n## Pending enhancements\n\nNo pending enhancements.\n"
        "\n## Session prompts\n\n0 session prompts, listed with the work items above.\n"
    )
    doc = parse(empty)
    assert [(kind, heading) for kind, heading, _ in doc.sections] == REPORT_SECTIONS
    assert records(doc) == StatusDocument(source="status.md")


# -- the hand-kept legacy file -------------------------------------------------------


@pytest.fixture(scope="module")
def legacy() -> StatusDocument:
    path = LEGACY / "project_status.md"
    return parse_status_file(path.read_text(encoding="utf-8"), source=str(path))


def test_the_legacy_file_yields_every_entry_without_warnings(legacy: StatusDocument) -> None:
    assert (
        len(legacy.vendors),
        len(legacy.deployments),
        len(legacy.enhancements),
        len(legacy.sessions),
    ) == (45, 12, 8, 10)
    # The only warning: the prose section it does not read.
    assert [(w.line, w.message) for w in legacy.warnings] == [
        (
            7,
            "section 'Overview' not read: its heading names none of vendors, work items or tasks, "
            "deployments, enhancements, session prompts, spend",
        )
    ]
    census = legacy.census
    assert (len(census.vendors), len(census.deployment_prs), len(census.enhancements)) == (
        45,
        12,
        8,
    )
    assert len(census.sessions) == 10
    assert legacy.work_items == []
    assert [vendor.name for vendor in legacy.vendors if vendor.missing] == []
    # Group headings over one-line entries and tables are labels, not vendors.
    names = {vendor.name for vendor in legacy.vendors}
    assert not names & {"Quick list", "Table of the rest"}
    assert len(names) == 45


def test_the_legacy_fixture_stays_within_the_contract_limits(legacy: StatusDocument) -> None:
    for v in legacy.vendors:
        assert (v.passing or 0) + (v.skipped or 0) <= (v.total or 0), v.name
        assert 1 <= len(v.name) <= 100
        assert 1 <= len(v.extractor_version or "") <= 50
    for d in legacy.deployments:
        assert 1 <= len(d.vendor_names) <= 3
        assert d.test_summary
        assert len(d.pr_title) <= 200
    for s in legacy.sessions:
        assert 1000 <= s.frontmatter["token_budget"] <= 1_000_000
        assert s.frontmatter["prompts_count"] >= 0


def test_legacy_vendors_of_each_shape(legacy: StatusDocument) -> None:
    vendors = {vendor.name: vendor for vendor in legacy.vendors}

    # a) a heading over key bullets; "v2.1.0" is stored as "2.1.0"
    assert vendors["Alpha Credit Union"] == complete(
        "Alpha Credit Union", 18, "operational", (45, 50, 2), "excel csv", "2.1.0", True
    )
    # a) bold keys, "passing 12, total 30, skipped 4"
    assert vendors["Banco Pacifico"] == complete(
        "Banco Pacifico", 25, "broken", (12, 30, 4), "excel csv", "1.0.3", True
    )
    # b) a one-liner with em dashes, an emoji status and a bare version
    assert vendors["Redwood Savings"] == complete(
        "Redwood Savings", 130, "broken", (0, 8, 0), "excel", "1.2", False
    )
    # c) a table row
    assert vendors["Glacier Credit"] == complete(
        "Glacier Credit", 148, "broken", (4, 10, 1), "pdf ocr", "0.5.0", False
    )
    # c) a table with its columns in another order and other header names
    assert vendors["Nova Scotia Credit"] == complete(
        "Nova Scotia Credit", 160, "operational", (40, 42, 2), "excel csv", "1.0.0", True
    )


def test_legacy_deployments(legacy: StatusDocument) -> None:
    by_pr = {deployment.pr_number: deployment for deployment in legacy.deployments}

    assert by_pr[101] == SourceDeployment(
        line=174,
        pr_number=101,
        pr_title="First batch of extractors",
        commit_hash="3f2a9c1b7d4e5f60718293a4b5c6d7e8f9012345",
        deployed_at=at(2025, 1, 14, 0, 0, 0),  # a date alone is midnight UTC
        vendor_names=["Alpha Credit Union", "Banco Pacifico"],
        test_summary={"unit": 120, "integration": 30},
        constitutional_compliance=True,
    )
    # "### 2025-02-03 14:03 — PR 107: Title", bold keys, an upper-case commit
    assert by_pr[107] == SourceDeployment(
        line=182,
        pr_number=107,
        pr_title="Cascade and Delta extractors",
        commit_hash="9b8a7c6d5e4f30211203948576a5b4c3d2e1f009",
        deployed_at=at(2025, 2, 3, 14, 3, 0),
        vendor_names=["Cascade Savings", "Delta Federal"],
        test_summary={"passed": 120, "failed": 2},
        constitutional_compliance=False,
    )
    assert by_pr[156].vendor_names == ["Falcon Bank", "Smith, Jones & Co"]
    assert legacy.deployment_prs == [101, 107, 112, 123, 130, 134, 141, 150, 156, 163, 170, 178]
    assert {name for d in legacy.deployments for name in d.vendor_names} <= {
        vendor.name for vendor in legacy.vendors
    }


def test_legacy_enhancements_completed_ones_included(legacy: StatusDocument) -> None:
    assert [(e.title, e.priority, e.status, e.target_quarter) for e in legacy.enhancements] == [
        ("OCR for scanned statements", "high", "planned", "2026-Q1"),
        ("Excel macro-enabled workbooks", "medium", "completed", "2025-Q3"),
        ("Multi-currency statements", "medium", "planned", "2026-Q3"),
        ("Manifest validation in CI", "critical", "planned", "2025-Q4"),
        ("Dark mode for the review UI", "low", "planned", "2026-Q2"),
        ("Vendor logo cache", "low", "planned", None),
        ("Parallel extraction for large PDFs", "high", "planned", "2026-Q2"),
        ("Retry flaky vendor portals", "medium", "completed", "2025-Q2"),
    ]
    assert legacy.enhancements[0].description == (
        "Needs a new OCR provider and a confidence threshold per field."
    )
    assert legacy.enhancements[3].description == (
        "- run on every PR\n- block merges when a manifest is missing"
    )


def test_legacy_session_prompts(legacy: StatusDocument) -> None:
    sessions = legacy.sessions

    assert [session.title for session in sessions] == [
        "Vendor inventory kickoff",  # the heading
        "Backfill the deployment history",  # frontmatter title over the heading
        "OCR provider comparison",  # no heading: frontmatter title
        "Evergreen date bug",  # a fenced yaml block
        "Manifest audit",
        "Juniper rewrite plan",
        "Quick-list vendors",
        "Extractors for the table vendors",
        "Test flakiness",
        "Release checklist",
    ]
    assert sessions[0].frontmatter == {
        "schema_version": 1,
        "token_budget": 50000,
        "prompts_count": 3,
        "date": "2025-01-10",
        "tags": ["kickoff", "vendors"],
    }
    assert sessions[0].body == (
        "List every vendor we have an extractor for, with its formats and the\n"
        "state of its tests. Flag anything without a manifest."
    )
    assert sessions[3].frontmatter["tags"] == ["bugfix"]
    assert sessions[4].frontmatter["reviewed_at"] == "2025-04-11T09:15:00+00:00"
    assert "USE_NEW_PARSER = False\n```" in sessions[5].body  # code fences stay in the body
    assert all(session.source == str(LEGACY / "project_status.md") for session in sessions)


def test_session_files_one_prompt_each_sorted_by_name() -> None:
    sessions, warnings = read_session_files(LEGACY / "sessions")

    assert warnings == []
    assert len(sessions) == 15
    assert [Path(session.source).name for session in sessions] == sorted(
        path.name for path in (LEGACY / "sessions").glob("*.md")
    )
    titles = {Path(session.source).stem: session.title for session in sessions}
    assert titles["2025-01-20-alpha-parser"] == "Alpha Credit Union parser hardening"
    assert titles["2025-01-28-banco-encoding"] == "Banco Pacifico encoding"  # "# heading"
    assert titles["2025-04-15-ironwood"] == "2025-04-15-ironwood"  # the file stem
    horizon = next(s for s in sessions if s.title == "Horizon Mutual test failures")
    assert horizon.frontmatter["context"] == {
        "vendor": "Horizon Mutual",
        "failing_since": "2025-03-30",
    }
    assert horizon.body.startswith("Twenty of the twenty-five")
    assert horizon.line == 1


def test_the_corrupted_file_warns_of_the_broken_prompt_and_keeps_the_bare_vendor() -> None:
    path = LEGACY / "project_status_corrupted.md"
    text = path.read_text(encoding="utf-8")
    doc = parse_status_file(text, source=str(path))

    assert len(doc.vendors) == 45
    assert [vendor.name for vendor in doc.vendors if vendor.missing] == ["Zeta Bank"]
    assert by_name(doc.vendors, "Zeta Bank").missing == list(VENDOR_METADATA)
    assert len(doc.sessions) == 9
    assert "Manifest audit" not in [session.title for session in doc.sessions]
    [_, warning] = doc.warnings  # after the one for the Overview
    assert (warning.source, warning.line) == (str(path), 313)
    assert text.splitlines()[warning.line - 2 : warning.line] == ["### Manifest audit", "---"]
    assert "YAML does not parse" in warning.message
    assert warning.message.endswith("(at line 319)")  # where YAML noticed the open bracket


# -- lenient variants ----------------------------------------------------------------

COMPLETE = complete("Acme Bank", 3, "operational", (45, 50, 2), "excel csv", "2.1.0", True)


@pytest.mark.parametrize(
    "line",
    [
        "- **Acme Bank**: operational · tests 45/50 passing, 2 skipped · formats excel, csv"
        " · version 2.1.0 · manifest compliant",
        "-  **Acme Bank**:  operational · tests 45/50 passing, 2 skipped · formats excel, csv"
        " · version v2.1.0 · manifest compliant",
        "* **Acme Bank** — operational; tests 45/50 passing (2 skipped); formats: Excel ✓,"
        " CSV ✓, PDF ✗, OCR ✗; version 2.1.0; manifest ✅",
        "+   Acme Bank:   🟢  |  tests 45 / 50 passing, 2 skipped  |  formats excel, csv"
        "  |  v2.1.0  |  manifest yes",
        "- Acme Bank - operational - tests: passing 45, total 50, skipped 2 - formats: xlsx,"
        " csv - extractor version 2.1.0 - manifest ✔",
        "- __Acme Bank__: operational, tests 45/50 passing, 2 skipped, formats excel, csv,"
        " version 2.1.0, manifest compliant: yes",
    ],
)
def test_sloppy_one_line_vendors_read_the_same(line: str) -> None:
    assert vendor_of(line) == COMPLETE


@pytest.mark.parametrize(
    "entry",
    [
        "### Acme Bank\n- Status: operational\n- Tests: 45/50 passing (2 skipped)\n"
        "- Formats: Excel ✓, CSV ✓, PDF ✗, OCR ✗\n- Version: v2.1.0\n- Manifest: ✅",
        "###   **Acme Bank**\n* **Status:** ✅ ok\n* **Test results**: 45/50, 2 skipped\n"
        "* **Format support**: excel, csv\n* **Extractor version**: 2.1.0\n"
        "* **Manifest compliant**: [x]",
        "### Acme Bank\n  + STATUS: working\n  + tests: 45/50 passing, skipped: 2\n"
        "  + FORMATS: CSV: yes, Excel: yes, PDF: no, OCR: no\n  + VERSION: 2.1.0\n"
        "  + manifest: compliant",
    ],
)
def test_vendor_headings_with_key_bullets_read_the_same(entry: str) -> None:
    assert vendor_of(entry) == COMPLETE


@pytest.mark.parametrize(
    "table",
    [
        "| Vendor | Status | Tests | Formats | Version | Manifest |\n|---|---|---|---|---|---|\n"
        "| Acme Bank | ✅ operational | 45/50 (2 skipped) | Excel, CSV | v2.1.0 | ✅ |",
        "|Manifest compliant|Extractor version|Format support|Test results|Status|Name|\n"
        "|:-:|:-:|:-:|:-:|:-:|:-:|\n"
        "|yes|2.1.0|Excel ✓ CSV ✓ PDF ✗ OCR ✗|passing 45, total 50, skipped 2|up|**Acme Bank**|",
    ],
)
def test_vendor_tables_read_the_same_in_any_column_order(table: str) -> None:
    assert vendor_of(table) == replace(COMPLETE, line=5)  # the row after header and rule


@pytest.mark.parametrize(
    ("written", "status"),
    [
        ("operational", "operational"),
        ("OK", "operational"),
        ("working", "operational"),
        ("up", "operational"),
        ("🟢", "operational"),
        ("✅ operational", "operational"),
        ("broken", "broken"),
        ("Failing", "broken"),
        ("down", "broken"),
        ("🔴", "broken"),
    ],
)
def test_status_words_and_marks(written: str, status: str) -> None:
    assert vendor_of(f"### Acme\n- Status: {written}").status == status


@pytest.mark.parametrize(
    ("written", "compliant"),
    [
        *[
            (word, True)
            for word in ["✅", "✓", "✔", "☑", "[x]", "yes", "True", "y", "compliant", "ok", "OK"]
        ],
        *[(word, False) for word in ["❌", "✗", "✘", "✖", "[ ]", "no", "false", "N", "not ok"]],
        ("not compliant", False),
        ("NOT compliant", False),
        ("❌ not compliant", False),
    ],
)
def test_check_marks_and_words_for_yes_and_no(written: str, compliant: bool) -> None:
    assert vendor_of(f"### Acme\n- Manifest: {written}").manifest_compliant is compliant


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("45/50 passing (2 skipped)", (45, 50, 2)),
        ("45/50", (45, 50, 0)),
        ("passing 45, total 50, skipped 2", (45, 50, 2)),
        ("45 passed, 50 total", (45, 50, 0)),
        ("24 of 28", (24, 28, 0)),
        ("24 out of 28 (1 skipped)", (24, 28, 1)),
        ("24 passed, 4 failed, 1 skipped", (24, 29, 1)),
        ("passing 24 / total 28", (24, 28, 0)),
        ("passing 24 / total 28 / skipped 2", (24, 28, 2)),
    ],
)
def test_test_result_forms(written: str, expected: tuple[int, int, int]) -> None:
    vendor = vendor_of(f"### Acme\n- Tests: {written}")
    assert (vendor.passing, vendor.total, vendor.skipped) == expected


@pytest.mark.parametrize(
    ("written", "version"),
    [("v2.1.0", "2.1.0"), ("V10", "10"), ("2.1.0", "2.1.0"), ("vNext", "vNext"), ("unknown", None)],
)
def test_legacy_versions_lose_a_v_before_a_digit_only(written: str, version: str | None) -> None:
    vendor = vendor_of(f"### Acme\n- Version: {written}")
    assert vendor.extractor_version == version
    assert vendor.given == {"extractor_version"}


def test_a_vendor_stating_part_of_its_metadata_lists_only_that() -> None:
    vendor = vendor_of("- **Acme**: broken · version 1.0")
    assert (vendor.status, vendor.extractor_version) == ("broken", "1.0")
    assert vendor.missing == ["test_results", "format_support", "manifest_compliant"]
    assert vendor_of("- **Zeta Bank**").missing == list(VENDOR_METADATA)


@pytest.mark.parametrize(
    "heading",
    [
        "## Vendors",
        "## VENDORS",
        "##  Vendor Health",
        "## 🏦 Vendors",
        "## Vendors ##",
        "## Vendors (17 total)",
        "## Current Vendors — 2025-09-30",
        "### 🏦 Vendor status, current",
        "# Vendors",
    ],
)
def test_section_headings_are_matched_leniently(heading: str) -> None:
    doc = parse(f"{heading}\n\n- **Acme**: operational\n")
    assert [vendor.name for vendor in doc.vendors] == ["Acme"]


@pytest.mark.parametrize(
    ("heading", "pr", "deployed_at", "title"),
    [
        ("### 2025-03-14 - PR #123", 123, at(2025, 3, 14, 0, 0, 0), "PR #123"),
        ("### 2025-03-14 14:03 \u2013 PR 123: Fix it", 123, at(2025, 3, 14, 14, 3, 0), "Fix it"),
        ("###2025-03-14 — PR#123 — Fix it", 123, at(2025, 3, 14, 0, 0, 0), "Fix it"),
        ("### 2025-03-14T14:03:05Z · pr #7", 7, at(2025, 3, 14, 14, 3, 5), "PR #7"),
        ("### PR #123 — 2025-03-14: Fix it", 123, at(2025, 3, 14, 0, 0, 0), "Fix it"),
        ("### PR 123 (2025-03-14 09:30 UTC) Fix it", 123, at(2025, 3, 14, 9, 30, 0), "Fix it"),
        ("### Fix it — PR #123, 2025-03-14", 123, at(2025, 3, 14, 0, 0, 0), "Fix it"),
    ],
)
def test_deployment_heading_forms(heading: str, pr: int, deployed_at: datetime, title: str) -> None:
    doc = parse(f"## Deployments\n\n{heading}\n- Commit: {'A' * 40}\n- Compliance: ✓\n")
    assert doc.warnings == []
    [deployment] = doc.deployments
    assert (deployment.pr_number, deployment.deployed_at, deployment.pr_title) == (
        pr,
        deployed_at,
        title,
    )
    assert deployment.commit_hash == "a" * 40
    assert deployment.constitutional_compliance is True


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("- [ ] **High**: OCR for scanned statements (2026-Q1)", ("high", "planned", "2026-Q1")),
        ("- [x] **High**: OCR for scanned statements", ("high", "completed", None)),
        ("* High — OCR for scanned statements — Q1 2026", ("high", "planned", "2026-Q1")),
        ("+ [HIGH] OCR for scanned statements · 2026 Q1", ("high", "planned", "2026-Q1")),
        ("- OCR for scanned statements (high, 2026-Q1)", ("high", "planned", "2026-Q1")),
        ("- OCR for scanned statements", ("medium", "planned", None)),
        ("- OCR for scanned statements | approved | 2026-Q1", ("medium", "approved", "2026-Q1")),
    ],
)
def test_enhancement_forms(entry: str, expected: tuple[str, str, str | None]) -> None:
    doc = parse(f"## Future Enhancements\n\n{entry}\n")
    assert doc.warnings == []
    [enhancement] = doc.enhancements
    assert enhancement.title == "OCR for scanned statements"
    assert (enhancement.priority, enhancement.status, enhancement.target_quarter) == expected


# -- what cannot be read -------------------------------------------------------------


def test_deployments_that_cannot_be_read_are_skipped_but_their_prs_counted() -> None:
    doc = parse(
        "## Deployments\n"
        "### 2025-13-45 - PR #1\n"
        f"- Commit: {'a' * 40}\n"
        "### 2025-03-14 - PR #2\n"
        "- Commit: abc123\n"
        "### 2025-03-14 - PR #3\n"
        "- Title: no commit at all\n"
        "### Some release\n"
        f"### 2025-03-15 - PR #4\n- Commit: `{'b' * 40}`\n- Tests: lots\n- Compliance: maybe\n"
    )

    assert [d.pr_number for d in doc.deployments] == [4]
    assert doc.deployments[0].test_summary == {}
    assert doc.deployment_prs == [1, 2, 3, 4]
    assert messages(doc) == [
        (2, "PR #1: deployment date does not parse, skipped"),
        (5, "PR #2: commit 'abc123' is not 7 to 40 hex digits, deployment skipped"),
        (6, "PR #3: no commit, deployment skipped"),
        (8, "deployment heading names no PR number, block skipped"),
        (11, "PR #4: test count 'lots' not understood, dropped"),
        (12, "PR #4: compliance 'maybe' not understood, taken as no"),
    ]


def test_entries_that_cannot_be_read_are_skipped_with_their_line() -> None:
    doc = parse(
        "## Vendors\n"
        "- **Acme**: operational · tests many · version 1\n"
        "- **   **\n"
        "## Work items\n"
        "- [task] no short id · active · medium\n"
        "- [chore] Unknown type · active · medium · `abcdef12`\n"
        "## Enhancements\n"
        "- [ ] **High**:\n"
    )

    assert [vendor.name for vendor in doc.vendors] == ["Acme"]
    assert doc.vendors[0].missing == ["test_results", "format_support", "manifest_compliant"]
    assert doc.work_items == []
    assert doc.enhancements == []
    assert messages(doc) == [
        (2, "vendor Acme: cannot read test results 'many'"),
        (3, "vendor entry without a name skipped"),
        (5, "work item line not understood, skipped"),
        (6, "work item line not understood, skipped"),
        (8, "enhancement without a title skipped"),
    ]


@pytest.mark.parametrize(
    ("block", "problem"),
    [
        ("---\ntitle: x\n---\nbody", "frontmatter has no schema_version"),
        ("---\n- a list\n---\nbody", "frontmatter is not a mapping of keys to values"),
        ("---\nschema_version: 1\ntags: [a, b\n---\nbody", "YAML does not parse"),
        ("---\nschema_version: 1\nbody never closed", "its frontmatter is never closed"),
        ("---\nschema_version: 1\ndate: 2025-13-45\n---\n", "month must be in 1..12"),
        ("---\nschema_version: 1\nloop: &a [*a]\n---\n", "contains itself"),
        (f"---\nschema_version: 1\ndeep: {'[' * 100}{']' * 100}\n---\n", "nested more than"),
    ],
)
def test_session_blocks_that_cannot_be_read(block: str, problem: str) -> None:
    doc = parse(f"## Session Prompts\n\n### A prompt\n{block}\n")

    assert doc.sessions == []
    [warning] = doc.warnings
    assert warning.line == 4  # the opening ---
    assert problem in warning.message


def test_session_files_that_cannot_be_read(tmp_path: Path) -> None:
    (tmp_path / "a-good.md").write_text("---\nschema_version: 1\n---\nDo it.\n")
    (tmp_path / "b-no-frontmatter.md").write_text("# Just a note\n")
    (tmp_path / "c-broken.md").write_text("---\nschema_version: 1\ntitle: [unclosed\n---\n")
    (tmp_path / "d-no-schema.md").write_text("---\ntitle: Old\n---\nBody\n")
    (tmp_path / "notes.txt").write_text("not a prompt")

    sessions, warnings = read_session_files(tmp_path)

    assert [(s.title, s.body) for s in sessions] == [("a-good", "Do it.")]
    assert [(Path(w.source).name, w.line) for w in warnings] == [
        ("b-no-frontmatter.md", 1),
        ("c-broken.md", 4),  # where YAML found the bracket left open
        ("d-no-schema.md", 1),
    ]


def test_a_missing_session_directory_is_a_warning(tmp_path: Path) -> None:
    sessions, warnings = read_session_files(tmp_path / "nowhere")
    assert sessions == []
    assert [warning.message for warning in warnings] == ["not a directory of session prompt files"]


FRAGMENTS = [
    "## Vendors", "## Vendor health", "## Deployments", "## Active work items",
    "## Pending enhancements", "## Session Prompts", "### ", "### Acme", "### 2025-02-30 - PR #9",
    "### 2025-01-01 - PR #", "### Earlier deployments", "- ", "- **", "- **x**:", "| Vendor |",
    "|---|", "| a | b | c |", "---", "```yaml", "```", "- Commit: zz", "- Tests: 1/0",
    "- Status: ✅❌", "  - [task] x · active · medium · `abcdef12`", "- [x]", "- [ ] **High**",
    "schema_version: [", "key: value", ": :", "\t\t", "\u200b", "####### deep", "PR #99999",
    "- Formats: excel ✓ ✗", "- Version:", "- 2025-01-01 00:00:00 UTC - PR #1: x · commit `a`",
    "* Medium — — Q9 2026", "(((", "|", "💥", "- Vendors: , , ,",
]  # fmt: skip


@pytest.mark.parametrize("seed", range(40))
def test_garbage_gives_warnings_never_exceptions(seed: int) -> None:
    chance = random.Random(seed)
    text = "\n".join(chance.choice(FRAGMENTS) for _ in range(chance.randint(1, 80)))

    doc = parse(text)

    assert all(isinstance(warning, ParseWarning) for warning in doc.warnings)
    assert all(1 <= warning.line <= len(text.splitlines()) for warning in doc.warnings)


@pytest.mark.parametrize(
    ("written", "formats"),
    [
        ("- **Acme** · operational · excel, csv · v1", {"excel", "csv"}),
        ("- Acme: operational; tests 4/5; formats [excel/csv]", {"excel", "csv"}),
        ("- Acme — formats (pdf ocr) — v1", {"pdf", "ocr"}),
        ("- Acme · (PDF/OCR) · v1", {"pdf", "ocr"}),
    ],
)
def test_formats_separated_by_commas_slashes_spaces_or_in_brackets(
    written: str, formats: set[str]
) -> None:
    vendor = vendor_of(written)
    assert vendor.format_support == {name: name in formats for name in NO_FORMATS}


def test_a_table_with_a_column_per_format_reads_its_marks() -> None:
    doc = parse(
        "## Vendors\n\n| Vendor | Excel | CSV | PDF | OCR |\n|---|:-:|:-:|:-:|:-:|\n"
        "| Acme | ✓ | ✗ | yes | no |\n"
    )
    assert doc.vendors[0].format_support == {"excel": True, "csv": False, "pdf": True, "ocr": False}


def test_vendor_fields_may_be_bullets_below_a_vendor_bullet() -> None:
    doc = parse(
        "## Vendors\n\n- **Acme**\n  - status: broken\n  - tests: 3/4\n- **Zeta**\n"
        "  - version: 2.0\n"
    )
    assert [(v.name, v.status, v.total, v.extractor_version) for v in doc.vendors] == [
        ("Acme", "broken", 4, None),
        ("Zeta", None, None, "2.0"),
    ]


def test_a_heading_over_vendor_headings_groups_them() -> None:
    doc = parse("## Vendors\n\n### Operational\n\n#### Acme\n- Status: ok\n#### Zeta\n")
    assert [v.name for v in doc.vendors] == ["Acme", "Zeta"]


def test_sections_are_taken_at_the_level_that_names_most_kinds() -> None:
    doc = parse(
        "# Vendor platform status\n\nIntro.\n\n## Vendors\n\n- **Acme**: operational\n\n"
        "## Notes\n\nProse.\n\n## Deployments\n\n### 2025-01-01 - PR #1: One\n"
        f"- Commit: {'a' * 40}\n"
    )
    assert [kind for kind, _, _ in doc.sections] == ["vendors", "deployments"]
    assert [v.name for v in doc.vendors] == ["Acme"]
    assert [(w.line, w.message.split(":")[0]) for w in doc.warnings] == [
        (9, "section 'Notes' not read")
    ]


def test_a_yaml_comment_in_frontmatter_is_no_heading() -> None:
    doc = parse(
        "## Session prompts\n\n### Kickoff\n---\nschema_version: 1\n# a comment\n---\nBody.\n"
    )
    assert [s.title for s in doc.sessions] == ["Kickoff"]


def test_enhancements_as_tables_and_as_headings() -> None:
    doc = parse(
        "## Roadmap\n\n| Title | Priority | Status | Quarter |\n|---|---|---|---|\n"
        "| OCR | high | approved | 2026-Q1 |\n\n### Dark mode\n- Priority: low\n"
        "- Target quarter: Q3 2026\n"
    )
    assert [(e.title, e.priority, e.status, e.target_quarter) for e in doc.enhancements] == [
        ("OCR", "high", "approved", "2026-Q1"),
        ("Dark mode", "low", "planned", "2026-Q3"),
    ]


def test_deployments_as_a_table() -> None:
    doc = parse(
        "## Releases\n\n| Date | PR | Title | Commit | Tests | Compliance |\n"
        f"|---|---|---|---|---|---|\n| 2025-01-02 | #5 | Ship | `{'b' * 40}` | unit 3 | ✅ |\n"
    )
    [deployment] = doc.deployments
    assert (deployment.pr_number, deployment.pr_title, deployment.test_summary) == (
        5,
        "Ship",
        {"unit": 3},
    )
    assert deployment.constitutional_compliance is True
