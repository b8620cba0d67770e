"""Counting a deployments section's entries from its outline, apart from
``read_deployments``: the source side of the deployment history check."""

from __future__ import annotations

import re

from workledger.status_file.census import entries
from workledger.status_file.deployments import DEPLOYMENT_FIELDS
from workledger.status_file.document import Census
from workledger.status_file.text import Line, plain, table_cells, unmark

# The PR each entry names, counted apart from the reader's ``_PR``, so that an entry whose
# PR the reader cannot read still counts, and its check fails: "PR 123" in a line, else
# "#123" (or a bare number in a table's PR column).
_COUNTED_PR = re.compile(r"(?i)\bPR\s*#?\s*(\d+)\b")
_COUNTED_NUMBER = re.compile(r"(?<![\w#])#(\d+)\b")
_PR_COLUMNS = {"pr", "pr number", "pr no", "pull request"}
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
    column: int | None = None
    in_table = False
    for line in lines:
        if not line.text.lstrip().startswith("|"):
            in_table = False
            continue
        cells = table_cells(line.text)
        if not in_table:  # the header
            names = [plain(unmark(cell)) for cell in cells]
            column = next((at for at, name in enumerate(names) if name in _PR_COLUMNS), None)
            in_table = True
            continue
        written = cells[column] if column is not None and column < len(cells) else ""
        if number := _PR_CELL.fullmatch(written):
            found[line.number] = number[1]
    return found
