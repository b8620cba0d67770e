"""The deployments section: ``### date - PR #N`` blocks and the report's earlier deployments."""

from __future__ import annotations

import re
from collections.abc import Set
from dataclasses import dataclass, field
from datetime import UTC, datetime

from workledger.status_file.census import entries
from workledger.status_file.document import Census, SourceDeployment
from workledger.status_file.text import (
    BULLET,
    KEY_VALUE,
    NONE,
    SUBHEADING,
    Line,
    Reader,
    plain,
    table_columns,
    table_row,
    truth,
    unmark,
)

_PR = re.compile(r"(?i)\bPR\s*#?\s*(?P<number>\d+)\b")
_DATE = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
    r"(?:[ T](?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?"
    r"(?:\s*(?:UTC|Z)\b)?"
)
_EMPTY_BRACKETS = re.compile(r"\(\s*[,;]?\s*\)|\[\s*[,;]?\s*\]")
_TITLE_EDGES = " \t:-\u2013—|·,;"
_EARLIER = re.compile(
    r"^- (?P<date>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) UTC - PR #(?P<pr>\d+): (?P<title>.+)"
    r" · commit `(?P<commit>[0-9a-f]{40})` · (?P<compliance>compliant|NOT compliant)$"
)
_COMMIT = re.compile(r"[0-9a-fA-F]{40}")
_DEPLOYMENT_KEYS = {
    "title": "title",
    "pr title": "title",
    "commit": "commit",
    "commit hash": "commit",
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


# Any PR number an entry shows, "#123" too: counted apart from the reader's ``_PR``, so
# an entry whose PR the reader cannot read still counts, and its check fails.
_COUNTED_PR = re.compile(r"(?i)\bPR\s*#?\s*(\d+)\b|(?<![\w#])#(\d+)\b")


def count_deployments(lines: list[Line], census: Census) -> None:
    """The PR of each deployment entry as the outline shows it, apart from
    ``read_deployments``; an entry that names none is counted apart."""
    for entry in entries(lines, DEPLOYMENT_FIELDS):
        pr = next(
            (m[1] or m[2] for line in entry.lines for m in _COUNTED_PR.finditer(line.text)), None
        )
        if pr is None:
            census.deployments_without_pr.append(entry.line)
        else:
            census.deployment_prs.setdefault(int(pr), entry.line)


@dataclass
class _DeploymentBlock:
    """A ``### date - PR #N`` block as read so far."""

    line: int
    pr_number: int
    heading_title: str
    deployed_at: datetime
    fields: dict[str, Line] = field(default_factory=dict)  # field → its line and value


def read_deployments(lines: list[Line], reader: Reader) -> list[SourceDeployment]:
    """``### `` blocks with their bullets, then the report's one-line earlier deployments."""
    deployments: list[SourceDeployment] = []
    block: _DeploymentBlock | None = None
    headed = earlier = False  # under a ### heading; under "### Earlier deployments"
    columns: list[str | None] | None = None  # the table being read, by column
    for line in lines:
        if not line.text.lstrip().startswith("|"):
            columns = None
        elif columns is None:
            columns = table_columns(line.text, _TABLE_KEYS)
            continue
        else:
            if table_row := _table_deployment(columns, line, reader):
                deployments.append(table_row)
            continue
        heading = SUBHEADING.match(line.text)
        bullet = BULLET.match(line.text)
        if heading and block and (finished := _finish_deployment(block, reader)):
            deployments.append(finished)
        if heading:
            headed, earlier = True, plain(heading[1]) == "earlier deployments"
            block = None if earlier else _deployment_heading(heading[1], line, reader)
        elif bullet and earlier:
            if deployment := _earlier_deployment(line, reader):
                deployments.append(deployment)
        elif bullet and block is not None:
            _deployment_field(block, bullet["content"], line)
        elif bullet and not headed:  # (a skipped block's bullets go with it)
            reader.warn(line.number, "deployment bullet outside a ### deployment block ignored")
    if block and (finished := _finish_deployment(block, reader)):
        deployments.append(finished)
    return deployments


_TABLE_KEYS = {
    **_DEPLOYMENT_KEYS,
    "date": "date",
    "deployed": "date",
    "deployed at": "date",
    "when": "date",
    "pr": "pr",
    "pr number": "pr",
    "pull request": "pr",
}


def _table_deployment(
    columns: list[str | None], line: Line, reader: Reader
) -> SourceDeployment | None:
    """A row of a deployments table (``| Date | PR | Title | Commit | … |``)."""
    row = table_row(columns, line.text)
    if row is None:
        return None
    written = f"{row.get('date', '')} PR {row.get('pr', '').lstrip('#')}"
    block = _deployment_heading(written, line, reader) if row.get("pr") else None
    if block is None:
        if not row.get("pr"):
            reader.warn(line.number, "deployment row names no PR number, skipped")
        return None
    block.fields = {key: Line(line.number, cell) for key, cell in row.items()}
    return _finish_deployment(block, reader)


def _deployment_heading(text: str, line: Line, reader: Reader) -> _DeploymentBlock | None:
    """``2025-03-14 14:03 - PR #123: Title`` or ``PR #123 — 2025-03-14: Title``: the date
    and the PR in either order, the title whatever remains."""
    pr = _PR.search(text)
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
    """The block as a record, or None (with a warning) when its commit is not 40 hex."""
    pr = f"PR #{block.pr_number}"
    written = block.fields.get("commit", Line(block.line, ""))
    commit = unmark(written.text)
    if not _COMMIT.fullmatch(commit):
        problem = f"commit {commit!r} is not 40 hex digits" if commit else "no commit"
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
        deployment.work_item_short_ids = _work_item_refs(block.fields["work_items"], pr, reader)
    if "tests" in block.fields:
        deployment.test_summary = _test_summary(block.fields["tests"], pr, reader)
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
    match = _EARLIER.match(line.text)
    if match is None:
        if pr := _PR.search(line.text):
            reader.doc.deployment_prs.append(int(pr["number"]))
        reader.warn(line.number, "earlier deployment line not understood, skipped")
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


def _work_item_refs(written: Line, pr: str, reader: Reader) -> list[str]:
    """The short ids of "`abcdef12` Title, `12345678` Other" (the titles are for people)."""
    refs = re.findall(r"`([0-9a-fA-F]{8})`", written.text)
    if not refs and not NONE.fullmatch(unmark(written.text) or "none"):
        reader.warn(written.number, f"{pr}: work items named without their `short id`, dropped")
    return [ref.lower() for ref in refs]


def _test_summary(written: Line, pr: str, reader: Reader) -> dict[str, int]:
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
