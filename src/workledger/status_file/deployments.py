"""The deployments section: ``### date - PR #N`` blocks, one-line bullets, table rows and
the report's earlier deployments."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import takewhile

from workledger.status_file.census import FIELD_LABEL
from workledger.status_file.deployment_values import test_summary, work_item_refs
from workledger.status_file.document import SourceDeployment
from workledger.status_file.text import (
    BULLET,
    FENCE,
    KEY_VALUE,
    SUBHEADING,
    TABLE_RULE,
    Line,
    Reader,
    heading_level,
    plain,
    table_cells,
    table_columns,
    table_row,
    truth,
    unmark,
)

_PR = re.compile(r"(?i)\bPR\s*#?\s*(?P<number>\d+)\b")
_BARE_PR = re.compile(r"(?<![\w#&])#(?P<number>\d+)\b")  # "#101", if no "PR 101" is written
_DATE = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
    r"(?:[ T](?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?"
    r"(?:\s*(?:UTC|Z)\b)?"
)
_EMPTY_BRACKETS = re.compile(r"\(\s*[,;]?\s*\)|\[\s*[,;]?\s*\]")
_TITLE_EDGES = " \t:-\u2013—|·,;"
_EARLIER = re.compile(
    r"^- (?P<date>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) UTC - PR #(?P<pr>\d+): (?P<title>.+)"
    r" · commit `(?P<commit>[0-9a-f]{7,40})` · (?P<compliance>compliant|NOT compliant)$"
)
# A commit as git names it: in full, or abbreviated to 7 hex digits or more.
_COMMIT = re.compile(r"[0-9a-fA-F]{7,40}")
# A commit in a line of words: in backticks, after "commit" or "sha", or bare (a word of
# hex digits holding a digit and a letter, so that neither "defaced" nor 1250000 is one).
_TICKED_COMMIT = re.compile(rf"(?i)(?:\b(?:commit|sha)\b\s*[:=]?\s*)?`(?P<hash>{_COMMIT.pattern})`")
_LABELLED_COMMIT = re.compile(
    rf"(?i)\b(?:commit|sha)\b\s*[:=]?\s*(?P<hash>{_COMMIT.pattern})(?![\w-])"
)
_BARE_COMMIT = re.compile(
    rf"(?<![\w#/.-])(?=[0-9a-fA-F]*[a-fA-F])(?=[0-9a-fA-F]*\d)(?P<hash>{_COMMIT.pattern})"
    r"(?![\w/-]|\.\w)"
)
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")  # a markdown link: its text is what counts
_HOLLOW_BRACKETS = re.compile(r"[(\[][\s\0,;:·|\u2013—-]*[)\]]")  # what was in them is gone
_VERSION = re.compile(r"(?i)(?:release\s+)?v\d+(?:\.\d+)+(?:[-+][\w.]+)?")  # "v1.4.0"
_COMPLIANCE = re.compile(r"(?i)(?:not\s+|non-?)?compliant|[✅❌✓✔✗✘]")
_DEPLOYMENT_KEYS = {
    "title": "title",
    "pr title": "title",
    "commit": "commit",
    "commit hash": "commit",
    "sha": "commit",
    "vendors": "vendors",
    "vendor": "vendors",
    "affected vendors": "vendors",
    "work items": "work_items",
    "work item": "work_items",
    "related work items": "work_items",
    "tests": "tests",
    "test summary": "tests",
    "test results": "tests",
    "compliance": "compliance",
    "constitutional compliance": "compliance",
}

DEPLOYMENT_FIELDS = frozenset(_DEPLOYMENT_KEYS)


@dataclass
class _DeploymentBlock:
    """A deployment entry as read so far: its heading or line, and its fields."""

    line: int
    pr_number: int
    heading_title: str
    deployed_at: datetime
    fields: dict[str, Line] = field(default_factory=dict)  # field → its line and value


@dataclass
class _Reading:
    """A deployments section being read, line by line."""

    reader: Reader
    found: list[SourceDeployment] = field(default_factory=list)
    block: _DeploymentBlock | None = None  # the entry whose field bullets may follow
    fields_below: int | None = None  # bullets indented deeper than this are its fields
    heading_run: bool = False  # ``Key: value`` bullets are still the heading's fields
    earlier: bool = False  # under "### Earlier deployments"

    def finish(self) -> None:
        if self.block and (finished := _finish_deployment(self.block, self.reader)):
            self.found.append(finished)
        self.block = None

    def heading(self, text: str, line: Line, *, groups: bool) -> None:
        """A heading is an entry, its ``Key: value`` bullets its fields, unless it only
        groups the entries below it."""
        self.finish()
        self.fields_below = None
        self.earlier = plain(text) == "earlier deployments"
        self.heading_run = not (self.earlier or groups)
        if self.heading_run:
            self.block = _deployment_heading(text, line, self.reader)

    def bullet(self, indent: int, content: str, line: Line) -> None:
        if self.fields_below is not None and indent > self.fields_below:
            if self.block is not None:
                _deployment_field(self.block, content, line)
            return
        if self.heading_run and FIELD_LABEL.match(unmark(content)):
            self.fields_below = indent
            if self.block is not None:  # (a skipped heading's fields go with it)
                _deployment_field(self.block, content, line)
            return
        self.finish()
        self.heading_run = False
        self.fields_below = indent
        if self.earlier and (deployment := _earlier_deployment(line, self.reader)):
            self.found.append(deployment)
        else:
            self.block = _one_line_deployment(content, line, self.reader)


def read_deployments(lines: list[Line], reader: Reader) -> list[SourceDeployment]:
    """``###`` blocks with their field bullets, one-line bullets (with field bullets
    below them), table rows, and the report's one-line earlier deployments."""
    reading = _Reading(reader)
    columns: list[str | None] | None = None  # the table being read, by column
    for index, line in _outside_code(lines):
        if not line.text.lstrip().startswith("|"):
            columns = None
        elif columns is None:
            columns = table_columns(line.text, _TABLE_KEYS)
            continue
        else:
            if table_row := _table_deployment(columns, line, reader):
                reading.found.append(table_row)
            continue
        if heading := SUBHEADING.match(line.text):
            reading.heading(heading[1], line, groups=_groups(lines, index))
        elif bullet := BULLET.match(line.text):
            reading.bullet(len(bullet["indent"]), bullet["content"], line)
    reading.finish()
    return reading.found


