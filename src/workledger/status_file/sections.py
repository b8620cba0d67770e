"""Cutting a status file into its sections, recognised by what their headings say.

A heading names a section when its words name what the section holds (vendors,
deployments or releases, enhancements or the roadmap, session prompts, work items, spend),
whatever else it carries: "## 🏦 Vendors (17 total)", "### Current Deployments — 2025",
"## Sprint 12 — in progress". Words that only say how far work is ("Done", "Blocked",
"In progress") name work items when nothing else in the heading names a kind.

Sections are taken at one heading level, the one whose headings name the most kinds
(the shallower on a tie), so that a title like "# Vendor platform status" does not
swallow the file. A heading that names a kind deeper down, under a heading that is
no section, opens a section too ("## Status", then "### Vendors" below it). Headings
inside an open section are its content, re-levelled so that its direct sub-headings
read as ``###``, but for one naming tasks outright ("### TODO" under "## Vendors"): that
opens a work item section of its own until the next heading at its level or above.

Every other heading is either a container of sections (a title, "## Status") or is
named as unread, with its line, when anything (text or sub-headings) is below it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from workledger.status_file.text import DASHES, FENCE, YAML_KEY, Line, is_prose, plain

# The words (as ``plain`` gives them) that name each kind of section.
SECTION_WORDS: dict[str, tuple[str, ...]] = {
    "vendors": ("vendor", "vendors"),
    "work_items": (
        "work items",
        "work item",
        "tasks",
        "task",
        "todo",
        "todos",
        "to do",
        "backlog",
        "sprint",
        "sprints",
        "milestone",
        "milestones",
    ),
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
# Words that say how far work is: they name a work item section only when the heading
# names no other kind ("## Done" is work items; "## Completed releases" is deployments).
PROGRESS_WORDS = ("in progress", "wip", "doing", "done", "completed", "complete", "blocked")
# Of the work item words, those that open a section even inside another kind's section.
_OUTRIGHT_TASKS = frozenset(("tasks", "task", "todo", "todos", "to do", "backlog", "work items"))
SECTION_NAMES = {
    "vendors": "vendors",
    "work_items": "work items or tasks",
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


def _words(heading: str) -> str:
    """A heading's words, spaced on both sides, for finding whole phrases in them."""
    return f" {plain(heading)} "


def section_kind(heading: str) -> str | None:
    """The kind of section a heading's words name; the earliest named wins
    ("Deployments by vendor" holds deployments)."""
    words = _words(heading)
    found = [
        (position, kind)
        for phrase, kind in _PHRASES
        if (position := words.find(f" {phrase} ")) >= 0
    ]
    if found:
        return min(found)[1]
    return "work_items" if any(f" {word} " in words for word in PROGRESS_WORDS) else None


# At most this many words in a heading that opens a work item section inside another
# section: "TODO", "Open tasks", "Backlog (3)"; not a deployment's "2026-01-14 - PR #101:
# Fix the task list" or a vendor's longer name.
_SHORT_HEADING = 4


def names_tasks_outright(heading: str) -> bool:
    """Whether a short heading names tasks as such ("TODO", "Backlog", "Tasks"), not only
    how far some work is: such a heading opens a work item section anywhere."""
    words = _words(heading)
    short = len(words.split()) <= _SHORT_HEADING
    return short and any(f" {phrase} " in words for phrase in _OUTRIGHT_TASKS)


@dataclass
class Section:
    kind: str
    heading: str
    line: int
    lines: list[Line] = field(default_factory=list)


@dataclass(frozen=True)
class UnreadSection:
    """A heading with text or sub-headings below it that names no section and holds
    none: what is below it is not read."""

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


@dataclass
class _Outside:
    """A heading outside every section, while what is below it is being looked at."""

    heading: _Heading
    line: int
    has_content: bool = False
    holds_section: bool = False


def split_sections(text: str) -> Sections:
    """The sections of a status file, and the headings of those not read."""
    lines = [Line(n, raw.rstrip()) for n, raw in enumerate(text.splitlines(), start=1)]
    if lines and lines[0].text.startswith("\ufeff"):
        lines[0] = Line(1, lines[0].text.removeprefix("\ufeff"))
    headings = _headings(lines)
    level = _section_level(headings)
    result = Sections()
    open_sections: list[tuple[Section, int]] = []  # innermost last, with heading levels
    outside: list[_Outside] = []  # the enclosing headings that are no section

    def close(heading: _Outside) -> None:
        if heading.has_content and not heading.holds_section:
            result.unread.append(UnreadSection(heading.heading.text, heading.line))

    def open_section(heading: _Heading, number: int) -> None:
        section = Section(heading.kind or "work_items", heading.text, number)
        result.found.append(section)
        open_sections.append((section, heading.level))
        for enclosing in outside:
            enclosing.holds_section = True

    at = {h.index: h for h in headings}
    for index, line in enumerate(lines):
        heading = at.get(index)
        if heading is None:
            if open_sections:
                open_sections[-1][0].lines.append(line)
            elif outside and line.text.strip():
                outside[-1].has_content = True
            continue
        while open_sections and heading.level <= open_sections[-1][1]:
            open_sections.pop()
        while outside and heading.level <= outside[-1].heading.level:
            close(outside.pop())
        if open_sections:
            section, section_level = open_sections[-1]
            if section.kind != "work_items" and names_tasks_outright(heading.text):
                open_section(heading, line.number)
            else:
                depth = min(6, heading.level - section_level + 2)
                section.lines.append(Line(line.number, f"{'#' * depth} {heading.text}"))
            continue
        if outside:
            outside[-1].has_content = True
        if heading.kind is not None and level is not None and heading.level >= level:
            open_section(heading, line.number)
        else:
            outside.append(_Outside(heading, line.number))
    while outside:
        close(outside.pop())
    result.unread.sort(key=lambda unread: unread.line)
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
