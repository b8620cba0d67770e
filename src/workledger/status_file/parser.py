"""Reading ``.project_status.md`` into plain records.

Two shapes share one reader: the report workledger writes (``templates/status.md.j2``),
read exactly, and the hand-kept legacy file, read leniently. The file is cut into
sections by what their headings say (``sections.py``); each is read entry by entry, and
an entry that cannot be read is skipped with a ParseWarning naming its line, as is a
section that is not read. Apart from the readers, each section's module counts its
entries from the file's outline (with ``census.py``), for the reconciliation checks.
Bad input never raises."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from workledger.status_file.deployment_census import count_deployments
from workledger.status_file.deployment_values import split_vendor_names
from workledger.status_file.deployments import read_deployments
from workledger.status_file.document import Census, StatusDocument
from workledger.status_file.enhancements import count_enhancements, read_enhancements
from workledger.status_file.sections import SECTION_NAMES, split_sections
from workledger.status_file.sessions import (
    count_sessions,
    read_session_files,
    read_session_section,
    session_file_paths,
)
from workledger.status_file.text import Line, Reader
from workledger.status_file.vendors import count_vendors, read_vendors
from workledger.status_file.work_items import count_work_items, read_work_items

# How each kind of section is counted from its outline, apart from its reader.
COUNTS: dict[str, Callable[[list[Line], Census], None]] = {
    "vendors": count_vendors,
    "work_items": count_work_items,
    "deployments": count_deployments,
    "enhancements": count_enhancements,
    "sessions": count_sessions,
    "spend": lambda _lines, _census: None,  # sums of the work log: nothing is imported
}


def parse_status_file(text: str, *, source: str) -> StatusDocument:
    """The records a status file holds, with a warning for every entry skipped."""
    reader = Reader(StatusDocument(source=source))
    doc = reader.doc
    sections = split_sections(text)
    for unread in sections.unread:
        reader.warn(
            unread.line,
            f"section {unread.heading!r} not read: its heading names none of "
            f"{', '.join(SECTION_NAMES.values())}",
        )
    for section in sections.found:
        kind, lines = section.kind, section.lines
        if kind == "vendors":
            doc.vendors.extend(read_vendors(lines, reader))
        elif kind == "work_items":
            doc.work_items.extend(read_work_items(lines, reader, heading=section.heading))
        elif kind == "deployments":
            doc.deployments.extend(read_deployments(lines, reader))
        elif kind == "enhancements":
            doc.enhancements.extend(read_enhancements(lines, reader))
        elif kind == "sessions":
            sessions, warnings = read_session_section(source, lines)
            doc.sessions.extend(sessions)
            doc.warnings.extend(warnings)
    doc.empty = not text.strip()
    doc.sections = [(section.kind, section.heading, section.line) for section in sections.found]
    doc.unread_sections = [(unread.heading, unread.line) for unread in sections.unread]
    for section in sections.found:
        COUNTS[section.kind](section.lines, doc.census)
    known = {vendor.name for vendor in doc.vendors}
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
        document.census.session_files = [str(path) for path in session_file_paths(sessions)]
        document.sessions.extend(prompts)
        document.warnings.extend(warnings)
    return document
