"""A new work item as plain values: what a batch of creates inserts in one statement
(``WorkItemRepository.insert_new``), with no ORM instance to track, flush and inspect
per item."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any


@dataclass(slots=True)
class NewWorkItem:
    """Every column of a new work item's row, by its attribute name."""

    id: uuid.UUID
    ledger_id: uuid.UUID
    parent_id: uuid.UUID | None
    short_id: str
    item_type: str
    title: str
    description: str | None
    status: str
    priority: str
    priority_rank: int
    due_date: date | None
    tags: list[str]
    assignee: str | None
    branch_name: str | None
    commit_hash: str | None
    pr_number: int | None
    item_metadata: dict[str, object]
    path: str
    depth: int
    created_at: datetime
    updated_at: datetime
    created_by: str
    updated_by: str
    created_by_account: str | None
    updated_by_account: str | None
    version: int = 1
    assignee_account: str | None = None
    claimed_until: datetime | None = None
    deleted_at: datetime | None = None
    open_dependencies: int = 0
    spent_minutes: int = 0
    spent_tokens: int = 0
    spent_cost_micros: int = 0

    def row(self) -> dict[str, Any]:
        """The values by column name (the attribute ``item_metadata`` is ``metadata``)."""
        values = {name: getattr(self, name) for name in _ATTRIBUTES}
        values["metadata"] = values.pop("item_metadata")
        return values


_ATTRIBUTES = tuple(f.name for f in fields(NewWorkItem))
# The row's columns, as ``row()`` names them.
ROW_COLUMNS = ["metadata" if name == "item_metadata" else name for name in _ATTRIBUTES]
