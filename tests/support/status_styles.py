"""One data set, rendered as hand-kept status files in the shapes people write.

Every style holds the same vendors, deployments, enhancements and session prompts, in
its own headings (counts, emoji, dates, "current", other levels), layouts (sub-headings
with fields, one-line bullets, nested bullets, tables) and wordings (test counts,
formats, versions, manifest and compliance words). An import of any style must give
the same records. ``render(style, broken=KIND)`` also spoils the second entry of that
kind, and says on which line that entry starts: a vendor's values become "???", a
deployment's commit is no commit, an enhancement loses its title, a session prompt's
YAML does not parse."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

FORMATS = ("excel", "csv", "pdf", "ocr")


@dataclass(frozen=True)
class Vendor:
    name: str
    status: str
    passing: int
    total: int
    skipped: int
    formats: tuple[str, ...]
    version: str
    manifest: bool

    @property
    def failed(self) -> int:
        return self.total - self.passing - self.skipped


@dataclass(frozen=True)
class Deployment:
    pr: int
    title: str
    commit: str
    at: datetime
    vendors: tuple[str, ...]
    tests: dict[str, int]
    compliant: bool


@dataclass(frozen=True)
class Enhancement:
    title: str
    priority: str
    status: str
    quarter: str | None


@dataclass(frozen=True)
class Session:
    title: str
    token_budget: int
    prompts_count: int
    body: str


VENDORS = (
    Vendor("Alpha Credit Union", "operational", 45, 50, 2, ("excel", "csv"), "2.1.0", True),
    Vendor("Banco Pacifico", "broken", 12, 30, 4, ("pdf",), "1.0.3", False),
    Vendor("Cascade Savings", "operational", 18, 20, 0, ("pdf", "ocr"), "2024.11", True),
    Vendor("Delta Federal", "operational", 60, 60, 0, FORMATS, "3.2.0", True),
    Vendor("Evergreen Trust", "broken", 7, 15, 1, (), "0.4.0", False),
)
DEPLOYMENTS = (
    Deployment(
        101,
        "First batch of extractors",
        "3f2a9c1b7d4e5f60718293a4b5c6d7e8f9012345",
        datetime(2025, 1, 14),
        ("Alpha Credit Union", "Banco Pacifico"),
        {"unit": 120, "integration": 30},
        True,
    ),
    Deployment(
        107,
        "Cascade and Delta extractors",
        "9b8a7c6d5e4f30211203948576a5b4c3d2e1f009",
        datetime(2025, 2, 3, 14, 3),
        ("Cascade Savings", "Delta Federal"),
        {"unit": 131},
        False,
    ),
    Deployment(
        112,
        "Fix Evergreen date parsing",
        "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
        datetime(2025, 2, 20),
        ("Evergreen Trust",),
        {"unit": 88, "e2e": 4},
        True,
    ),
)
ENHANCEMENTS = (
    Enhancement("OCR for scanned statements", "high", "planned", "2026-Q1"),
    Enhancement("Excel macro workbooks", "medium", "completed", "2025-Q3"),
    Enhancement("Vendor logo cache", "low", "planned", None),
)
SESSIONS = (
    Session("Vendor inventory kickoff", 50_000, 3, "List every vendor we have an extractor for."),
    Session("Deployment history backfill", 120_000, 5, "Write a deployment entry for each PR."),
    Session("OCR provider comparison", 200_000, 8, "Compare three OCR providers on 40 scans."),
)
KINDS = ("vendor", "deployment", "enhancement", "session")
UNREADABLE = "???"


@dataclass
class Page:
    """The lines written so far, and where the spoilt entry starts."""

    broken: str | None
    lines: list[str] = field(default_factory=list)
    broken_line: int | None = None

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def entry(self, kind: str, index: int) -> bool:
        """Call before writing entry ``index`` of ``kind``: True when it is the one to
        spoil (the second of its kind), noting the line it starts on."""
        spoil = self.broken == kind and index == 1
        if spoil:
            self.broken_line = len(self.lines) + 1
        return spoil

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


Style = Callable[[Page], None]


def render(style: Style, *, broken: str | None = None) -> tuple[str, int | None]:
    """The file in ``style``, and the line of the spoilt entry when ``broken`` names one."""
    page = Page(broken)
    style(page)
    return page.text, page.broken_line


# --- pieces several styles share -------------------------------------------------------


def marks(vendor: Vendor, yes: str = "✓", no: str = "✗", separator: str = ", ") -> str:
    return separator.join(
        f"{FORMAT_LABELS[name]} {yes if name in vendor.formats else no}" for name in FORMATS
    )


FORMAT_LABELS = {"excel": "Excel", "csv": "CSV", "pdf": "PDF", "ocr": "OCR"}


def listed(vendor: Vendor, separator: str = ", ") -> str:
    return separator.join(vendor.formats) or "none"


def date_of(d: Deployment) -> str:
    return f"{d.at:%Y-%m-%d}" + (f" {d.at:%H:%M}" if d.at.hour or d.at.minute else "")


def tally(d: Deployment) -> str:
    return ", ".join(f"{name} {count}" for name, count in d.tests.items())


def commit_of(d: Deployment, spoil: bool) -> str:
    return "not-a-commit" if spoil else d.commit


def frontmatter(page: Page, index: int, session: Session, *, fenced: bool = False) -> None:
    """A prompt's YAML block and body; without a heading above it, the title is inside."""
    spoil = page.entry("session", index)
    opening, closing = ("```yaml", "```") if fenced else ("---", "---")
    page.add(opening, "schema_version: 1", f"title: {session.title}")
    page.add(
        f"token_budget: {session.token_budget}",
        f"prompts_count: {session.prompts_count}",
        "tags: [vendors, history" + ("" if spoil else "]"),
        closing,
        session.body,
        "",
    )


