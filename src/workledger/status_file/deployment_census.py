"""Counting a deployments section's entries from its outline, apart from
``read_deployments``: the source side of the deployment history check."""

from __future__ import annotations

import re

from workledger.status_file.census import entries
from workledger.status_file.deployments import DEPLOYMENT_FIELDS
from workledger.status_file.document import Census
from workledger.status_file.text import Line, table_columns, table_row

# The PR each entry names, counted apart from the reader's ``_PR``, so that an entry whose
# PR the reader cannot read still counts, and its check fails: "PR 123" in a line, else
# "#123" (or a bare number in a table's PR column).
_COUNTED_PR = re.compile(r"(?i)\bPR\s*#?\s*(\d+)\b")
_COUNTED_NUMBER = re.compile(r"(?<![\w#])#(\d+)\b")
_PR_COLUMNS = dict.fromkeys(("pr", "pr number", "pr no", "pull request"), "pr")
_PR_CELL = re.compile(r"\D{0,3}(\d+)\D{0,3}")  # "101", "#101", "PR 101"


def count_deployments(lines: list[Line], census: Census) -> None:
    """The PR of each deployment entry as the outline shows it, apart from
    ``read_deployments``; an entry that names none is counted apart."""
    in_pr_column = _table_prs(lines)
    for entry in entries(lines, DEPLOYMENT_FIELDS):
        pr = next(
            (
                found[1]
                for line in entry.lines
                if (found := _COUNTED_PR.search(line.text) or _COUNTED_NUMBER.search(line.text))
            ),
            in_pr_column.get(entry.line),
        )
        if pr is None:
            census.deployments_without_pr.append(entry.line)
        else:
            census.deployment_prs.setdefault(int(pr), entry.line)


def _table_prs(lines: list[Line]) -> dict[int, str]:
    """The number in the PR column (by its header) of each table row, by line."""
    found: dict[int, str] = {}
    columns: list[str | None] | None = None  # the table's, from its header
    for line in lines:
        if not line.text.lstrip().startswith("|"):
            columns = None
        elif columns is None:
            columns = table_columns(line.text, _PR_COLUMNS)
        elif (row := table_row(columns, line.text)) and (
            number := _PR_CELL.fullmatch(row.get("pr", ""))
        ):
            found[line.number] = number[1]
    return found
