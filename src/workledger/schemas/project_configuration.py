from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import BaseModel, Field, StringConstraints

from workledger.schemas.common import ReadModel, WireEnum, WithVersion, WithVersionOrIfMatch
from workledger.schemas.strict import ChangeModel
from workledger.schemas.work_item import WorkItemRef

TokenBudget = Annotated[int, Field(ge=1_000, le=1_000_000)]
BudgetName = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class ContextType(WireEnum):
    feature = "feature"
    maintenance = "maintenance"
    research = "research"


class GitState(BaseModel):
    branch: str | None
    commit: str | None
    dirty: bool


class HealthCheckStatus(BaseModel):
    database: str
    data_source: str
    checked_at: datetime


class ProjectConfigurationChanges(ChangeModel):
    active_context_type: ContextType | None = None
    default_token_budget: TokenBudget | None = None
    token_budgets: Annotated[dict[BudgetName, TokenBudget], Field(max_length=100)] | None = None
    current_session_id: WorkItemRef | None = None

    not_nullable: ClassVar[frozenset[str]] = frozenset(
        {"active_context_type", "default_token_budget", "token_budgets"}
    )


class ProjectConfigurationUpdate(ProjectConfigurationChanges, WithVersion):
    """The fields to change and the version they were made against."""


class ProjectConfigurationPatch(ProjectConfigurationChanges, WithVersionOrIfMatch):
    """The fields to change; ``version`` may come as If-Match instead."""


class ProjectConfigurationRead(ReadModel):
    id: uuid.UUID
    active_context_type: ContextType
    default_token_budget: int
    token_budgets: dict[str, int]
    current_session_id: uuid.UUID | None
    git_state: GitState | None
    health_check_status: HealthCheckStatus
    version: int
    created_at: datetime
    updated_at: datetime
    created_by: str
    updated_by: str
    created_by_account: str | None = None
    updated_by_account: str | None = None