def sessions_under_headings(page: Page, level: str = "###", fenced: bool = False) -> None:
    for index, session in enumerate(SESSIONS):
        page.add(f"{level} {session.title}")
        frontmatter(page, index, session, fenced=fenced)


def field_block(
    page: Page, level: str, vendor: Vendor, index: int, fields: list[tuple[str, str]]
) -> None:
    """A vendor as a heading over ``- Key: value`` bullets (keys given with their colon)."""
    spoil = page.entry("vendor", index)
    page.add(f"{level} {vendor.name}")
    page.add(*(f"- {key} {UNREADABLE if spoil else value}" for key, value in fields), "")


def deployment_blocks(
    page: Page, heading: Callable[[Deployment], str], key: Callable[[str], str]
) -> None:
    for index, d in enumerate(DEPLOYMENTS):
        spoil = page.entry("deployment", index)
        page.add(
            heading(d),
            f"- {key('Commit')} `{commit_of(d, spoil)}`",
            f"- {key('Vendors')} {', '.join(d.vendors)}",
            f"- {key('Tests')} {tally(d)}",
            f"- {key('Compliance')} {'✅' if d.compliant else '❌'}",
            "",
        )


def checkboxes(page: Page) -> None:
    for index, e in enumerate(ENHANCEMENTS):
        spoil = page.entry("enhancement", index)
        box = "[x]" if e.status == "completed" else "[ ]"
        rest = "" if spoil else f" {e.title}" + (f" ({e.quarter})" if e.quarter else "")
        page.add(f"- {box} **{e.priority.capitalize()}**:{rest}")
    page.add("")


# --- the styles -----------------------------------------------------------------------


def headings_with_counts(page: Page) -> None:
    """Sub-headings with field bullets; counts in the section headings."""
    page.add("# Extractors: project status", "", "Kept by hand. (Prose is not read.)", "")
    page.add(f"## Vendors ({len(VENDORS)} total)", "")
    for index, v in enumerate(VENDORS):
        field_block(
            page,
            "###",
            v,
            index,
            [
                ("Status:", f"{'✅' if v.status == 'operational' else '❌'} {v.status}"),
                ("Tests:", f"{v.passing}/{v.total} passing ({v.skipped} skipped)"),
                ("Formats:", marks(v)),
                ("Version:", f"v{v.version}"),
                ("Manifest:", "✅" if v.manifest else "❌"),
            ],
        )
    page.add(f"## Deployments ({len(DEPLOYMENTS)})", "")
    deployment_blocks(
        page, lambda d: f"### {date_of(d)} - PR #{d.pr}: {d.title}", lambda k: f"{k}:"
    )
    page.add(f"## Future Enhancements ({len(ENHANCEMENTS)} open)", "")
    checkboxes(page)
    page.add(f"## Session Prompts ({len(SESSIONS)})", "")
    sessions_under_headings(page)


