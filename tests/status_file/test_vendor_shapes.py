"""Vendors from partial tables and lists, and statuses from words and emoji: what is
read, what is warned, and what the vendor metadata check then asks of each entry."""

from __future__ import annotations

import pytest

from tests.services.test_import import holdings, outcome, run_import
from workledger.container import Container
from workledger.schemas.common import Actor
from workledger.status_file.document import StatusDocument
from workledger.status_file.parser import parse_status_file
from workledger.status_file.vendor_values import STATUS_HINT

CHECK = "vendor metadata completeness"


def parse(text: str) -> StatusDocument:
    return parse_status_file(text, source="status.md")


def messages(doc: StatusDocument) -> list[tuple[int, str]]:
    return [(warning.line, warning.message) for warning in doc.warnings]


def line_of(text: str, written: str) -> int:
    """The line that holds the status as written."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if f" {written} " in f"{line} ")


def degraded(name: str, written: str) -> str:
    return (
        f'vendor {name}: status "{written}" imported as operational'
        " (the ledger has no degraded status: a vendor is operational or broken)"
    )


# -- partial tables and lists --------------------------------------------------------


def test_a_table_of_names_and_statuses_gives_just_those() -> None:
    doc = parse("## Vendors\n\n| Name | Status |\n|---|---|\n| Acme | ok |\n| Beta | 🔴 down |\n")

    assert messages(doc) == []
    assert [(v.name, v.status, v.given, v.lacking) for v in doc.vendors] == [
        ("Acme", "operational", {"status"}, []),
        ("Beta", "broken", {"status"}, []),
    ]


def test_a_list_of_names_and_statuses_gives_just_those() -> None:
    doc = parse("## Vendors\n\n- **Acme**: operational\n- Beta: failing\n- **Gamma** — 🟢\n")

    assert messages(doc) == []
    assert [(v.name, v.status, v.lacking) for v in doc.vendors] == [
        ("Acme", "operational", []),
        ("Beta", "broken", []),
        ("Gamma", "operational", []),
    ]


def test_a_list_of_bare_names_expects_nothing_more() -> None:
    doc = parse("## Vendors\n\n- Acme\n- Beta\n")

    assert [(v.name, v.given, v.lacking) for v in doc.vendors] == [
        ("Acme", set(), []),
        ("Beta", set(), []),
    ]


def test_an_empty_cell_in_a_column_the_table_has_is_lacking() -> None:
    doc = parse(
        "## Vendors\n\n| Vendor | Status | Tests | Version |\n|---|---|---|---|\n"
        "| Acme | ok | 4/5 | 1.0 |\n| Beta | down |  | 2.0 |\n| Gamma | ok | 3/3 |\n"
    )

    assert [(v.name, v.lacking) for v in doc.vendors] == [
        ("Acme", []),
        ("Beta", ["test_results"]),
        ("Gamma", ["extractor_version"]),  # a row cut short lacks its last cells
    ]


def test_an_empty_format_mark_leaves_the_formats_lacking() -> None:
    doc = parse(
        "## Vendors\n\n| Vendor | Excel | CSV |\n|---|---|---|\n| Acme | ✓ | ✗ |\n| Beta | ✓ |  |\n"
    )

    acme, beta = doc.vendors
    assert acme.format_support == {"excel": True, "csv": False, "pdf": False, "ocr": False}
    assert (acme.lacking, beta.format_support, beta.lacking) == ([], None, ["format_support"])


def test_a_field_every_other_entry_gives_is_expected_of_each() -> None:
    doc = parse(
        "## Vendors\n\n"
        "- **Acme**: operational · version 1.0\n"
        "- **Beta**: broken · v1.1\n"
        "- **Gamma** · v2.0\n"
        "- **Zeta**\n"
        "\n### Delta\n- Status: ok\n- Version: 3.0\n"
    )

    assert {v.name: v.lacking for v in doc.vendors} == {
        "Acme": [],
        "Beta": [],
        "Gamma": [],  # one other entry gives no status: status is not the section's shape
        "Zeta": ["extractor_version"],
        "Delta": [],
    }


def test_full_and_partial_entries_in_one_list_expect_only_what_they_share() -> None:
    doc = parse(
        "## Vendors\n\n"
        "- **Alpha** · 🟢 operational · 45/50 · excel, csv · v2.1.0 · manifest ok\n"
        "- **Banco** · 🔴 broken · 12/30 · pdf · v1.0.3 · manifest ✗\n"
        "- **Cascade**: ✅ operational\n"
        "- **Delta**\n"
    )

    assert {v.name: v.lacking for v in doc.vendors} == {
        "Alpha": [],
        "Banco": [],
        "Cascade": [],
        "Delta": ["status"],  # every other entry gives one
    }


def test_a_table_row_is_held_to_its_own_columns_not_to_the_lists_beside_it() -> None:
    doc = parse(
        "## Vendors\n\n- **Acme**: operational · version 1.0\n\n"
        "| Name | Status |\n|---|---|\n| Beta | down |\n"
    )

    assert {v.name: v.lacking for v in doc.vendors} == {"Acme": [], "Beta": []}


# -- statuses ------------------------------------------------------------------------

OPERATIONAL = ["ok", "up", "operational", "working", "🟢", "✅"]
BROKEN = ["down", "failing", "failed", "broken", "🔴", "❌"]
DEGRADED = ["degraded", "partial", "🟡", "⚠️", "⚠"]
# A vendor called Acme with the status ``{}``, in each shape people write it.
SHAPES = {
    "table": "| Vendor | Status |\n|---|---|\n| Acme | {} |",
    "heading": "### Acme\n- Status: {}",
    "one-liner": "- **Acme**: {}",
    "one-liner with fields": "- Acme — {} — tests 4/5 — v1.0",
}


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize(
    ("written", "status"),
    [*((w, "operational") for w in OPERATIONAL), *((w, "broken") for w in BROKEN)],
)
def test_status_words_and_emoji(shape: str, written: str, status: str) -> None:
    doc = parse("## Vendors\n\n" + SHAPES[shape].format(written) + "\n")

    [vendor] = doc.vendors
    assert (vendor.status, messages(doc)) == (status, [])


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("written", DEGRADED)
def test_a_degraded_vendor_is_operational_with_a_warning_on_its_line(
    shape: str, written: str
) -> None:
    text = "## Vendors\n\n" + SHAPES[shape].format(written) + "\n"
    doc = parse(text)

    [vendor] = doc.vendors
    assert vendor.status == "operational"
    assert "status" in vendor.given
    assert messages(doc) == [(line_of(text, written), degraded("Acme", written))]


def test_a_status_word_with_its_emoji_is_one_status_and_one_warning() -> None:
    doc = parse("## Vendors\n\n- **Acme**: 🟡 degraded · tests 4/5\n- **Beta**: ✅ · working\n")

    assert [(v.status, v.passing) for v in doc.vendors] == [
        ("operational", 4),
        ("operational", None),
    ]
    assert messages(doc) == [(3, degraded("Acme", "🟡 degraded"))]


@pytest.mark.parametrize("shape", list(SHAPES))
def test_an_unreadable_status_names_the_words_it_takes(shape: str) -> None:
    text = "## Vendors\n\n" + SHAPES[shape].format("flaky") + "\n"
    doc = parse(text)

    [vendor] = doc.vendors
    assert messages(doc) == [
        (line_of(text, "flaky"), f'vendor Acme: cannot read status "flaky": {STATUS_HINT}')
    ]
    assert STATUS_HINT == (
        "write operational, broken or degraded (or ok, up, down, failing, 🟢, 🟡, 🔴)"
    )
    assert (vendor.status, vendor.unread, vendor.lacking) == (None, {"status": "flaky"}, ["status"])


def test_a_status_that_says_broken_and_working_at_once_is_not_read() -> None:
    doc = parse("## Vendors\n\n### Acme\n- Status: ✅ working but ❌ failing\n")

    assert doc.vendors[0].status is None
    assert [line for line, _ in messages(doc)] == [4]


def test_words_that_are_no_status_are_not_taken_for_one() -> None:
    doc = parse("## Vendors\n\n- Acme — works fine ok — tests 4/5, 1 failed\n")

    [vendor] = doc.vendors
    assert (vendor.status, vendor.passing, vendor.total) == (None, 4, 5)
    assert messages(doc) == [(3, "vendor Acme: 'works fine ok' not understood, ignored")]


# -- the import, on both databases ---------------------------------------------------

PARTIAL = """\
# Extractors

