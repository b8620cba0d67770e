"""The enhancements section: the report's lines, checklist bullets, tables and headings."""

from __future__ import annotations

import re
from dataclasses import dataclass

from workledger.status_file.census import entries
from workledger.status_file.document import Census, SourceEnhancement
from workledger.status_file.text import (
    BULLET,
    KEY_VALUE,
    NONE,
    SEPARATORS,
    SUBHEADING,
    Line,
    Reader,
    heading_level,
    plain,
    table_columns,
    table_row,
    unmark,
)

_REPORT_ENHANCEMENT = re.compile(
    r"^- \[(?P<priority>low|medium|high|critical)\] (?P<title>.+)"
    r" · (?P<status>planned|approved|implementing|completed)"
    r" · (?:(?P<quarter>\d{4}-Q[1-4])|unscheduled)$"
)
_CHECKBOX = re.compile(r"^\[(?P<mark>[ xX✓✔])\]\s*")
_LEADING_PRIORITY = re.compile(
    r"(?i)^(?:\[(?P<bracketed>low|medium|high|critical)\]\s*"
    r"|(?P<named>low|medium|high|critical)(?:\s+priority)?\s*(?:[:—\u2013·|]|-\s)\s*)"
)
# A trailing note, "Title (2026-Q1)" or "Title — Q3 2026", split off the rightmost one.
_PAREN_TAIL = re.compile(r"^(?P<head>.*?)\s*\((?P<meta>[^()]*)\)\s*$")
_SEPARATED_TAIL = re.compile(
    r"^(?P<head>.*\S)(?:\s*[—\u2013·|]\s*|\s+--?\s+)(?P<meta>[^—\u2013·|]+?)\s*$"
)
_QUARTER = re.compile(
    r"(?i)(?:target(?:\s+quarter)?\s*:?\s*)?"
    r"(?:(?P<year>\d{4})\s*[-/ ]?\s*Q(?P<q>[1-4])|Q(?P<q2>[1-4])\s*[-/ ]?\s*(?P<year2>\d{4}))"
)
_UNSCHEDULED = {"unscheduled", "tbd", "unplanned", "someday"}
_PRIORITY = re.compile(r"(?i)(?:priority\s*:?\s*)?(low|medium|high|critical)(?:\s+priority)?")
# Field names of an enhancement written as a sub-heading over ``- Key: value`` bullets.
_ENHANCEMENT_KEYS = {
    "priority": "priority",
    "status": "status",
    "quarter": "target_quarter",
    "target": "target_quarter",
    "target quarter": "target_quarter",
    "description": "description",
}
ENHANCEMENT_FIELDS = frozenset(_ENHANCEMENT_KEYS)
# Column names of an enhancements table.
_TABLE_KEYS = {
    **_ENHANCEMENT_KEYS,
    "title": "title",
    "enhancement": "title",
    "name": "title",
    "idea": "title",
}
_STATUS_WORDS = {
    "planned": "planned",
    "approved": "approved",
    "implementing": "implementing",
    "in progress": "implementing",
    "completed": "completed",
    "done": "completed",
}


@dataclass
class _Heading:
    """A sub-heading that may be an enhancement of its own (None: it had no title)."""

    entry: SourceEnhancement | None
    level: int
    fields: int = 0


def count_enhancements(lines: list[Line], census: Census) -> None:
    """The enhancement entries as the outline shows them, apart from ``read_enhancements``."""
    census.enhancements += [entry.line for entry in entries(lines, ENHANCEMENT_FIELDS)]


def read_enhancements(lines: list[Line], reader: Reader) -> list[SourceEnhancement]:
    """One entry per top-level bullet (indented lines below it are its description), per
    table row, or per sub-heading over ``- Priority: …`` field bullets."""
    found: list[SourceEnhancement] = []
    current: SourceEnhancement | None = None
    description: list[str] = []
    heading: _Heading | None = None
    columns: list[str | None] | None = None  # the table being read, by column
    for line in lines:
        bullet = BULLET.match(line.text)
        indented = line.text[:1] in (" ", "\t")
        if current is not None and (indented or not line.text):
            description.append(line.text)
            continue
        _describe(current, description)
        current, description = None, []
        is_row = line.text.lstrip().startswith("|")
        if not is_row:
            columns = None
        if match := SUBHEADING.match(line.text):
            _settle(heading, found, next_level=heading_level(line.text))
            heading = _Heading(
                _heading_enhancement(match[1], line, reader), heading_level(line.text)
            )
            continue
        if bullet and heading and _heading_field(heading, bullet["content"], line, reader):
            continue
        if is_row or bullet:
            _settle(heading, found, labels_entries=True)
            heading = None
        if is_row and columns is None:
            columns = table_columns(line.text, _TABLE_KEYS)
        elif is_row and columns is not None:
            if row := _table_enhancement(columns, line, reader):
                found.append(row)
        elif bullet and (current := _enhancement(bullet["content"], line, reader)):
            found.append(current)
    _describe(current, description)
    _settle(heading, found)
    return found


