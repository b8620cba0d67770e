"""What a person or an agent spent on a work item: one entry of its work log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from workledger.errors import ValidationError
from workledger.schemas.common import INT32_MAX, ReadModel
from workledger.schemas.spend import MICROS
from workledger.schemas.strict import StrictModel
from workledger.schemas.work_item import WorkItemRef

Minutes = Annotated[int, Field(ge=0, le=INT32_MAX)]
Tokens = Annotated[int, Field(ge=0, le=10**15)]
CostUsd = Annotated[float, Field(ge=0, le=10**9, description="in US dollars")]
Note = Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class WorkLogCreate(StrictModel):
    """An entry: each number 0 or more, at least one of them given."""

    minutes: Minutes | None = None
    tokens: Tokens | None = None
    cost_usd: CostUsd | None = None
    note: Note | None = None

    @model_validator(mode="after")
    def _something_spent(self) -> WorkLogCreate:
        if self.minutes is None and self.tokens is None and self.cost_usd is None:
            raise ValidationError.single(
                "minutes", "give minutes, tokens or cost_usd: what was spent"
            )
        return self

    @property
    def cost_micros(self) -> int:
        return round((self.cost_usd or 0) * MICROS)


class LogWorkArguments(WorkLogCreate):
    """log_work's arguments: which item, and what was spent on it."""

    id: WorkItemRef


class WorkLogRead(ReadModel):
    id: uuid.UUID
    work_item_id: uuid.UUID
    minutes: int
    tokens: int
    cost_usd: float
    note: str | None
    author: str
    author_account: str | None
    created_at: datetime
