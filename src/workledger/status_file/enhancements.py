"""The enhancements section: the report's lines and the legacy checklist bullets, one each."""

from __future__ import annotations

import re

from workledger.status_file.document import SourceEnhancement
from workledger.status_file.text import BULLET, SEPARATORS, Line, Reader, unmark

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
_STATUS_WORDS = {
    "planned": "planned",
    "approved": "approved",
    "implementing": "implementing",
    "in progress": "implementing",
    "completed": "completed",
    "done": "completed",
}


def read_enhancements(lines: list[Line], reader: Reader) -> list[SourceEnhancement]:
    """One entry per top-level bullet; indented lines below it are its description."""
    enhancements: list[SourceEnhancement] = []
    current: SourceEnhancement | None = None
    description: list[str] = []
    for line in lines:
        bullet = BULLET.match(line.text)
        indented = line.text[:1] in (" ", "\t")
        if current is not None and (indented or not line.text):
            description.append(line.text)
            continue
        _describe(current, description)
        current, description = None, []
        if bullet and (current := _enhancement(bullet["content"], line, reader)):
            enhancements.append(current)
    _describe(current, description)
    return enhancements


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
            year, q = quarter["year"] or quarter["year2"], quarter["q"] or quarter["q2"]
            changes["target_quarter"] = f"{year}-Q{q}"
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
