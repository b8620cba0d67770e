"""Enhancement tools: plan future work, update it, list it."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import Field

from workledger.mcp.call import call
from workledger.schemas.common import Page, PageLimit, Principles, Priority, Quarter, Title
from workledger.schemas.enhancement import (
    DependsOn,
    EnhancementCreate,
    EnhancementDescription,
    EnhancementListQuery,
    EnhancementRead,
    EnhancementStatus,
    EnhancementUpdate,
)


async def create_enhancement(
    title: Title,
    description: EnhancementDescription | None = None,
    priority: Priority = Priority.medium,
    status: EnhancementStatus = EnhancementStatus.planned,
    target_quarter: Quarter | None = None,
    constitutional_principles: Principles | None = None,
    depends_on: DependsOn | None = None,
) -> EnhancementRead:
    """Plan an enhancement (future work), optionally for a quarter like 2027-Q1 and
    depending on other enhancements (no cycles)."""
    now = call()
    data = EnhancementCreate.load({k: v for k, v in now.arguments.items() if v is not None})
    return await now.container.enhancements.create(actor=now.actor, data=data)


async def update_enhancement(
    id: uuid.UUID,
    version: Annotated[int, Field(ge=1, description="the version you last read")],
    title: Title | None = None,
    description: EnhancementDescription | None = None,
    priority: Priority | None = None,
    status: EnhancementStatus | None = None,
    target_quarter: Quarter | None = None,
    constitutional_principles: Principles | None = None,
    depends_on: DependsOn | None = None,
) -> EnhancementRead:
    """Change an enhancement: the version you read plus only the fields to change
    (depends_on is replaced whole). On version_conflict re-read and retry."""
    now = call()
    data = EnhancementUpdate.load(now.without("id"))
    return await now.container.enhancements.update(actor=now.actor, enhancement_id=id, data=data)


async def list_enhancements(
    priority: Priority | None = None,
    status: EnhancementStatus | None = None,
    target_quarter: Quarter | None = None,
    limit: PageLimit = 50,
    cursor: str | None = None,
) -> Page[EnhancementRead]:
    """Enhancements, most urgent first, then by quarter; filter by priority, status or
    target_quarter. Page with cursor=next_cursor."""
    now = call()
    query = EnhancementListQuery.load(now.arguments)
    return await now.container.enhancements.list(actor=now.actor, query=query)
