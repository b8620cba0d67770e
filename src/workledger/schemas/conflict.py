"""Journaled writes that replay refused (docs/reference/outage.md)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from workledger.schemas.common import PageLimit, ReadModel
from workledger.schemas.strict import QueryModel


class ConflictListQuery(QueryModel):
    limit: PageLimit = 50
    cursor: str | None = Field(
        default=None, pattern=r"^[0-9]{1,18}$", description="next_cursor of the previous page"
    )


class ConflictRead(ReadModel):
    id: uuid.UUID
    journal_id: uuid.UUID = Field(description="the Workledger-Journal-Id the write was given")
    record_type: str
    record_id: uuid.UUID | None
    actor: str = Field(description="the client that made the write")
    journaled_at: datetime
    change: dict[str, Any] = Field(description="the write's arguments, as it was made")
    reason: str = Field(description="why replay refused it: a newer version, or a rule")
    current: dict[str, Any] | None = Field(description="the record as it is now, if it exists")
