"""Deployment tools: record one (idempotent per PR and commit), list them."""

from __future__ import annotations

from workledger.mcp.context import ToolContext, calling
from workledger.schemas.common import Page
from workledger.schemas.deployment import DeploymentCreate, DeploymentListQuery, DeploymentRead


async def record_deployment(deployment: DeploymentCreate, ctx: ToolContext) -> DeploymentRead:
    """Record a deployment of a PR's commit: test counts by suite, compliance, and the
    vendors and work items it touched. The same PR and commit again returns the first
    record, created=false."""
    now = await calling(ctx)
    return await now.services.deployments.record(actor=now.actor, data=deployment)


async def list_deployments(query: DeploymentListQuery, ctx: ToolContext) -> Page[DeploymentRead]:
    """Deployments, newest first; by vendor, work item or time."""
    now = await calling(ctx)
    return await now.services.deployments.list(actor=now.actor, query=query)