def _groups(lines: list[Line], index: int) -> bool:
    """Whether the sub-heading at ``index`` only groups the entries below it (bullets,
    table rows, deeper sub-headings) rather than being one: it is one when the bullets
    below it open with ``Key: value`` fields naming a deployment's, or nothing is below."""
    bullets: list[tuple[int, str]] = []
    rows = row_above = deeper = False
    for _, line in _outside_code(lines, start=index + 1):
        if SUBHEADING.match(line.text):
            deeper = heading_level(line.text) > heading_level(lines[index].text)
            break
        if bullet := BULLET.match(line.text):
            bullets.append((len(bullet["indent"]), unmark(bullet["content"])))
        is_row = line.text.lstrip().startswith("|")
        if is_row and row_above:
            rows = rows or not all(TABLE_RULE.fullmatch(c) for c in table_cells(line.text))
        row_above = is_row
    outermost = min((indent for indent, _ in bullets), default=0)
    top = (content for indent, content in bullets if indent == outermost)
    run = takewhile(bool, (FIELD_LABEL.match(content) for content in top))
    if any(plain(label["label"]) in _DEPLOYMENT_KEYS for label in run if label):
        return False
    return bool(bullets) or rows or deeper


def _outside_code(lines: list[Line], *, start: int = 0) -> Iterator[tuple[int, Line]]:
    """The lines from ``start`` (with their index) outside fenced code, fences left out;
    read in place, so that each sub-heading's look ahead copies nothing."""
    in_code = False
    for index in range(start, len(lines)):
        line = lines[index]
        if FENCE.match(line.text):
            in_code = not in_code
        elif not in_code:
            yield index, line


