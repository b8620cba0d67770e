"""Work item tools: create, update (also delete and restore), query with hierarchy, list,
and claims: take one, take the next, release."""

from __future__ import annotations

from workledger.mcp.context import ToolContext, calling
from workledger.schemas.common import Page
from workledger.schemas.work_item import (
    ClaimedNext,
    ClaimNext,
    ClaimWorkItemArguments,
    QueryWorkItemArguments,
    ReleaseWorkItemArguments,
    UpdateWorkItemArguments,
    WorkItemBrief,
    WorkItemCreate,
    WorkItemHierarchy,
    WorkItemListQuery,
    WorkItemRead,
)
from workledger.schemas.work_log import LogWorkArguments, WorkLogRead


async def create_work_item(item: WorkItemCreate, ctx: ToolContext) -> WorkItemRead:
    """Create a work item, under parent_id if given."""
    now = await calling(ctx)
    return await now.services.work_items.create(actor=now.actor, data=item)


async def update_work_item(change: UpdateWorkItemArguments, ctx: ToolContext) -> WorkItemRead:
    """Change a work item; dependencies replaces the list, parent_id moves the subtree,
    deleted=true deletes (cascade=true: with live children), false restores."""
    now = await calling(ctx)
    return await now.services.work_items.update(actor=now.actor, item_id=change.id, data=change)


async def query_work_item(query: QueryWorkItemArguments, ctx: ToolContext) -> WorkItemHierarchy:
    """One work item in full; include_hierarchy=true adds its ancestors and descendants,
    max_depth levels down."""
    now = await calling(ctx)
    return await now.services.work_items.query(actor=now.actor, item_id=query.id, options=query)


async def list_work_items(query: WorkItemListQuery, ctx: ToolContext) -> Page[WorkItemBrief]:
    """Find work items (summaries), newest first unless sorted; ready=true: what to work on
    next, best first."""
    now = await calling(ctx)
    page = await now.services.work_items.list(actor=now.actor, query=query)
    return Page[WorkItemBrief](
        items=[WorkItemBrief.of(item) for item in page.items],
        total_count=page.total_count,
        has_more=page.has_more,
        next_cursor=page.next_cursor,
    )


async def claim_work_item(claim: ClaimWorkItemArguments, ctx: ToolContext) -> WorkItemRead:
    """Claim a work item while you work on it, for lease_seconds; claim again to renew."""
    now = await calling(ctx)
    return await now.services.work_items.claim(
        actor=now.actor, item_id=claim.id, version=claim.version, lease_seconds=claim.lease_seconds
    )


async def claim_next_work_item(wanted: ClaimNext, ctx: ToolContext) -> ClaimedNext:
    """Claim the best ready item nobody holds (among parent_id's children if given) for
    lease_seconds; item is null if none is."""
    now = await calling(ctx)
    return ClaimedNext(
        item=await now.services.work_items.claim_next(actor=now.actor, wanted=wanted)
    )


async def release_work_item(release: ReleaseWorkItemArguments, ctx: ToolContext) -> WorkItemRead:
    """Drop your claim on a work item without completing it (owners may drop any)."""
    now = await calling(ctx)
    return await now.services.work_items.release(actor=now.actor, item_id=release.id)


async def log_work(entry: LogWorkArguments, ctx: ToolContext) -> WorkLogRead:
    """Record what you spent on a work item: minutes, tokens, cost_usd in US dollars (at
    least one) and a note; the item's spent sums them."""
    now = await calling(ctx)
    return await now.services.work_logs.log(actor=now.actor, work_item_id=entry.id, data=entry)
