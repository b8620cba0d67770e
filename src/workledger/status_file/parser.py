"""Reading ``.project_status.md`` into plain records.

Two shapes share one reader: the report workledger writes (``templates/status.md.j2``),
read exactly, and the hand-kept legacy file, read leniently. The file is cut into
``## `` sections; each known section is read entry by entry, and an entry that cannot be
read is skipped with a ParseWarning naming its line. Bad input never raises."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from workledger.status_file.deployments import read_deployments, split_vendor_names
from workledger.status_file.document import StatusDocument
from workledger.status_file.enhancements import read_enhancements
from workledger.status_file.sessions import read_session_files, read_session_section
from workledger.status_file.text import FENCE, Line, Reader, plain
from workledger.status_file.vendors import read_vendors
from workledger.status_file.work_items import read_work_items

# Section headings (case, emoji and punctuation aside) → what the section holds.
SECTION_ALIASES = {
    "vendors": ("vendor health", "vendors", "vendor status"),
    "work_items": ("active work items", "work items"),
    "deployments": ("latest deployments", "deployments", "deployment history"),
    "enhancements": ("pending enhancements", "future enhancements", "enhancements"),
    "sessions": ("session prompts", "sessions"),
}
_SECTION_OF = {alias: kind for kind, aliases in SECTION_ALIASES.items() for alias in aliases}

_SECTION_HEADING = re.compile(r"^##(?!#)\s*(.+?)(?:\s+#+)?\s*$")


def parse_status_file(text: str, *, source: str) -> StatusDocument:
    """The records a status file holds, with a warning for every entry skipped."""
    reader = Reader(StatusDocument(source=source))
    doc = reader.doc
    for kind, lines in _sections(text):
        if kind == "vendors":
            doc.vendors.extend(read_vendors(lines, reader))
        elif kind == "work_items":
            doc.work_items.extend(read_work_items(lines, reader))
        elif kind == "deployments":
            doc.deployments.extend(read_deployments(lines, reader))
        elif kind == "enhancements":
            doc.enhancements.extend(read_enhancements(lines, reader))
        elif kind == "sessions":
            sessions, warnings = read_session_section(source, lines)
            doc.sessions.extend(sessions)
            doc.warnings.extend(warnings)
    known = [vendor.name for vendor in doc.vendors]
    for deployment, names in reader.vendor_lists:
        deployment.vendor_names = split_vendor_names(names, known)
    doc.warnings.sort(key=lambda warning: warning.line)
    return doc


def read_status_file(path: Path, *, sessions: Path | None = None) -> StatusDocument:
    """The records of the status file at ``path`` and, given ``sessions``, of the session
    prompt files in that directory too. An unreadable file raises OSError or
    UnicodeDecodeError; anything inside it that cannot be read is a warning."""
    document = parse_status_file(path.read_text(encoding="utf-8"), source=str(path))
    if sessions is not None:
        prompts, warnings = read_session_files(sessions)
        document.sessions.extend(prompts)
        document.warnings.extend(warnings)
    return document


def _sections(text: str) -> Iterator[tuple[str | None, list[Line]]]:
    """``(kind, lines)`` per ``## `` section; kind None for sections not read. Text before
    the first section (the header) is skipped, and so are headings inside code fences."""
    kind: str | None = None
    lines: list[Line] = []
    in_code = False
    for number, raw in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        heading = None if in_code else _SECTION_HEADING.match(raw)
        if FENCE.match(raw):
            in_code = not in_code
        if heading is None:
            lines.append(Line(number, raw.rstrip()))
            continue
        if kind is not None:
            yield kind, lines
        kind, lines = _SECTION_OF.get(plain(heading[1])), []
    if kind is not None:
        yield kind, lines
