"""Project-wide tools: the configuration and the status report."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import Field

from workledger.mcp.call import call
from workledger.schemas.project_configuration import (
    BudgetName,
    ContextType,
    ProjectConfigurationRead,
    ProjectConfigurationUpdate,
    TokenBudget,
)
from workledger.schemas.status import StatusReport


async def get_project_configuration() -> ProjectConfigurationRead:
    """The project configuration: active context type, token budgets, the current
    session, live git state (branch, commit, dirty) and health, with its version."""
    now = call()
    return await now.container.configuration.get(actor=now.actor)


async def update_project_configuration(
    version: Annotated[int, Field(ge=1, description="the version you last read")],
    active_context_type: ContextType | None = None,
    default_token_budget: TokenBudget | None = None,
    token_budgets: Annotated[dict[BudgetName, TokenBudget], Field(max_length=100)] | None = None,
    current_session_id: uuid.UUID | None = None,
) -> ProjectConfigurationRead:
    """Change the configuration: the version you read plus only the fields to change.
    current_session_id must name a session work item (null clears it)."""
    now = call()
    data = ProjectConfigurationUpdate.load(now.arguments)
    return await now.container.configuration.update(actor=now.actor, data=data)


async def get_project_status() -> StatusReport:
    """The project status report as markdown (vendor health, open work items as a tree,
    the latest deployments, pending enhancements) with its headline counts. Use it to get
    oriented at the start of a session."""
    now = call()
    return await now.container.status.report(actor=now.actor)
