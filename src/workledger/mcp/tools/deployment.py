"""Deployment tools: record one (idempotent per PR and commit), list them."""

from __future__ import annotations

from workledger.mcp.context import LedgerContext, calling
from workledger.schemas.common import Page
from workledger.schemas.deployment import DeploymentCreate, DeploymentListQuery, DeploymentRead


async def record_deployment(deployment: DeploymentCreate, ctx: LedgerContext) -> DeploymentRead:
    """Record a deployment: the PR, its full commit hash, test counts by suite, compliance,
    and the vendors (by id or by name) and work items it touched. Recording the same
    pr_number and commit_hash again returns the first record with created=false."""
    now = calling(ctx)
    return await now.services.deployments.record(actor=now.actor, data=deployment)


async def list_deployments(query: DeploymentListQuery, ctx: LedgerContext) -> Page[DeploymentRead]:
    """Deployments, newest first, optionally those touching a vendor or a work item or
    within [since, until]. Page with cursor=next_cursor."""
    now = calling(ctx)
    return await now.services.deployments.list(actor=now.actor, query=query)
