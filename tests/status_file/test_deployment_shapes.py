"""Deployments as people list them: one-line bullets in any order, tables, short commit
hashes; an entry that lacks its date, PR or commit skipped with a warning naming what it
lacks, and still counted by the census, so that its check fails."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from workledger.status_file.document import StatusDocument
from workledger.status_file.parser import parse_status_file

JAN_14 = datetime(2026, 1, 14, tzinfo=UTC)
FULL = "3f2a9c1b7d4e5f60718293a4b5c6d7e8f9012345"


def parse(text: str) -> StatusDocument:
    return parse_status_file(text, source="status.md")


def messages(doc: StatusDocument) -> list[tuple[int, str]]:
    return [(warning.line, warning.message) for warning in doc.warnings]


def read(doc: StatusDocument) -> list[tuple[int, datetime, str, str]]:
    return [(d.pr_number, d.deployed_at, d.pr_title, d.commit_hash) for d in doc.deployments]


@pytest.mark.parametrize(
    "entry",
    [
        "- 2026-01-14 · PR #101: Fix the parser · `abc1234`",
        "- PR #101 (2026-01-14): Fix the parser — abc1234",
        "* v1.4.0 — 2026-01-14 — #101 Fix the parser (abc1234)",
        "- Fix the parser — PR 101, 2026-01-14, commit ABC1234",
        "+ **2026-01-14** [PR #101](https://example.com/pull/101) Fix the parser `abc1234`",
        "- 2026-01-14 | #101 | Fix the parser | sha: abc1234",
    ],
)
def test_a_deployment_on_one_line_reads_in_any_order(entry: str) -> None:
    doc = parse(f"## Releases\n\n{entry}\n")

    assert messages(doc) == []
    assert read(doc) == [(101, JAN_14, "Fix the parser", "abc1234")]
    assert doc.census.deployment_prs == {101: 3}
    assert doc.census.deployments_without_pr == []


def test_one_line_deployments_take_times_compliance_and_fields_below_them() -> None:
    doc = parse(
        "## Deployments\n\n"
        f"- 2026-01-14 09:30 UTC - PR #101: Fix the parser · commit `{FULL}` · compliant\n"
        "  - Vendors: Acme\n"
        "  - Tests: unit 12\n"
        "- 2026-01-15 · PR #102: Speed up OCR · `abc1234` · NOT compliant\n"
    )

    assert messages(doc) == []
    first, second = doc.deployments
    assert (first.deployed_at, first.commit_hash) == (
        datetime(2026, 1, 14, 9, 30, tzinfo=UTC),
        FULL,
    )
    assert (first.pr_title, first.constitutional_compliance) == ("Fix the parser", True)
    assert (first.vendor_names, first.test_summary) == (["Acme"], {"unit": 12})
    assert (second.pr_title, second.constitutional_compliance) == ("Speed up OCR", False)
    assert doc.census.deployment_prs == {101: 3, 102: 6}


def test_headings_that_group_one_line_deployments_are_no_entries() -> None:
    doc = parse(
        "## Deployments\n\n### 2026\n\n#### January\n"
        "- 2026-01-14 · PR #101: Fix the parser · `abc1234`\n"
        "- 2026-01-20 · PR #102: Speed up OCR · `def5678`\n\n"
        "### 2025-12-01 - PR #99: A block\n- Commit: `1234abcd`\n"
        "- 2025-12-02 · PR #100: After the block's fields · `bcd2345`\n"
    )

    assert messages(doc) == []
    assert [d.pr_number for d in doc.deployments] == [101, 102, 99, 100]
    assert doc.census.deployment_prs == {101: 6, 102: 7, 99: 9, 100: 11}


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("- 2026-01-14 · PR #101: Fix the parser", "PR #101: no commit, deployment skipped"),
        (
            "- PR #101: Fix the parser · `abc1234`",
            "PR #101: deployment entry gives no date, skipped",
        ),
        (
            "- 2026-01-14 · Fix the parser · `abc1234`",
            "deployment entry gives no PR number, skipped",
        ),
        ("- Fix the parser", "deployment entry gives no PR number, date or commit, skipped"),
        ("- 2026-02-30 · PR #101 · `abc1234`", "PR #101: deployment date does not parse, skipped"),
        ("- 2026-01-14 · PR #101 · `abc123`", "PR #101: no commit, deployment skipped"),
        ("- 2026-01-14 · PR #101 · " + "a" * 41, "PR #101: no commit, deployment skipped"),
        ("- 2026-01-14 · PR #101: Effaced · 1234567", "PR #101: no commit, deployment skipped"),
    ],
)
def test_a_one_line_deployment_lacking_a_part_is_skipped_naming_it_and_still_counted(
    entry: str, problem: str
) -> None:
    doc = parse(f"## Deployments\n\n{entry}\n")

    assert doc.deployments == []
    assert messages(doc) == [(3, problem)]
    census = doc.census
    assert (census.deployment_prs, census.deployments_without_pr) == (
        ({}, [3]) if "no PR" in problem else ({101: 3}, [])
    )


def test_commit_fields_and_table_cells_take_7_to_40_hex_digits() -> None:
    doc = parse(
        "## Deployments\n\n### 2026-01-14 - PR #101: Short\n- Commit: `ABC1234`\n"
        "### 2026-01-15 - PR #102: Too short\n- Commit: abc123\n\n"
        "| Commit | Title | When | PR |\n|---|---|---|---|\n"
        f"| `{FULL}` | Full | 2026-01-16 | 103 |\n"
        "| [abcd1234](https://example.com/commit/abcd1234) | Linked | 2026-01-17 | #104 |\n"
        f"| {FULL}0 | Too long | 2026-01-18 | #105 |\n"
    )

    assert [(d.pr_number, d.pr_title, d.commit_hash) for d in doc.deployments] == [
        (101, "Short", "abc1234"),
        (103, "Full", FULL),
        (104, "Linked", "abcd1234"),
    ]
    assert messages(doc) == [
        (6, "PR #102: commit 'abc123' is not 7 to 40 hex digits, deployment skipped"),
        (12, f"PR #105: commit '{FULL}0' is not 7 to 40 hex digits, deployment skipped"),
    ]
    # The table's PR column, "103" included, counted from its header.
    assert doc.census.deployment_prs == {101: 3, 102: 5, 103: 10, 104: 11, 105: 12}


def test_the_reports_earlier_deployments_keep_a_short_commit() -> None:
    doc = parse(
        "## Latest deployments\n\n### Earlier deployments\n\n"
        "- 2025-12-31 23:59:59 UTC - PR #3: Old · commit `abc1234` · NOT compliant\n"
        "- 2025-12-30 · PR #2: Older, hand-added · `def5678`\n"
    )

    assert messages(doc) == []
    assert read(doc) == [
        (3, datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC), "Old", "abc1234"),
        (2, datetime(2025, 12, 30, tzinfo=UTC), "Older, hand-added", "def5678"),
    ]


def test_the_census_prefers_a_written_pr_to_an_issue_number() -> None:
    doc = parse(
        "## Deployments\n\n- 2026-01-14 · Fix #7 crash · PR #101 · `abc1234`\n\n"
        "### Fix #8 crash — PR #102, 2026-01-15\n- Commit: `def5678`\n"
    )

    assert messages(doc) == []
    assert [d.pr_number for d in doc.deployments] == [101, 102]
    assert doc.census.deployment_prs == {101: 3, 102: 5}


def test_fenced_code_holds_no_deployment() -> None:
    doc = parse(
        "## Deployments\n\n```\n- 2026-01-14 · PR #101: Example · `abc1234`\n```\n"
        "- 2026-01-15 · PR #102: Real · `def5678`\n"
    )

    assert [d.pr_number for d in doc.deployments] == [102]
    assert doc.census.deployment_prs == {102: 6}