_TABLE_KEYS = {
    **_DEPLOYMENT_KEYS,
    "date": "date",
    "deployed": "date",
    "deployed at": "date",
    "when": "date",
    "pr": "pr",
    "pr number": "pr",
    "pr no": "pr",
    "pull request": "pr",
    "hash": "commit",
}


def _table_deployment(
    columns: list[str | None], line: Line, reader: Reader
) -> SourceDeployment | None:
    """A row of a deployments table (``| Date | PR | Title | Commit | … |``)."""
    row = table_row(columns, line.text)
    if row is None:
        return None
    pr = _LINK.sub(r"\1", row.get("pr", "")).lstrip("#")
    written = f"{row.get('date', '')} PR {pr}"
    block = _deployment_heading(written, line, reader) if row.get("pr") else None
    if block is None:
        if not row.get("pr"):
            reader.warn(line.number, "deployment row names no PR number, skipped")
        return None
    block.fields = {key: Line(line.number, cell) for key, cell in row.items()}
    return _finish_deployment(block, reader)


def _pr(text: str) -> re.Match[str] | None:
    """Where ``text`` names its PR: "PR #123" (or "PR 123"), else "#123"."""
    return _PR.search(text) or _BARE_PR.search(text)


def _deployment_heading(text: str, line: Line, reader: Reader) -> _DeploymentBlock | None:
    """``2025-03-14 14:03 - PR #123: Title`` or ``PR #123 — 2025-03-14: Title``: the date
    and the PR in either order, the title whatever remains."""
    pr = _pr(text)
    if pr is None:
        reader.warn(line.number, "deployment heading names no PR number, block skipped")
        return None
    reader.doc.deployment_prs.append(int(pr["number"]))
    date = _DATE.search(text)
    deployed_at = _deployed_at(date)
    if date is None or deployed_at is None:
        reader.warn(line.number, f"PR #{pr['number']}: deployment date does not parse, skipped")
        return None
    first, second = sorted([pr.span(), date.span()])
    rest = text[: first[0]] + " " + text[first[1] : second[0]] + " " + text[second[1] :]
    title = " ".join(_EMPTY_BRACKETS.sub(" ", rest).split()).strip(_TITLE_EDGES)
    return _DeploymentBlock(line.number, int(pr["number"]), title, deployed_at)


def _one_line_deployment(content: str, line: Line, reader: Reader) -> _DeploymentBlock | None:
    """``2026-01-14 · PR #101: Fix the parser · `abc1234` `` and the like: a date, a PR
    and a commit in any order, the title whatever words remain. None, with a warning
    naming what is missing, without a PR number or a date."""
    text = _LINK.sub(r"\1", content.replace("**", "").replace("__", ""))
    pr, date, commit = _pr(text), _DATE.search(text), _commit_in(text)
    if pr is not None:
        reader.doc.deployment_prs.append(int(pr["number"]))
    if pr is None or date is None:
        written = (("PR number", pr), ("date", date), ("commit", commit))
        missing = [name for name, found in written if found is None]
        where = "" if pr is None else f"PR #{pr['number']}: "
        listed = ", ".join(missing[:-1]) + " or " * (len(missing) > 1) + missing[-1]
        reader.warn(line.number, f"{where}deployment entry gives no {listed}, skipped")
        return None
    deployed_at = _deployed_at(date)
    if deployed_at is None:
        reader.warn(line.number, f"PR #{pr['number']}: deployment date does not parse, skipped")
        return None
    title, compliance = _title(text, [m.span() for m in (pr, date, commit) if m])
    block = _DeploymentBlock(line.number, int(pr["number"]), title, deployed_at)
    if commit is not None:
        block.fields["commit"] = Line(line.number, commit["hash"])
    if compliance is not None:
        block.fields["compliance"] = Line(line.number, compliance)
    return block


def _commit_in(text: str) -> re.Match[str] | None:
    """The last commit written in backticks or after "commit"; else the last bare one."""
    marked = [*_TICKED_COMMIT.finditer(text), *_LABELLED_COMMIT.finditer(text)]
    if marked:
        return max(marked, key=lambda match: match.start())
    bare = list(_BARE_COMMIT.finditer(text))
    return bare[-1] if bare else None


