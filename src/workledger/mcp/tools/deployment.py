"""Deployment tools: record one (idempotent per PR and commit), list them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field

from workledger.mcp.call import call
from workledger.schemas.common import CommitHash, Count, Page, PageLimit, PrNumber, Title
from workledger.schemas.deployment import (
    DeploymentCreate,
    DeploymentListQuery,
    DeploymentRead,
    TestName,
)
from workledger.schemas.vendor import VendorName

Ids = Annotated[list[uuid.UUID], Field(max_length=200)]


async def record_deployment(
    pr_number: PrNumber,
    pr_title: Title,
    commit_hash: CommitHash,
    deployed_at: datetime | None = None,
    test_summary: dict[TestName, Count] | None = None,
    constitutional_compliance: bool = False,
    vendor_ids: Ids | None = None,
    vendor_names: Annotated[list[VendorName], Field(max_length=200)] | None = None,
    work_item_ids: Ids | None = None,
) -> DeploymentRead:
    """Record a deployment: the PR, its full commit hash, test counts by suite, compliance,
    and the vendors (by id or by name) and work items it touched. Recording the same
    pr_number and commit_hash again returns the first record with created=false."""
    now = call()
    data = DeploymentCreate.load({k: v for k, v in now.arguments.items() if v is not None})
    return await now.container.deployments.record(actor=now.actor, data=data)


async def list_deployments(
    vendor_id: uuid.UUID | None = None,
    work_item_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: PageLimit = 20,
    cursor: str | None = None,
) -> Page[DeploymentRead]:
    """Deployments, newest first, optionally those touching a vendor or a work item or
    within [since, until]. Page with cursor=next_cursor."""
    now = call()
    query = DeploymentListQuery.load(now.arguments)
    return await now.container.deployments.list(actor=now.actor, query=query)