def emoji_one_liners(page: Page) -> None:
    """Emoji headings; one-line vendors with commas inside "·" lines; PR before date."""
    page.add("# 📊 Status", "")
    page.add("## 🏦 Vendor Status — Current", "")
    for index, v in enumerate(VENDORS):
        spoil = page.entry("vendor", index)
        dot = "🟢" if v.status == "operational" else "🔴"
        values = [
            f"{dot} {v.status}",
            f"{v.passing} of {v.total} ({v.skipped} skipped)",
            listed(v) if v.formats else "formats none",
            f"v{v.version}",
            f"manifest {'ok' if v.manifest else 'no'}",
        ]
        page.add(f"- **{v.name}** · " + " · ".join([UNREADABLE] * 5 if spoil else values))
    page.add("", "## 🚀 Releases 🚀", "")
    deployment_blocks(
        page, lambda d: f"### PR #{d.pr} — {date_of(d)}: {d.title}", lambda k: f"**{k}:**"
    )
    page.add("## 🗺️ Roadmap", "")
    for index, e in enumerate(ENHANCEMENTS):
        spoil = page.entry("enhancement", index)
        tail = ", ".join(filter(None, [e.quarter, "done" if e.status == "completed" else None]))
        rest = " —" if spoil else f" — {e.title}" + (f" — {tail}" if tail else "")
        page.add(f"* {e.priority.capitalize()}{rest}")
    page.add("", "## 🧠 Session prompts", "")
    sessions_under_headings(page, fenced=True)


def tables_with_dates(page: Page) -> None:
    """Tables everywhere, check-mark format columns, dated headings."""
    page.add("# Status as of 2025-09-30", "")
    page.add("## Vendors — 2025-09-30", "")
    page.add(
        "| Vendor | Status | Tests | Excel | CSV | PDF | OCR | Version | Manifest |",
        "|---|---|---|:-:|:-:|:-:|:-:|---|---|",
    )
    for index, v in enumerate(VENDORS):
        spoil = page.entry("vendor", index)
        cells = [
            v.status,
            f"{v.passing} passed, {v.failed} failed, {v.skipped} skipped",
            *("✓" if name in v.formats else "✗" for name in FORMATS),
            v.version,
            "yes" if v.manifest else "no",
        ]
        page.add(f"| {v.name} | " + " | ".join([UNREADABLE] * 8 if spoil else cells) + " |")
    page.add("", "## Deployment history (updated 2025-09-30)", "")
    page.add(
        "| Date | PR | Title | Commit | Vendors | Tests | Compliance |",
        "|---|---|---|---|---|---|---|",
    )
    for index, d in enumerate(DEPLOYMENTS):
        spoil = page.entry("deployment", index)
        page.add(
            f"| {date_of(d)} | #{d.pr} | {d.title} | `{commit_of(d, spoil)}` | "
            f"{', '.join(d.vendors)} | {tally(d)} | {'yes' if d.compliant else 'no'} |"
        )
    page.add("", "## Enhancements — 2026 plan", "")
    page.add("| Title | Priority | Status | Quarter |", "|---|---|---|---|")
    for index, e in enumerate(ENHANCEMENTS):
        spoil = page.entry("enhancement", index)
        title = "" if spoil else e.title
        page.add(f"| {title} | {e.priority} | {e.status} | {e.quarter or '—'} |")
    page.add("", f"## Sessions ({len(SESSIONS)})", "")
    for index, session in enumerate(SESSIONS):
        frontmatter(page, index, session)


def nested_levels(page: Page) -> None:
    """Sections at level 3 under a "## Status" wrapper; records as level-4 headings."""
    page.add("# Project", "", "## Status", "")
    page.add("### Current vendors", "")
    for index, v in enumerate(VENDORS):
        field_block(
            page,
            "####",
            v,
            index,
            [
                ("**Status:**", v.status),
                ("**Tests:**", f"passing {v.passing} / total {v.total} / skipped {v.skipped}"),
                ("**Formats:**", f"[{listed(v, '/')}]" if v.formats else "none"),
                ("**Version:**", v.version),
                ("**Manifest:**", "true" if v.manifest else "false"),
            ],
        )
    page.add("### Deployments", "")
    deployment_blocks(
        page, lambda d: f"#### {date_of(d)} · PR #{d.pr} · {d.title}", lambda k: f"{k}:"
    )
    page.add("### Enhancements", "")
    for index, e in enumerate(ENHANCEMENTS):
        spoil = page.entry("enhancement", index)
        page.add(f"#### {'**' if spoil else e.title}")
        page.add(f"- Priority: {e.priority}", f"- Status: {e.status}")
        page.add(f"- Target quarter: {e.quarter or 'unscheduled'}", "")
    page.add("### Session prompts", "")
    sessions_under_headings(page, level="####")


def level_one_sections(page: Page) -> None:
    """Every section a ``#`` heading; vendors as ``##`` headings with bold keys."""
    page.add("# Vendors", "")
    for index, v in enumerate(VENDORS):
        field_block(
            page,
            "##",
            v,
            index,
            [
                ("**Status**:", "🟢" if v.status == "operational" else "🔴"),
                ("**Test results**:", f"{v.passing}/{v.total}, {v.skipped} skipped"),
                ("**Format support**:", f"({listed(v, ' ')})" if v.formats else "none"),
                ("**Extractor version**:", f"v{v.version}"),
                ("**Manifest compliant**:", "✓" if v.manifest else "✗"),
            ],
        )
    page.add("# Deployments", "")
    deployment_blocks(page, lambda d: f"## {date_of(d)} — PR {d.pr}: {d.title}", lambda k: f"{k}:")
    page.add("# Future work", "")
    checkboxes(page)
    page.add("# Prompts", "")
    sessions_under_headings(page, level="##")


