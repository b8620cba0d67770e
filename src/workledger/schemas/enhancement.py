from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import Field, StringConstraints, model_validator

from workledger.errors import ValidationError
from workledger.schemas.common import (
    UNIQUE_ITEMS,
    Count,
    Cursor,
    PageLimit,
    Principles,
    Priority,
    Quarter,
    ReadModel,
    Title,
    Uuid,
    WireEnum,
    WithVersion,
    WithVersionOrIfMatch,
)
from workledger.schemas.strict import ChangeModel, QueryModel, StrictModel

EnhancementDescription = Annotated[str, StringConstraints(max_length=5000)]
DependsOn = Annotated[list[Uuid], Field(max_length=100, json_schema_extra=UNIQUE_ITEMS)]


class EnhancementStatus(WireEnum):
    planned = "planned"
    approved = "approved"
    implementing = "implementing"
    completed = "completed"


class EnhancementCreate(StrictModel):
    title: Title
    description: EnhancementDescription | None = None
    priority: Priority = Priority.medium
    status: EnhancementStatus = EnhancementStatus.planned
    target_quarter: Quarter | None = None
    constitutional_principles: Principles = Field(default_factory=list)
    depends_on: DependsOn = Field(default_factory=list)


class EnhancementChanges(ChangeModel):
    title: Title | None = None
    description: EnhancementDescription | None = None
    priority: Priority | None = None
    status: EnhancementStatus | None = None
    target_quarter: Quarter | None = None
    constitutional_principles: Principles | None = None
    depends_on: DependsOn | None = None

    not_nullable: ClassVar[frozenset[str]] = frozenset(
        {"title", "priority", "status", "constitutional_principles", "depends_on"}
    )


class EnhancementUpdate(EnhancementChanges, WithVersion):
    """The fields to change and the version they were made against."""


class EnhancementPatch(EnhancementChanges, WithVersionOrIfMatch):
    """The fields to change; ``version`` may come as If-Match instead."""


class UpdateEnhancement(EnhancementUpdate):
    """update_enhancement's arguments: which enhancement, and its update."""

    id: Uuid
    addressing: ClassVar[frozenset[str]] = EnhancementUpdate.addressing | {"id"}


class EnhancementListQuery(QueryModel):
    priority: Priority | None = None
    status: EnhancementStatus | None = None
    target_quarter: Quarter | None = None
    limit: PageLimit = 50
    offset: Count = 0
    cursor: Cursor | None = None

    @model_validator(mode="after")
    def _one_paging_style(self) -> EnhancementListQuery:
        if self.cursor is not None and self.offset:
            raise ValidationError.single("cursor", "use either offset or cursor, not both")
        return self


class EnhancementRead(ReadModel):
    id: uuid.UUID
    title: str
    description: str | None
    priority: Priority
    status: EnhancementStatus
    target_quarter: str | None
    constitutional_principles: list[str]
    depends_on: list[uuid.UUID]
    version: int
    created_at: datetime
    updated_at: datetime
    created_by: str
    updated_by: str
    created_by_account: str | None = None
    updated_by_account: str | None = None
