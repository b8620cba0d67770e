"""Project-wide tools: the configuration and the status report."""

from __future__ import annotations

from workledger.mcp.context import LedgerContext, calling
from workledger.schemas.project_configuration import (
    ProjectConfigurationRead,
    ProjectConfigurationUpdate,
)
from workledger.schemas.status import StatusReport


async def get_project_configuration(ctx: LedgerContext) -> ProjectConfigurationRead:
    """The project configuration: active context type, token budgets, the current
    session, live git state (branch, commit, dirty) and health, with its version."""
    now = calling(ctx)
    return await now.services.configuration.get(actor=now.actor)


async def update_project_configuration(
    change: ProjectConfigurationUpdate, ctx: LedgerContext
) -> ProjectConfigurationRead:
    """Change the configuration: the version you read plus only the fields to change.
    current_session_id must name a session work item (null clears it)."""
    now = calling(ctx)
    return await now.services.configuration.update(actor=now.actor, data=change)


async def get_project_status(ctx: LedgerContext) -> StatusReport:
    """The project status report as markdown (vendor health, open work items as a tree,
    the latest deployments, pending enhancements) with its headline counts. Use it to get
    oriented at the start of a session."""
    now = calling(ctx)
    return await now.services.status.report(actor=now.actor)
