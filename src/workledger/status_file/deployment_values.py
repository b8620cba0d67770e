"""The values of a deployment's fields as people write them: the work items it names,
its test counts, its vendors."""

from __future__ import annotations

import re
from collections.abc import Set

from workledger.status_file.text import NONE, Line, Reader, unmark


def work_item_refs(written: Line, pr: str, reader: Reader) -> list[str]:
    """The short ids of "`abcdef12` Title, `12345678` Other" (the titles are for people)."""
    refs = re.findall(r"`([0-9a-fA-F]{8})`", written.text)
    if not refs and not NONE.fullmatch(unmark(written.text) or "none"):
        reader.warn(written.number, f"{pr}: work items named without their `short id`, dropped")
    return [ref.lower() for ref in refs]


def test_summary(written: Line, pr: str, reader: Reader) -> dict[str, int]:
    """``{name: count}`` from "unit 12, integration 3" or "120 passed, 2 failed"."""
    text = unmark(written.text)
    summary: dict[str, int] = {}
    if NONE.fullmatch(text):
        return summary
    for part in filter(None, (part.strip() for part in re.split(r"[,;]", text))):
        named = re.fullmatch(r"(?P<name>.+?)(?:\s*[:=]\s*|\s+)(?P<count>\d+)", part)
        counted = re.fullmatch(r"(?P<count>\d+)\s+(?P<name>.+)", part)
        if match := named or counted:
            summary[match["name"]] = int(match["count"])
        else:
            reader.warn(written.number, f"{pr}: test count {part!r} not understood, dropped")
    return summary


def split_vendor_names(text: str, known: Set[str]) -> list[str]:
    """The names of a deployment's vendors line. Names may hold ", " themselves, so the
    line is matched against the known vendor names (the longest that fits first) when
    that reads all of it; otherwise it is split on commas."""
    text = unmark(text)
    if not text or NONE.fullmatch(text):
        return []
    # Where a name may end: before each ", ", and at the end of the line.
    ends = [match.start() for match in re.finditer(", ", text)] + [len(text)]
    names: list[str] = []
    position = 0
    while position < len(text):
        end = next((e for e in reversed(ends) if e > position and text[position:e] in known), None)
        if end is None:
            return [part.strip() for part in re.split(r"[,;]", text) if part.strip()]
        names.append(text[position:end])
        position = end + len(", ")
    return names
