"""Project-wide tools: the configuration and the status report."""

from __future__ import annotations

from workledger.mcp.context import ToolContext, calling
from workledger.schemas.project_configuration import (
    ProjectConfigurationRead,
    ProjectConfigurationUpdate,
)
from workledger.schemas.status import StatusReport


async def get_project_configuration(ctx: ToolContext) -> ProjectConfigurationRead:
    """The project configuration: context type, token budgets, current session, git
    state and health."""
    now = await calling(ctx)
    return await now.services.configuration.get(actor=now.actor)


async def update_project_configuration(
    change: ProjectConfigurationUpdate, ctx: ToolContext
) -> ProjectConfigurationRead:
    """Change the project configuration."""
    now = await calling(ctx)
    return await now.services.configuration.update(actor=now.actor, data=change)


async def get_project_status(ctx: ToolContext) -> StatusReport:
    """The status report (markdown) and its counts."""
    now = await calling(ctx)
    return await now.services.status.report(actor=now.actor)
