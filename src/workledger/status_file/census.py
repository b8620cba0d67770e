"""Counting a status file's entries from its outline alone, apart from the entry readers.

Each section's module counts its own entries into the ``Census`` with these helpers
(``count_vendors``, …), and the reconciliation checks compare those counts with the
database. They come from the shape of each section (its bullets, table rows,
sub-headings and frontmatter blocks), never from the readers that turn entries into
records, so an entry that a reader misses still counts and its check fails, naming the
entry's line.

A sub-heading is an entry of its own when the bullets below it start with fields of
the section's records ("Status: …", "Commit: …"); otherwise it only groups the bullets
and table rows below it, and those are the entries."""

from __future__ import annotations

import re
from dataclasses import dataclass

from workledger.status_file.text import (
    BULLET,
    DASHES,
    FENCE,
    SUBHEADING,
    YAML_FENCE,
    YAML_KEY,
    Line,
    heading_level,
    is_prose,
    plain,
    unmark,
)

# A field of a block: "Commit:", "Work items:".
FIELD_LABEL = re.compile(r"^(?P<label>[A-Za-z][A-Za-z /]{0,40}?)\s*:")
_TABLE_SEPARATOR = re.compile(r"^\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?$")


@dataclass
class Entry:
    line: int
    lines: list[Line]


def entries(lines: list[Line], fields: frozenset[str]) -> list[Entry]:
    """The entries of one section: record sub-headings, top-level bullets, table rows.

    A sub-heading is a record when the bullets right below it start with a run of
    ``Key: value`` fields holding one of the record's own field names (the run is its
    fields; bullets after it are entries again), or when nothing at all is below it;
    otherwise it is a group label."""
    found: list[Entry] = []
    blocks = _blocks(lines)
    for (heading, body), (following, _) in zip(blocks, [*blocks[1:], (None, [])], strict=True):
        bullets = _top_level_bullets(body)
        rows = _table_rows(body)
        run = 0
        while run < len(bullets) and _field_label(bullets[run].text) is not None:
            run += 1
        own_fields = any(_field_label(b.text) in fields for b in bullets[:run])
        bare = not bullets and not rows and not _deeper(following, than=heading)
        if heading is not None and (own_fields or bare):
            found.append(Entry(heading.number, [heading, *body]))
            bullets = bullets[run:]
        found += [Entry(line.number, [line]) for line in sorted(bullets + rows)]
    return found


def _deeper(heading: Line | None, *, than: Line | None) -> bool:
    if heading is None or than is None:
        return False
    return heading_level(heading.text) > heading_level(than.text)


def frontmatter_blocks(lines: list[Line]) -> list[int]:
    """The opening line of every frontmatter block: ``---`` followed by a ``key:`` line,
    or a fenced ``yaml`` block right below a sub-heading. Other code is skipped."""
    found: list[int] = []
    index, after_heading = 0, False
    while index < len(lines):
        text = lines[index].text
        if is_prose(text):
            index += 1
            after_heading = after_heading and not text.strip()
            continue
        following = lines[index + 1].text if index + 1 < len(lines) else ""
        if DASHES.match(text) and YAML_KEY.match(following):
            found.append(lines[index].number)
            index = _after(lines, index, DASHES)
        elif YAML_FENCE.match(text) and after_heading:
            found.append(lines[index].number)
            index = _after(lines, index, FENCE)
        elif FENCE.match(text):
            index = _after(lines, index, FENCE)
        else:
            index += 1
        if text.strip():
            after_heading = bool(SUBHEADING.match(text))
    return found


def _after(lines: list[Line], opening: int, closing: re.Pattern[str]) -> int:
    """The index after the line that closes the block opened at ``opening``."""
    for index in range(opening + 1, len(lines)):
        if closing.match(lines[index].text):
            return index + 1
    return len(lines)


def _blocks(lines: list[Line]) -> list[tuple[Line | None, list[Line]]]:
    """The section cut at its sub-headings: (heading or None for the text above the
    first one, the lines below it), leaving out fenced code."""
    blocks: list[tuple[Line | None, list[Line]]] = [(None, [])]
    in_code = False
    for line in lines:
        if FENCE.match(line.text):
            in_code = not in_code
        elif in_code:
            continue
        elif SUBHEADING.match(line.text):
            blocks.append((line, []))
        else:
            blocks[-1][1].append(line)
    return blocks


def _top_level_bullets(body: list[Line]) -> list[Line]:
    bullets = [(len(match["indent"]), line) for line in body if (match := BULLET.match(line.text))]
    if not bullets:
        return []
    outermost = min(indent for indent, _ in bullets)
    return [line for indent, line in bullets if indent == outermost]


def _table_rows(body: list[Line]) -> list[Line]:
    """Data rows of the tables in ``body``: each table's first row is its header."""
    rows: list[Line] = []
    previous_was_row = False
    for line in body:
        is_row = line.text.lstrip().startswith("|")
        if is_row and previous_was_row and not _TABLE_SEPARATOR.match(line.text.strip()):
            rows.append(line)
        previous_was_row = is_row
    return rows


def _field_label(text: str) -> str | None:
    content = BULLET.match(text)
    match = FIELD_LABEL.match(unmark(content["content"] if content else text))
    return plain(match["label"]) if match else None
