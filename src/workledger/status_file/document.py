"""What a status file holds, as parsed: plain records with the line they came from.

The parser fills these from either shape of ``.project_status.md`` (the report workledger
writes, or the hand-kept legacy file); the importer turns them into ledger records and
the reconciliation compares them with what the database then holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple, TypeAlias

# A value as JSON holds it: what a session prompt's frontmatter is made of.
JsonValue: TypeAlias = "bool | int | float | str | list[JsonValue] | dict[str, JsonValue] | None"


@dataclass(frozen=True)
class VendorField:
    """A vendor metadata field: its name (as SourceVendor and the schemas call it), the
    label the report writes before its value, and the other names a hand-kept file
    gives it (each compared lower case, markup aside)."""

    name: str
    label: str
    aliases: tuple[str, ...] = ()


# The vendor fields a complete vendor entry gives (besides its name), in the report's
# order: the one table of their names and labels, for the parser and the importer.
VENDOR_METADATA_FIELDS = (
    VendorField("status", "status"),
    VendorField("test_results", "tests", ("test", "test results")),
    VendorField("format_support", "formats", ("format", "format support")),
    VendorField("extractor_version", "version", ("extractor version",)),
    VendorField("manifest_compliant", "manifest", ("manifest compliant", "manifest compliance")),
)
VENDOR_METADATA = tuple(vendor_field.name for vendor_field in VENDOR_METADATA_FIELDS)
VENDOR_LABELS = {vendor_field.name: vendor_field.label for vendor_field in VENDOR_METADATA_FIELDS}


@dataclass(frozen=True)
class ParseWarning:
    """An entry skipped (or a part of one dropped), with where it was."""

    source: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.message}"


@dataclass
class SourceVendor:
    name: str
    line: int
    status: str | None = None  # "operational" | "broken"
    passing: int | None = None
    total: int | None = None
    skipped: int | None = None
    # {"excel", "csv", "pdf", "ocr"} → supported; None when the entry does not say.
    format_support: dict[str, bool] | None = None
    extractor_version: str | None = None  # None: unknown (see ``given``)
    manifest_compliant: bool | None = None
    # Which of VENDOR_METADATA the entry states (an explicit "version unknown" counts).
    given: set[str] = field(default_factory=set)
    # The fields it writes that cannot be read, each with its value as written.
    unread: dict[str, str] = field(default_factory=dict)
    # Which fields its section leads one to expect it to give (a table row: its table's
    # columns; another entry: what it writes and what the others give); None: all of
    # them. Not compared: it says what surrounds the entry, not what the entry holds.
    expected: set[str] | None = field(default=None, compare=False)

    @property
    def missing(self) -> list[str]:
        return [name for name in VENDOR_METADATA if name not in self.given]

    @property
    def lacking(self) -> list[str]:
        """The expected fields it does not give (written unreadably, or not written)."""
        expected = set(VENDOR_METADATA) if self.expected is None else self.expected
        return [name for name in self.missing if name in expected]


class SpentBy(NamedTuple):
    """What one person or agent logged on an item: how many entries, and their sums
    (minutes, tokens, millionths of a USD)."""

    account: str | None
    client: str
    entries: int
    spent: tuple[int, int, int]


@dataclass
class SourceWorkItem:
    """A work item of the file: a line of the report's tree (with the lines below it
    that carry its other fields), or a task of a hand-kept list."""

    line: int
    item_type: str
    title: str
    status: str
    priority: str
    depth: int
    # The last 8 hex digits of the id, as the report shows it; None in a hand-kept list.
    short_id: str | None
    parent_line: int | None  # the line of the item it is nested under
    # (short id of the item depended on, "depends_on" | "blocks")
    dependencies: list[tuple[str, str]] = field(default_factory=list)
    assignee: str | None = None
    # What was spent on it: (minutes, tokens, millionths of a USD); None: nothing said.
    spent: tuple[int, int, int] | None = None
    # Who logged it, as the report's "spent by" line says.
    spent_by: list[SpentBy] = field(default_factory=list)
    description: str | None = None
    due_date: str | None = None  # YYYY-MM-DD as written; the schema checks it
    tags: list[str] = field(default_factory=list)
    metadata: dict[str, JsonValue] | None = None
    branch_name: str | None = None
    commit_hash: str | None = None
    pr_number: int | None = None


@dataclass
class SourceDeployment:
    line: int
    pr_number: int
    pr_title: str
    commit_hash: str
    deployed_at: datetime  # timezone-aware, UTC
    vendor_names: list[str] = field(default_factory=list)
    work_item_short_ids: list[str] = field(default_factory=list)
    test_summary: dict[str, int] = field(default_factory=dict)
    constitutional_compliance: bool = False


@dataclass
class SourceEnhancement:
    line: int
    title: str
    priority: str = "medium"
    status: str = "planned"
    target_quarter: str | None = None  # "YYYY-Q#"
    description: str | None = None


@dataclass
class SourceSession:
    """A session prompt: YAML frontmatter (JSON-safe values) and the prompt text."""

    source: str
    line: int
    title: str
    frontmatter: dict[str, JsonValue]
    body: str = ""


@dataclass
class Census:
    """What the file holds, counted from its outline apart from the entry readers
    (``census.py``): the source side of every reconciliation check."""

    vendors: list[int] = field(default_factory=list)
    # PR number → the line of the first entry that names it.
    deployment_prs: dict[int, int] = field(default_factory=dict)
    deployments_without_pr: list[int] = field(default_factory=list)
    enhancements: list[int] = field(default_factory=list)
    sessions: list[int] = field(default_factory=list)  # frontmatter blocks in the file
    session_files: list[str] = field(default_factory=list)  # prompt files beside it
    # The report's tree: (line, short id or None), and the lines of its [session] items.
    work_items: list[tuple[int, str | None]] = field(default_factory=list)
    work_item_sessions: list[int] = field(default_factory=list)

    @property
    def entries(self) -> int:
        return (
            len(self.vendors)
            + len(self.deployment_prs)
            + len(self.deployments_without_pr)
            + len(self.enhancements)
            + len(self.sessions)
            + len(self.session_files)
            + len(self.work_items)
        )


@dataclass
class StatusDocument:
    source: str
    vendors: list[SourceVendor] = field(default_factory=list)
    work_items: list[SourceWorkItem] = field(default_factory=list)
    deployments: list[SourceDeployment] = field(default_factory=list)
    # Every PR number a deployment heading names, including entries that were skipped:
    # the history check wants each of them recorded.
    deployment_prs: list[int] = field(default_factory=list)
    enhancements: list[SourceEnhancement] = field(default_factory=list)
    sessions: list[SourceSession] = field(default_factory=list)
    warnings: list[ParseWarning] = field(default_factory=list)
    empty: bool = False  # nothing but white space
    # (kind, heading, line) of every section read, and (heading, line) of those not read.
    sections: list[tuple[str, str, int]] = field(default_factory=list)
    unread_sections: list[tuple[str, int]] = field(default_factory=list)
    # The entries counted from the file's outline, apart from the readers.
    census: Census = field(default_factory=Census)