def nested_bullets(page: Page) -> None:
    """A bullet per vendor with its fields as bullets below it."""
    page.add("# Status", "", "## Vendors: the current list", "")
    for index, v in enumerate(VENDORS):
        spoil = page.entry("vendor", index)
        fields = [
            ("status", v.status),
            ("tests", f"{v.passing}/{v.total} passing, {v.skipped} skipped"),
            ("formats", listed(v, " / ")),
            ("version", v.version),
            ("manifest", "compliant" if v.manifest else "not compliant"),
        ]
        page.add(f"- **{v.name}**")
        page.add(*(f"  - {key}: {UNREADABLE if spoil else value}" for key, value in fields))
    page.add("", "## Deployments — current", "")
    deployment_blocks(
        page,
        lambda d: f"### {date_of(d)} UTC \u2013 PR#{d.pr}: {d.title}",
        lambda k: f"{k.lower()}:",
    )
    page.add("## Pending enhancements", "")
    for index, e in enumerate(ENHANCEMENTS):
        spoil = page.entry("enhancement", index)
        meta = ", ".join(filter(None, [e.priority, e.status, e.quarter]))
        page.add(f"- ({meta})" if spoil else f"- {e.title} ({meta})")
    page.add("", "## Session prompts", "")
    for index, session in enumerate(SESSIONS):
        frontmatter(page, index, session)


def sloppy_one_liners(page: Page) -> None:
    """Dashes between fields, mixed wording, a prose section that is not read."""
    page.add("# Status", "", "## Overview", "", "Prose only: not read.", "")
    page.add("## Vendors 2025", "")
    for index, v in enumerate(VENDORS):
        spoil = page.entry("vendor", index)
        values = [
            v.status,
            f"tests {v.passing}/{v.total}, {v.skipped} skipped",
            f"formats {listed(v)}",
            f"version {v.version}",
            f"manifest: {'yes' if v.manifest else 'no'}",
        ]
        page.add(f"* {v.name} — " + " — ".join([UNREADABLE] * 5 if spoil else values))
    page.add("", "## Latest releases", "")
    deployment_blocks(
        page, lambda d: f"### {date_of(d)} - PR {d.pr} - {d.title}", lambda k: f"{k} :"
    )
    page.add("## Roadmap (2025\u20132026)", "")
    for index, e in enumerate(ENHANCEMENTS):
        spoil = page.entry("enhancement", index)
        box = "[x]" if e.status == "completed" else "[ ]"
        rest = "" if spoil else f" {e.title}" + (f" — {e.quarter}" if e.quarter else "")
        page.add(f"- {box} [{e.priority.capitalize()}]{rest}")
    page.add("", "## Session prompts (3 total)", "")
    sessions_under_headings(page)


def mixed_tables(page: Page) -> None:
    """A vendor table in another column order with spaced format marks."""
    page.add("# Vendor platform status", "")
    page.add("## Vendors (table)", "")
    page.add(
        "| Name | Version | Status | Test results | Format support | Manifest compliant |",
        "|:--|:-:|:-:|:--|:--|:-:|",
    )
    for index, v in enumerate(VENDORS):
        spoil = page.entry("vendor", index)
        cells = [
            v.version,
            v.status,
            f"{v.passing}/{v.total} passing, {v.skipped} skipped",
            marks(v, "✔", "✘", " "),
            "✔" if v.manifest else "✘",
        ]
        page.add(f"| {v.name} | " + " | ".join([UNREADABLE] * 5 if spoil else cells) + " |")
    page.add("", "## Deployments", "")
    deployment_blocks(
        page,
        lambda d: f"### {d.at:%Y-%m-%d %H:%M} UTC - PR #{d.pr}: {d.title}",
        lambda k: f"**{k}**:",
    )
    page.add("## Enhancements", "")
    checkboxes(page)
    page.add("## Session Prompts", "")
    for index, session in enumerate(SESSIONS):
        frontmatter(page, index, session)


STYLES: dict[str, Style] = {
    "headings with counts": headings_with_counts,
    "emoji and one-liners": emoji_one_liners,
    "tables and dates": tables_with_dates,
    "nested levels": nested_levels,
    "level-one sections": level_one_sections,
    "nested bullets": nested_bullets,
    "sloppy one-liners": sloppy_one_liners,
    "mixed tables": mixed_tables,
}
