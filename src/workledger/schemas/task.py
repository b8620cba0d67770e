"""The todo API's view of work items of type ``task`` (docs/reference/rest.md, task endpoints)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import Field

from workledger.schemas.common import IsoDate, ReadModel, Title, Version, WireEnum
from workledger.schemas.strict import QueryModel, StrictModel
from workledger.schemas.work_item import Description


class TaskStatusFilter(WireEnum):
    all = "all"
    pending = "pending"
    completed = "completed"


class TaskSort(WireEnum):
    created = "created"
    title = "title"  # type: ignore[assignment]  # shadows str.title, harmlessly
    due_date = "due_date"


class TaskListQuery(QueryModel):
    status: TaskStatusFilter = Field(
        default=TaskStatusFilter.all, description="pending: not completed"
    )
    sort: TaskSort = TaskSort.created
    order: Literal["asc", "desc"] | None = Field(
        default=None,
        description="default: newest first for created, A→Z for title, soonest first for "
        "due_date (tasks without one last)",
    )


class TaskCreate(StrictModel):
    title: Title
    description: Description | None = None
    due_date: IsoDate | None = None


class TaskReplace(TaskCreate):
    """PUT: ``title`` always; ``description``, ``due_date`` and ``completed`` when sent
    (null clears the first two); fields left out keep their values."""

    completed: bool | None = None
    version: Version | None = Field(default=None, description="optional; or If-Match")

    not_nullable: ClassVar[frozenset[str]] = frozenset({"completed", "version"})


class TaskCompletion(StrictModel):
    """Without ``completed`` the task's completion is toggled."""

    completed: bool | None = None
    version: Version | None = Field(default=None, description="optional; or If-Match")

    not_nullable: ClassVar[frozenset[str]] = frozenset({"completed", "version"})


class TaskRead(ReadModel):
    id: uuid.UUID
    user_id: uuid.UUID
    title: str
    description: str | None
    completed: bool
    due_date: date | None
    created_at: datetime
    updated_at: datetime
    version: int
