"""The work items section: the report's tree of work items, read exactly."""

from __future__ import annotations

import re

from workledger.schemas.spend import MICROS
from workledger.status_file.document import Census, SourceWorkItem
from workledger.status_file.text import BULLET, Line, Reader

_SHORT_ID = r"`[0-9a-f]{8}`"
_DEPENDENCY = rf"{_SHORT_ID}(?: \(blocks\))?"
_SPENT = r"(?:[0-9][0-9,]* (?:min|tokens?)|\$[0-9][0-9,]*\.[0-9]{2,6})"
# Read from the end of the line, so that a title may itself hold " · ".
_WORK_ITEM = re.compile(
    r"^(?P<indent> *)- \[(?P<type>project|session|task|research)\] (?P<title>.+)"
    r" · (?P<status>active|completed|blocked) · (?P<priority>low|medium|high|critical)"
    rf" · `(?P<short_id>[0-9a-f]{{8}})`"
    rf"(?: · depends on (?P<dependencies>{_DEPENDENCY}(?:, {_DEPENDENCY})*))?"
    # As short as it can be, but it may hold " · " too: the end of the line decides.
    r"(?: · assigned to (?P<assignee>.+?))?"
    # What was spent on it: the sums of its work log.
    rf"(?: · spent (?P<spent>{_SPENT}(?:, {_SPENT})*))?"
    # What it waits on follows from the dependencies' status: read past, not kept.
    rf"(?: · waiting on {_SHORT_ID} \([a-z]+\)(?:, {_SHORT_ID} \([a-z]+\))*)?"
    # How many comments it has: comments are not imported, so read past too.
    r"(?: · [1-9][0-9]* comments?)?$"
)
_DEPENDENCY_REF = re.compile(r"`(?P<short_id>[0-9a-f]{8})`(?P<blocks> \(blocks\))?")


# Counted apart from the reader's line pattern: any bullet is an item, its short id
# wherever it stands on the line.
_COUNTED_SHORT_ID = re.compile(r"`([0-9a-f]{8})`")


def count_work_items(lines: list[Line], census: Census) -> None:
    """Every bullet of the tree, with its short id, apart from ``read_work_items``;
    and which of them are ``[session]`` items (the session prompts of the report)."""
    for line in lines:
        if bullet := BULLET.match(line.text):
            short = _COUNTED_SHORT_ID.search(line.text)
            census.work_items.append((line.number, short[1] if short else None))
            if bullet["content"].startswith("[session]"):
                census.work_item_sessions.append(line.number)


def read_work_items(lines: list[Line], reader: Reader) -> list[SourceWorkItem]:
    """The tree, two spaces of indentation per level; parents from the enclosing item."""
    items: list[SourceWorkItem] = []
    ancestors: list[SourceWorkItem] = []  # the enclosing items, root first
    for line in lines:
        if not BULLET.match(line.text):
            continue
        match = _WORK_ITEM.match(line.text)
        if match is None:
            reader.warn(line.number, "work item line not understood, skipped")
            continue
        depth = len(match["indent"]) // 2
        del ancestors[depth:]
        if depth > len(ancestors):
            reader.warn(line.number, "work item indented deeper than under its parent")
            depth = len(ancestors)
        item = SourceWorkItem(
            line=line.number,
            item_type=match["type"],
            title=match["title"],
            status=match["status"],
            priority=match["priority"],
            depth=depth,
            short_id=match["short_id"],
            parent_short_id=ancestors[-1].short_id if ancestors else None,
            # "ada@example.com via claude-code": the client holds it; a claim by an
            # account is not made by importing it.
            assignee=(match["assignee"] or "").rpartition(" via ")[2] or None,
            dependencies=[
                (ref["short_id"], "blocks" if ref["blocks"] else "depends_on")
                for ref in _DEPENDENCY_REF.finditer(match["dependencies"] or "")
            ],
            spent=_spent(match["spent"]) if match["spent"] else None,
        )
        items.append(item)
        ancestors.append(item)
    return items


def _spent(said: str) -> tuple[int, int, int]:
    """``25 min, 48,000 tokens, $1.50`` (each part optional) as (minutes, tokens,
    millionths of a USD)."""
    minutes = tokens = micros = 0
    for part in said.split(", "):
        if part.startswith("$"):
            whole, _, fraction = part[1:].replace(",", "").partition(".")
            micros = int(whole) * MICROS + int(fraction.ljust(6, "0"))
        elif part.endswith(" min"):
            minutes = int(part.removesuffix(" min").replace(",", ""))
        else:
            tokens = int(part.partition(" ")[0].replace(",", ""))
    return minutes, tokens, micros
