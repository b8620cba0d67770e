"""Enhancement tools: plan future work, update it, list it."""

from __future__ import annotations

from workledger.mcp.context import ToolContext, calling
from workledger.schemas.common import Page
from workledger.schemas.enhancement import (
    EnhancementCreate,
    EnhancementListQuery,
    EnhancementRead,
    UpdateEnhancement,
)


async def create_enhancement(plan: EnhancementCreate, ctx: ToolContext) -> EnhancementRead:
    """Plan an enhancement: future work for a target_quarter, after those it depends_on."""
    now = await calling(ctx)
    return await now.services.enhancements.create(actor=now.actor, data=plan)


async def update_enhancement(change: UpdateEnhancement, ctx: ToolContext) -> EnhancementRead:
    """Change an enhancement; depends_on replaces the list."""
    now = await calling(ctx)
    return await now.services.enhancements.update(
        actor=now.actor, enhancement_id=change.id, data=change
    )


async def list_enhancements(query: EnhancementListQuery, ctx: ToolContext) -> Page[EnhancementRead]:
    """Enhancements, most urgent first, then by quarter."""
    now = await calling(ctx)
    return await now.services.enhancements.list(actor=now.actor, query=query)
