"""Work item tools: create, update (also delete and restore), query with hierarchy, list."""

from __future__ import annotations

from workledger.mcp.context import LedgerContext, calling
from workledger.schemas.common import Page
from workledger.schemas.work_item import (
    ClaimWorkItem,
    UpdateWorkItem,
    WorkItemCreate,
    WorkItemHierarchy,
    WorkItemListQuery,
    WorkItemQuery,
    WorkItemRead,
    WorkItemSummary,
)


async def create_work_item(item: WorkItemCreate, ctx: LedgerContext) -> WorkItemRead:
    """Create a work item: a project, session, task or research item.

    Nest it with parent_id (at most 5 levels). metadata depends on item_type: project
    {description, target_quarter, constitutional_principles}; session {token_budget,
    prompts_count, yaml_frontmatter}; task {estimated_hours, actual_hours, blocked_reason};
    research {research_questions, findings_summary, references}. Returns the new item
    with its id and version 1."""
    now = calling(ctx)
    return await now.services.work_items.create(actor=now.actor, data=item)


async def update_work_item(change: UpdateWorkItem, ctx: LedgerContext) -> WorkItemRead:
    """Change a work item. Send only the fields to change, plus the version you read.

    null clears an optional field (e.g. due_date); parent_id moves the item with its
    subtree (null makes it a root); dependencies replaces the whole list. deleted=true
    soft-deletes (cascade=true also deletes live children), deleted=false restores a
    deleted or archived item (an archived one comes back with its subtree; find it and its
    version with list_work_items include_archived=true). If someone changed the item since
    you read it you get version_conflict: query it again, re-apply your change, and retry
    with the new version."""
    now = calling(ctx)
    return await now.services.work_items.update(actor=now.actor, item_id=change.id, data=change)


async def query_work_item(query: WorkItemQuery, ctx: LedgerContext) -> WorkItemHierarchy:
    """Read one work item in full (description, metadata, dependencies, audit fields).

    With include_hierarchy=true also its ancestors (root first) and its descendants down
    to max_depth levels, flat in tree order, each with depth, parent_id and dependencies.
    Deleted items answer not_found unless include_deleted=true."""
    now = calling(ctx)
    return await now.services.work_items.query(actor=now.actor, item_id=query.id, options=query)


async def list_work_items(query: WorkItemListQuery, ctx: LedgerContext) -> Page[WorkItemSummary]:
    """Find work items: filter by type, status, parent, tag or a word in the title.
    Archived items (old closed subtrees) appear only with include_archived=true.

    Returns summaries (no description or metadata; use query_work_item for those), the
    total_count, has_more and next_cursor. To page, call again with cursor=next_cursor and
    the same filters and sort. sort: created or updated (newest first), title (A-Z),
    due_date (soonest first), priority (critical first); order reverses it."""
    now = calling(ctx)
    return await now.services.work_items.list(actor=now.actor, query=query)


async def claim_work_item(claim: ClaimWorkItem, ctx: LedgerContext) -> WorkItemRead:
    """Take a work item to work on it: its assignee becomes your client name, so other
    agents see it is taken (and it stops being ready for them).

    Pick one with list_work_items ready=true, then claim it with the version you read.
    If another client has it you get conflict naming them: pick another. Of two racing
    claims exactly one wins. When done, update_work_item status=completed and
    assignee=null in one change."""
    now = calling(ctx)
    return await now.services.work_items.claim(
        actor=now.actor, item_id=claim.id, version=claim.version
    )
