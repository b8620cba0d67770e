"""What happened: a work item's history, its comments, and the ledger's change feed."""

from __future__ import annotations

from workledger.mcp.context import ToolContext, calling
from workledger.schemas.common import Page
from workledger.schemas.history import (
    ChangesPage,
    ChangesQuery,
    CommentCreate,
    CommentListQuery,
    CommentRead,
    EventRead,
    HistoryQuery,
)
from workledger.schemas.work_item import WorkItemRef


class GetWorkItemHistoryArguments(HistoryQuery):
    """get_work_item_history's arguments: which item, and which of its events."""

    id: WorkItemRef


class AddCommentArguments(CommentCreate):
    """add_comment's arguments: which item, and what to say."""

    work_item_id: WorkItemRef


class ListCommentsArguments(CommentListQuery):
    """list_comments' arguments: which item, and which page."""

    work_item_id: WorkItemRef


async def get_work_item_history(
    query: GetWorkItemHistoryArguments, ctx: ToolContext
) -> Page[EventRead]:
    """A work item's changes, oldest first: who, when, {field: [old, new]}."""
    now = await calling(ctx)
    return await now.services.history.of_work_item(actor=now.actor, item_id=query.id, query=query)


async def add_comment(comment: AddCommentArguments, ctx: ToolContext) -> CommentRead:
    """Add a markdown comment to a work item."""
    now = await calling(ctx)
    return await now.services.comments.add(
        actor=now.actor, work_item_id=comment.work_item_id, body=comment.body
    )


async def list_comments(query: ListCommentsArguments, ctx: ToolContext) -> Page[CommentRead]:
    """A work item's comments, oldest first."""
    now = await calling(ctx)
    return await now.services.comments.list(
        actor=now.actor, work_item_id=query.work_item_id, query=query
    )


async def get_changes(query: ChangesQuery, ctx: ToolContext) -> ChangesPage:
    """Changes to any record after seq `after` (the last you saw; 0: from the start),
    oldest first; while has_more, ask again with after=next_after."""
    now = await calling(ctx)
    return await now.services.history.changes(actor=now.actor, after=query.after, limit=query.limit)