def _settle(
    heading: _Heading | None,
    found: list[SourceEnhancement],
    *,
    next_level: int = 0,
    labels_entries: bool = False,
) -> None:
    """Keeps a sub-heading as an enhancement, unless it only labels the entries that
    follow it, or the deeper sub-headings."""
    if heading is None or heading.entry is None:
        return
    if heading.fields or not (labels_entries or next_level > heading.level):
        found.append(heading.entry)


def _heading_enhancement(text: str, line: Line, reader: Reader) -> SourceEnhancement | None:
    title = unmark(text).strip(SEPARATORS)
    if not title:
        reader.warn(line.number, "enhancement heading without a title skipped")
        return None
    return SourceEnhancement(line=line.number, title=title)


def _heading_field(heading: _Heading, content: str, line: Line, reader: Reader) -> bool:
    """Reads a ``Key: value`` bullet under an enhancement heading; False when it is none."""
    field_match = KEY_VALUE.match(unmark(content))
    key = _ENHANCEMENT_KEYS.get(plain(field_match["key"])) if field_match else None
    if field_match is None or key is None:
        return False
    heading.fields += 1
    if heading.entry is not None:
        _set_field(heading.entry, key, field_match["value"], line, reader)
    return True


def _table_enhancement(
    columns: list[str | None], line: Line, reader: Reader
) -> SourceEnhancement | None:
    """A row of an enhancements table (``| Title | Priority | Status | Quarter |``)."""
    row = table_row(columns, line.text)
    if row is None:
        return None
    title = unmark(row.pop("title", ""))
    if not title:
        reader.warn(line.number, "enhancement row without a title skipped")
        return None
    entry = SourceEnhancement(line=line.number, title=title)
    for key, value in row.items():
        if unmark(value):
            _set_field(entry, key, value, line, reader)
    return entry


def _set_field(entry: SourceEnhancement, key: str, value: str, line: Line, reader: Reader) -> None:
    text = unmark(value)
    if key == "description":
        entry.description = text
    elif key == "priority" and (priority := _PRIORITY.fullmatch(text)):
        entry.priority = priority[1].lower()
    elif key == "status" and (status := _STATUS_WORDS.get(text.lower())):
        entry.status = status
    elif key == "target_quarter" and (quarter := _QUARTER.fullmatch(text)):
        entry.target_quarter = _quarter(quarter)
    elif key == "target_quarter" and (NONE.fullmatch(text) or text.lower() in _UNSCHEDULED):
        entry.target_quarter = None
    else:
        label = key.replace("_", " ")
        reader.warn(line.number, f"enhancement {entry.title}: cannot read {label} {value!r}")


def _describe(enhancement: SourceEnhancement | None, lines: list[str]) -> None:
    """Sets the description from the indented lines below the entry, dedented."""
    text = "\n".join(lines).strip("\n")
    if enhancement is None or not text.strip():
        return
    indent = min(len(line) - len(line.lstrip()) for line in text.splitlines() if line.strip())
    enhancement.description = "\n".join(line[indent:] for line in text.splitlines()).strip()


def _enhancement(content: str, line: Line, reader: Reader) -> SourceEnhancement | None:
    """The report's line exactly, else a legacy entry: ``[ ] **High**: Title (2026-Q1)``,
    ``Medium — Title — Q3 2026``, … (checked: completed; priority medium if unsaid)."""
    if match := _REPORT_ENHANCEMENT.match(line.text):
        return SourceEnhancement(
            line=line.number,
            title=match["title"],
            priority=match["priority"],
            status=match["status"],
            target_quarter=match["quarter"],
        )
    entry = SourceEnhancement(line=line.number, title="")
    if checkbox := _CHECKBOX.match(content):
        entry.status = "planned" if checkbox["mark"] == " " else "completed"
        content = content[checkbox.end() :]
    text = unmark(content)
    if priority := _LEADING_PRIORITY.match(text):
        entry.priority = (priority["bracketed"] or priority["named"]).lower()
        text = text[priority.end() :]
    while (tail := _PAREN_TAIL.match(text) or _SEPARATED_TAIL.match(text)) and _apply_meta(
        entry, tail["meta"]
    ):
        text = tail["head"]
    entry.title = text.strip(SEPARATORS)
    if not entry.title:
        reader.warn(line.number, "enhancement without a title skipped")
        return None
    return entry


def _apply_meta(entry: SourceEnhancement, text: str) -> bool:
    """Sets quarter, status or priority from a trailing "(2026-Q1, high)"-like note;
    False, changing nothing, unless every part of it is one of those."""
    changes: dict[str, str | None] = {}
    for part in (part.strip() for part in re.split(r"[,;]", text)):
        if quarter := _QUARTER.fullmatch(part):
            changes["target_quarter"] = _quarter(quarter)
        elif part.lower() in _UNSCHEDULED:
            changes["target_quarter"] = None
        elif status := _STATUS_WORDS.get(part.lower()):
            changes["status"] = status
        elif priority := _PRIORITY.fullmatch(part):
            changes["priority"] = priority[1].lower()
        else:
            return False
    for name, value in changes.items():
        setattr(entry, name, value)
    return bool(changes)


def _quarter(match: re.Match[str]) -> str:
    """``YYYY-Q#`` from a quarter written either way round ("2026-Q1", "Q1 2026")."""
    return f"{match['year'] or match['year2']}-Q{match['q'] or match['q2']}"