def _title(text: str, spans: list[tuple[int, int]]) -> tuple[str, str | None]:
    """What a line says besides its PR, date and commit (at ``spans``): its title, and
    a part that only says whether it was compliant ("compliant", "❌"). A part that only
    names a release ("v1.4.0") is no part of the title."""
    parts, position = [], 0
    for start, end in sorted(spans):
        parts.append(text[position:start])
        position = max(position, end)
    parts.append(text[position:])
    cut = _HOLLOW_BRACKETS.sub("\0", "\0".join(parts))
    pieces = [piece.replace("`", "").strip(_TITLE_EDGES) for piece in cut.split("\0")]
    compliance = next((piece for piece in pieces if _COMPLIANCE.fullmatch(piece)), None)
    words = [
        piece
        for piece in pieces
        if re.search(r"\w", piece)
        and not _VERSION.fullmatch(piece)
        and not _COMPLIANCE.fullmatch(piece)
    ]
    return " — ".join(words), compliance


def _deployed_at(match: re.Match[str] | None) -> datetime | None:
    """A UTC time from the date (and time) written; a date alone is midnight."""
    if match is None:
        return None
    parts = {name: int(value) for name, value in match.groupdict().items() if value}
    try:
        return datetime(**parts, tzinfo=UTC)
    except ValueError:
        return None


def _deployment_field(block: _DeploymentBlock, content: str, line: Line) -> None:
    field_match = KEY_VALUE.match(content.replace("**", "").replace("__", ""))
    key = _DEPLOYMENT_KEYS.get(plain(field_match["key"])) if field_match else None
    if field_match and key:
        block.fields[key] = Line(line.number, field_match["value"].strip())


def _finish_deployment(block: _DeploymentBlock, reader: Reader) -> SourceDeployment | None:
    """The entry as a record, or None (with a warning) when its commit is not 7 to 40
    hex digits."""
    pr = f"PR #{block.pr_number}"
    written = block.fields.get("commit", Line(block.line, ""))
    commit = unmark(_LINK.sub(r"\1", written.text))
    if not _COMMIT.fullmatch(commit):
        problem = f"commit {commit!r} is not 7 to 40 hex digits" if commit else "no commit"
        reader.warn(written.number, f"{pr}: {problem}, deployment skipped")
        return None
    title = unmark(block.fields["title"].text) if "title" in block.fields else ""
    deployment = SourceDeployment(
        line=block.line,
        pr_number=block.pr_number,
        pr_title=title or block.heading_title or pr,
        commit_hash=commit.lower(),
        deployed_at=block.deployed_at,
    )
    if "vendors" in block.fields:
        reader.vendor_lists.append((deployment, block.fields["vendors"].text))
    if "work_items" in block.fields:
        deployment.work_item_short_ids = work_item_refs(block.fields["work_items"], pr, reader)
    if "tests" in block.fields:
        deployment.test_summary = test_summary(block.fields["tests"], pr, reader)
    if "compliance" in block.fields:
        written = block.fields["compliance"]
        compliant = truth(unmark(written.text))
        if compliant is None:
            reader.warn(
                written.number, f"{pr}: compliance {written.text!r} not understood, taken as no"
            )
        deployment.constitutional_compliance = bool(compliant)
    return deployment


def _earlier_deployment(line: Line, reader: Reader) -> SourceDeployment | None:
    """A line of the report's earlier deployments, read exactly; None when it is not
    one (it is then read as any one-line deployment)."""
    match = _EARLIER.match(line.text)
    if match is None:
        return None
    reader.doc.deployment_prs.append(int(match["pr"]))
    return SourceDeployment(
        line=line.number,
        pr_number=int(match["pr"]),
        pr_title=match["title"],
        commit_hash=match["commit"],
        deployed_at=datetime.strptime(match["date"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC),
        constitutional_compliance=match["compliance"] == "compliant",
    )
