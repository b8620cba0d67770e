"""Work item sections: the report's tree, read exactly with the lines that carry each
item's other fields, and the task lists people keep by hand, read leniently.

A hand-kept list item is a task (or the type it names as the report does, ``[research]``):
a checklist item (``- [ ]``, ``- [x]``, ``* [ ]``, ``1. [ ]``) or a plain bullet. A nested
item with a checkbox is a child of the item above it; one without is part of that item's
description. How far it is comes from the box, else a
marker in the line (✅, ``(done)``, ``**blocked**``, ``WIP:``, ~~struck through~~), else
the nearest heading ("### Done"), else it is active. ``@name`` is who has it, ``#tag``
a tag and ``(due 2026-12-20)`` or ``due: 2026-12-20`` its due date."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from workledger.schemas.item_type import ItemType
from workledger.schemas.spend import MICROS
from workledger.status_file.document import Census, JsonValue, SourceWorkItem, SpentBy
from workledger.status_file.text import Line, Reader, plain

ITEM_TYPES = tuple(t.value for t in ItemType)
# A list item: ``-``, ``*`` or ``+`` bullets and ``1.`` or ``1)`` numbers.
LIST_ITEM = re.compile(r"^(?P<indent>[ \t]*)(?:[-*+]|[0-9]{1,9}[.)])[ \t]+(?P<content>.*?)\s*$")
CHECKBOX = re.compile(r"^\[(?P<mark>[ xX])\](?:[ \t]+|$)(?P<rest>.*)$")
# A line of the report's tree (an item type in brackets, then its status and priority or a
# short id), read exactly: one it cannot read (an unknown type, no short id) is warned
# about, never taken for a hand-kept task.
_REPORT_LIKE = re.compile(
    r"^\[[a-z]+\] .*(?: · `[0-9a-f]{8}`"
    r"| · (?:active|completed|blocked) · (?:low|medium|high|critical)(?: · |$))"
)
_SUBHEADING = re.compile(r"^#{3,6}\s+(?P<text>.*)$")

_SHORT_ID = r"`[0-9a-f]{8}`"
_DEPENDENCY = rf"{_SHORT_ID}(?: \(blocks\))?"
_SPENT = r"(?:[0-9][0-9,]* (?:min|tokens?)|\$[0-9][0-9,]*\.[0-9]{2,6})"
# A line of the report's tree, read from the end of the line so that a title may itself
# hold " · ". The report writes it (templates/status.md.j2): keep the two in step.
_WORK_ITEM = re.compile(
    rf"^\[(?P<type>{'|'.join(ITEM_TYPES)})\] (?P<title>.+)"
    r" · (?P<status>active|completed|blocked) · (?P<priority>low|medium|high|critical)"
    rf" · `(?P<short_id>[0-9a-f]{{8}})`"
    r"(?: · due (?P<due>[0-9]{4}-[0-9]{2}-[0-9]{2}))?"
    r"(?: · tags (?P<tags>.+?))?"
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
# One part of a "spent by" line: ``ada@example.com via claude-code: 2 entries, 25 min``.
_SHARE = re.compile(
    r"^(?P<who>.+?): (?P<entries>[0-9][0-9,]*) entr(?:y|ies)"
    rf"(?:, (?P<spent>{_SPENT}(?:, {_SPENT})*))?$"
)
_DEPENDENCY_REF = re.compile(r"`(?P<short_id>[0-9a-f]{8})`(?P<blocks> \(blocks\))?")
# The line below a report item naming its branch, commit and pull request (a branch
# that backticks cannot hold is written as a JSON string).
_CODE_LINE = re.compile(
    r'^(?:branch (?:`(?P<branch>[^`]+)`|(?P<branch_json>"(?:[^"\\]|\\.)*")))?'
    r"(?:(?:^| · )commit `(?P<commit>[0-9a-f]{7,40})`)?"
    r"(?:(?:^| · )PR #(?P<pr>[0-9]+))?$"
)

# Words and emoji that say how far a hand-kept task is.
STATUS_WORDS = {
    "completed": ("done", "complete", "completed", "finished", "shipped"),
    "blocked": ("blocked", "on hold"),
    "active": ("wip", "in progress", "doing", "todo", "to do", "backlog"),
}
STATUS_EMOJI = {
    "completed": ("✅", "☑️", "✔️", "✔"),
    "blocked": ("🔴", "❌", "⛔", "🚫"),
    "active": ("🟡", "🚧", "⏳"),
}
_EMOJI = re.compile("|".join(re.escape(e) for es in STATUS_EMOJI.values() for e in es))
_WORD = "|".join(w.replace(" ", r"\s+") for ws in STATUS_WORDS.values() for w in ws)
# A status word as a marker: "(done)", "[WIP]", "**blocked**", or "Blocked:" before it.
_MARKER = re.compile(
    rf"(?i)(?:\(\s*(?P<a>{_WORD})\s*\)|\[\s*(?P<b>{_WORD})\s*\]|\*\*\s*(?P<c>{_WORD})\s*\*\*"
    rf"|^\s*(?P<d>{_WORD})\s*(?::|\s[-\u2013—])\s+)"
)
_STRUCK = re.compile(r"^~~(?P<text>.+)~~$")
_TYPED = re.compile(rf"^\[(?P<type>{'|'.join(ITEM_TYPES)})\]\s+(?P<rest>.*)$")
# ``@ada``, not the middle of an e-mail address (``ada@example.com``, ``@ada@example.com``).
_ASSIGNEE = re.compile(r"(?<![\w.@])@(?P<name>[A-Za-z0-9](?:[\w.-]*\w)?)(?![\w@]|[.-]\w)")
_TAG = re.compile(r"(?<![\w&#])#(?P<tag>(?=[\w-]*[A-Za-z])[\w-]+)")
_DUE = re.compile(
    r"(?i)\(\s*due:?\s*(?P<a>[0-9]{4}-[0-9]{2}-[0-9]{2})\s*\)"
    r"|\bdue:\s*(?P<b>[0-9]{4}-[0-9]{2}-[0-9]{2})"
)
_TRAILING = " \t-\u2013—:·|,;"


# --- the census: what the file holds, counted from its outline -------------------------


def count_work_items(lines: list[Line], census: Census) -> None:
    """The work items of a section from its outline, apart from ``read_work_items``: every
    list item at the outermost indentation of its list, and every nested one with a
    checkbox or an item type (``[task]``); with the short id it shows, if any."""
    for line, content, outermost in _list_items(lines):
        nested_item = CHECKBOX.match(content) or _REPORT_LIKE.match(content)
        if outermost or nested_item:
            short = re.search(r"`([0-9a-f]{8})`", content)
            census.work_items.append((line.number, short[1] if short else None))
            if content.startswith("[session]"):
                census.work_item_sessions.append(line.number)


def _list_items(lines: list[Line]) -> Iterator[tuple[Line, str, bool]]:
    """Each list item, its content, and whether it is at its list's outermost
    indentation. A list runs until a line that is neither an item, blank, nor indented."""
    run: list[tuple[Line, str, int]] = []
    for line in [*lines, Line(0, "end")]:
        if match := LIST_ITEM.match(line.text):
            run.append((line, match["content"], len(match["indent"].expandtabs(4))))
        elif line.text.strip() and not line.text[:1].isspace():
            outermost = min((indent for *_, indent in run), default=0)
            yield from ((item, content, indent == outermost) for item, content, indent in run)
            run = []


# --- the reader ---------------------------------------------------------------------------


def read_work_items(lines: list[Line], reader: Reader, *, heading: str) -> list[SourceWorkItem]:
    """The items of a work item section headed ``heading``: the report's tree (two
    spaces of indentation per level) and hand-kept lists, nested as they are written."""
    items: list[SourceWorkItem] = []
    # The enclosing items, outermost first, with the indentation of their lines.
    enclosing: list[tuple[int, SourceWorkItem]] = []
    section_says = _status_of(heading) or "active"
    said = section_says  # what the nearest heading says
    for line in lines:
        if sub := _SUBHEADING.match(line.text):
            said = _status_of(sub["text"]) or section_says
            enclosing.clear()
            continue
        match = LIST_ITEM.match(line.text)
        if match is None:
            if items and items[-1].short_id is not None:
                _read_detail(items[-1], line, reader)
            continue
        indent, content = len(match["indent"].expandtabs(4)), match["content"]
        while enclosing and enclosing[-1][0] >= indent:
            enclosing.pop()
        parent = enclosing[-1][1] if enclosing else None
        if _REPORT_LIKE.match(content):
            item = _report_item(line, content, indent, parent, reader)
        elif parent is not None and parent.short_id is None and not CHECKBOX.match(content):
            _describe(parent, line.text.strip())
            continue
        else:
            item = _hand_kept(line, content, parent, said)
        if item is None:
            continue
        if item.depth > len(enclosing):
            reader.warn(line.number, "work item indented deeper than under its parent")
        item.depth = len(enclosing)
        items.append(item)
        enclosing.append((indent, item))
    return items


def _report_item(
    line: Line, content: str, indent: int, parent: SourceWorkItem | None, reader: Reader
) -> SourceWorkItem | None:
    match = _WORK_ITEM.match(content)
    if match is None:
        reader.warn(line.number, "work item line not understood, skipped")
        return None
    return SourceWorkItem(
        line=line.number,
        item_type=match["type"],
        title=match["title"],
        status=match["status"],
        priority=match["priority"],
        depth=indent // 2,
        short_id=match["short_id"],
        parent_line=parent.line if parent else None,
        # "ada@example.com via claude-code": the client holds it; a claim by an
        # account is not made by importing it.
        assignee=(match["assignee"] or "").rpartition(" via ")[2] or None,
        dependencies=[
            (ref["short_id"], "blocks" if ref["blocks"] else "depends_on")
            for ref in _DEPENDENCY_REF.finditer(match["dependencies"] or "")
        ],
        spent=_spent(match["spent"]) if match["spent"] else None,
        due_date=match["due"],
        tags=_tags(match["tags"]) if match["tags"] else [],
    )


def _read_detail(item: SourceWorkItem, line: Line, reader: Reader) -> None:
    """A line below a report item: its code references, metadata or description."""
    text = line.text.strip()
    if text == ">" or text.startswith("> "):
        _describe(item, text[2:])
    elif text.startswith("spent by "):
        shares = [_SHARE.match(share) for share in text.removeprefix("spent by ").split("; ")]
        if not all(shares):
            reader.warn(line.number, f"who logged what on `{item.short_id}` not understood")
            return
        item.spent_by = [_spent_by(share) for share in shares if share]
    elif text.startswith(("description ", "metadata ")):
        name, _, value = text.partition(" ")
        try:
            loaded = json.loads(value)
        except ValueError:
            reader.warn(line.number, f"{name} of `{item.short_id}` is not valid JSON, left out")
            return
        if name == "description" and isinstance(loaded, str):
            item.description = loaded
        elif name == "metadata" and isinstance(loaded, dict):
            item.metadata = loaded
    elif text and (codes := _CODE_LINE.match(text)) and any(codes.groupdict().values()):
        branch = codes["branch_json"]
        item.branch_name = json.loads(branch) if branch else codes["branch"]
        item.commit_hash = codes["commit"]
        item.pr_number = int(codes["pr"]) if codes["pr"] else None


def _spent_by(share: re.Match[str]) -> SpentBy:
    account, via, client = share["who"].partition(" via ")
    if not via or "@" not in account:  # a client alone: no account logged it
        account, client = "", share["who"]
    entries = int(share["entries"].replace(",", ""))
    return SpentBy(account or None, client, entries, _spent(share["spent"] or ""))


def _describe(item: SourceWorkItem, text: str) -> None:
    item.description = text if item.description is None else f"{item.description}\n{text}"


def _hand_kept(
    line: Line, content: str, parent: SourceWorkItem | None, said: str
) -> SourceWorkItem | None:
    status: str | None = None
    if box := CHECKBOX.match(content):
        content = box["rest"]
        status = "completed" if box["mark"] in "xX" else None
    title, item_type = content, "task"
    if typed := _TYPED.match(title):  # "[research] Compare parsers", as the report writes
        item_type, title = typed["type"], typed["rest"]
    if struck := _STRUCK.match(title.strip()):
        title, status = struck["text"], status or "completed"
    if found := _marked_status(title):
        title, marked = found
        status = status or marked
    due = _DUE.search(title)
    assignee = _ASSIGNEE.search(title)
    tags = [tag["tag"] for tag in _TAG.finditer(title)]
    for pattern in (_DUE, _ASSIGNEE, _TAG):
        title = pattern.sub(" ", title)
    title = " ".join(title.split()).strip(_TRAILING)
    return SourceWorkItem(
        line=line.number,
        item_type=item_type,
        title=title,
        status=status or said,
        priority="medium",
        depth=parent.depth + 1 if parent else 0,
        short_id=None,
        parent_line=parent.line if parent else None,
        assignee=assignee["name"] if assignee else None,
        due_date=(due["a"] or due["b"]) if due else None,
        tags=list(dict.fromkeys(tags)),
    )


def _marked_status(title: str) -> tuple[str, str] | None:
    """The title without its status marker (an emoji or a marked word), and the status
    it says; None when it says none."""
    if emoji := _EMOJI.search(title):
        status = next(s for s, marks in STATUS_EMOJI.items() if emoji[0] in marks)
        return _EMOJI.sub(" ", title), status
    if marker := _MARKER.search(title):
        word = next(w for w in marker.groups() if w)
        return title[: marker.start()] + " " + title[marker.end() :], _status_of(word) or "active"
    return None


def _status_of(text: str) -> str | None:
    """What a heading or a marker word says of how far work is, if anything."""
    words = f" {plain(text)} "
    for status, said in STATUS_WORDS.items():
        if any(f" {word} " in words for word in said):
            return status
    for status, marks in STATUS_EMOJI.items():
        if any(mark in text for mark in marks):
            return status
    return None


def _tags(said: str) -> list[str]:
    """``api, docs``, or a JSON list where a tag holds what a plain list cannot."""
    if said.startswith("["):
        try:
            loaded: JsonValue = json.loads(said)
        except ValueError:
            loaded = None
        if isinstance(loaded, list):
            return [str(tag) for tag in loaded]
    return said.split(", ")


def _spent(said: str) -> tuple[int, int, int]:
    """``25 min, 48,000 tokens, $1.50`` (each part optional) as (minutes, tokens,
    millionths of a USD)."""
    minutes = tokens = micros = 0
    for part in said.split(", ") if said else ():
        if part.startswith("$"):
            whole, _, fraction = part[1:].replace(",", "").partition(".")
            micros = int(whole) * MICROS + int(fraction.ljust(6, "0"))
        elif part.endswith(" min"):
            minutes = int(part.removesuffix(" min").replace(",", ""))
        else:
            tokens = int(part.partition(" ")[0].replace(",", ""))
    return minutes, tokens, micros
