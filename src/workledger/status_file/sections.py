"""Cutting a status file into its sections, recognised by what their headings say.

A heading names a section when its words name what the section holds (vendors,
deployments or releases, enhancements or the roadmap, session prompts, work items, spend),
whatever else it carries: "## 🏦 Vendors (17 total)", "### Current Deployments — 2025".
Sections are taken at one heading level, the one whose headings name the most kinds
(the shallower on a tie), so that a title like "# Vendor platform status" does not
swallow the file. A heading that names a kind deeper down, under a heading that is
no section, opens a section too ("## Status", then "### Vendors" below it). Headings inside an open
section are its content, re-levelled so that its direct sub-headings read as ``###``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from workledger.status_file.text import DASHES, FENCE, YAML_KEY, Line, is_prose, plain

# The words (as ``plain`` gives them) that name each kind of section.
SECTION_WORDS: dict[str, tuple[str, ...]] = {
    "vendors": ("vendor", "vendors"),
    "work_items": ("work items", "work item"),
    "deployments": ("deployment", "deployments", "deploys", "release", "releases"),
    "enhancements": (
        "enhancement",
        "enhancements",
        "roadmap",
        "future work",
        "planned work",
    ),
    "sessions": ("session prompts", "session prompt", "sessions", "prompts"),
    "spend": ("spend", "work log"),
}
SECTION_NAMES = {
    "vendors": "vendors",
    "work_items": "work items",
    "deployments": "deployments",
    "enhancements": "enhancements",
    "sessions": "session prompts",
    "spend": "spend",
}
_PHRASES = sorted(
    ((phrase, kind) for kind, phrases in SECTION_WORDS.items() for phrase in phrases),
    key=lambda pair: -len(pair[0]),
)
# ``# Title`` (a space after one ``#``, so "#101 fixed" is no heading), ``##Title``, …
HEADING = re.compile(
    r"^(?P<marks>#{1,6})(?!#)(?:[ \t]+|(?<=##)[ \t]*)(?P<text>\S.*?)(?:[ \t]+#+)?[ \t]*$"
)


def section_kind(heading: str) -> str | None:
    """The kind of section a heading's words name; the earliest named wins
    ("Deployments by vendor" holds deployments)."""
    words = f" {plain(heading)} "
    found = [
        (position, kind)
        for phrase, kind in _PHRASES
        if (position := words.find(f" {phrase} ")) >= 0
    ]
    return min(found)[1] if found else None


@dataclass
class Section:
    kind: str
    heading: str
    line: int
    lines: list[Line] = field(default_factory=list)


@dataclass(frozen=True)
class UnreadSection:
    """A heading with text below it that names no section: its text is not read."""

    heading: str
    line: int


@dataclass
class Sections:
    found: list[Section] = field(default_factory=list)
    unread: list[UnreadSection] = field(default_factory=list)


@dataclass(frozen=True)
class _Heading:
    index: int
    level: int
    text: str
    kind: str | None


def split_sections(text: str) -> Sections:
    """The sections of a status file, and the headings of those not read."""
    lines = [Line(n, raw.rstrip()) for n, raw in enumerate(text.splitlines(), start=1)]
    if lines and lines[0].text.startswith("\ufeff"):
        lines[0] = Line(1, lines[0].text.removeprefix("\ufeff"))
    headings = _headings(lines)
    level = _section_level(headings)
    # Headings at this level (and ``##`` ones) that open no section are named as unread.
    unread_level = max(level or 2, 2)
    result = Sections()
    open_section: Section | None = None
    open_level = 0
    # The unread heading being looked at: does any text follow it before the next heading?
    pending: UnreadSection | None = None
    at = {h.index: h for h in headings}
    for index, line in enumerate(lines):
        heading = at.get(index)
        if heading is not None and open_section is not None and heading.level > open_level:
            depth = min(6, heading.level - open_level + 2)
            open_section.lines.append(Line(line.number, f"{'#' * depth} {heading.text}"))
            continue
        if heading is not None:
            open_section, pending = None, None
            if heading.kind is not None and level is not None and heading.level >= level:
                open_section = Section(heading.kind, heading.text, line.number)
                open_level = heading.level
                result.found.append(open_section)
            elif heading.level == level or 2 <= heading.level <= unread_level:
                pending = UnreadSection(heading.text, line.number)
            continue
        if open_section is not None:
            open_section.lines.append(line)
        elif pending is not None and line.text.strip():
            result.unread.append(pending)
            pending = None
    return result


def _headings(lines: list[Line]) -> list[_Heading]:
    """Every heading outside code fences and outside ``---`` frontmatter blocks (where
    "# …" is a YAML comment)."""
    found = []
    in_code = in_frontmatter = False
    for index, line in enumerate(lines):
        if is_prose(line.text):
            continue
        if FENCE.match(line.text):
            in_code = not in_code
            continue
        if not in_code and DASHES.match(line.text):
            following = lines[index + 1].text if index + 1 < len(lines) else ""
            in_frontmatter = not in_frontmatter and bool(YAML_KEY.match(following))
            continue
        if in_frontmatter and line.text.startswith("# "):
            continue
        if not in_code and (match := HEADING.match(line.text)):
            text = match["text"]
            found.append(_Heading(index, len(match["marks"]), text, section_kind(text)))
    return found


def _section_level(headings: list[_Heading]) -> int | None:
    """The heading level whose headings name the most kinds of section (the shallower
    on a tie); None when no heading names one."""
    kinds: dict[int, set[str]] = {}
    for heading in headings:
        if heading.kind is not None:
            kinds.setdefault(heading.level, set()).add(heading.kind)
    if not kinds:
        return None
    return min(kinds, key=lambda level: (-len(kinds[level]), level))