## Vendors

| Name | Status |
|---|---|
| Acme | ✅ ok |
| Beta | 🔴 down |

## More vendors

- **Gamma**: 🟡 degraded · v1.2
- **Delta**: working · v2.0
- **Epsilon**: failed · version unknown
"""


async def test_partial_tables_and_lists_import_and_pass_the_metadata_check(
    container: Container, actor: Actor
) -> None:
    result = await run_import(container, actor, parse(PARTIAL))

    assert outcome(result)[CHECK] == (5, 5, True), result.checks
    assert result.committed
    assert [(w.line, w.message) for w in result.warnings] == [
        (12, degraded("Gamma", "🟡 degraded"))
    ]
    vendors = (await container.vendors.list(actor=actor)).vendors
    assert {
        (v.name, v.status, v.test_results.passing, v.test_results.total, v.extractor_version)
        for v in vendors
    } == {
        ("Acme", "operational", 0, 0, None),
        ("Beta", "broken", 0, 0, None),
        ("Gamma", "operational", 0, 0, "1.2"),
        ("Delta", "operational", 0, 0, "2.0"),
        ("Epsilon", "broken", 0, 0, None),
    }


async def test_a_field_left_out_that_the_section_leads_one_to_expect_fails_the_check(
    container: Container, actor: Actor
) -> None:
    text = "## Vendors\n\n| Vendor | Status | Tests |\n|---|---|---|\n| Acme | ok | 4/5 |\n"
    text += "| Beta | down |  |\n\n## More vendors\n\n- **Gamma**: ok · v1.0\n- **Delta**: ok\n"

    result = await run_import(container, actor, parse(text))

    failed = {c.name: c for c in result.checks if not c.passed}
    assert list(failed) == [CHECK]
    assert failed[CHECK].problems == [
        "line 6: Beta: the file gives no tests",
        "line 11: Delta: the file gives no version",
    ]
    assert await holdings(container, actor) == (0, 0, 0, 0)


async def test_an_unreadable_status_is_written_with_the_default_and_fails_the_check(
    container: Container, actor: Actor
) -> None:
    text = "## Vendors\n\n- **Acme**: ok\n- **Beta**: flaky\n"

    result = await run_import(container, actor, parse(text), dry_run=True)

    assert [(w.line, w.message) for w in result.warnings] == [
        (4, f'vendor Beta: cannot read status "flaky": {STATUS_HINT}')
    ]
    assert result.created["vendors"] == 2  # status is not required: VendorCreate's default
    assert outcome(result)["vendor count"] == (2, 2, True)
    failed = {c.name: c for c in result.checks if not c.passed}
    assert list(failed) == [CHECK]
    assert failed[CHECK].problems == ['line 4: Beta: cannot read status "flaky"']


async def test_what_an_entry_gives_is_compared_with_the_database(
    container: Container, actor: Actor
) -> None:
    # The database holds one vendor per name: the first entry's, not the last one's.
    text = "## Vendors\n\n- **Acme**: operational\n- **Acme**: broken\n"

    result = await run_import(container, actor, parse(text))

    assert not result.committed
    assert [p for c in result.checks for p in c.problems if c.name == CHECK] == [
        "line 4: Acme: the database differs from the file in status"
    ]


async def test_an_entry_that_cannot_be_read_at_all_still_fails_naming_its_line(
    container: Container, actor: Actor
) -> None:
    text = "## Vendors\n\n| Vendor | Status | Tests |\n|---|---|---|\n| Acme | ok | 4/5 |\n"
    text += "| Beta | ??? | ??? |\n"

    result = await run_import(container, actor, parse(text))

    failed = {c.name: c for c in result.checks if not c.passed}
    assert failed[CHECK].problems == ['line 6: Beta: cannot read status "???", tests "???"']
    assert await holdings(container, actor) == (0, 0, 0, 0)
