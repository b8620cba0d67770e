"""Work item tools: create, update (also delete and restore), query with hierarchy, list."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from pydantic import Field

from workledger.mcp.call import call
from workledger.schemas.common import CommitHash, Page, PageLimit, Priority, PrNumber, Title
from workledger.schemas.work_item import (
    MAX_DEPTH,
    MAX_OFFSET,
    BranchName,
    Dependencies,
    Description,
    ItemStatus,
    ItemType,
    MetadataInput,
    Tag,
    Tags,
    WorkItemCreate,
    WorkItemHierarchy,
    WorkItemListQuery,
    WorkItemRead,
    WorkItemSort,
    WorkItemSummary,
    WorkItemUpdate,
)

Version = Annotated[int, Field(ge=1, description="the version you last read")]
Depth = Annotated[int, Field(ge=1, le=MAX_DEPTH + 1)]


async def create_work_item(
    item_type: ItemType,
    title: Title,
    parent_id: uuid.UUID | None = None,
    description: Description | None = None,
    status: ItemStatus = ItemStatus.active,
    priority: Priority = Priority.medium,
    due_date: date | None = None,
    tags: Tags | None = None,
    metadata: MetadataInput | None = None,
    branch_name: BranchName | None = None,
    commit_hash: CommitHash | None = None,
    pr_number: PrNumber | None = None,
    dependencies: Dependencies | None = None,
) -> WorkItemRead:
    """Create a work item: a project, session, task or research item.

    Nest it with parent_id (at most 5 levels). metadata depends on item_type: project
    {description, target_quarter, constitutional_principles}; session {token_budget,
    prompts_count, yaml_frontmatter}; task {estimated_hours, actual_hours, blocked_reason};
    research {research_questions, findings_summary, references}. Returns the new item
    with its id and version 1."""
    now = call()
    data = WorkItemCreate.load({k: v for k, v in now.arguments.items() if v is not None})
    return await now.container.work_items.create(actor=now.actor, data=data)


async def update_work_item(
    id: uuid.UUID,
    version: Version,
    title: Title | None = None,
    description: Description | None = None,
    status: ItemStatus | None = None,
    priority: Priority | None = None,
    due_date: date | None = None,
    tags: Tags | None = None,
    metadata: MetadataInput | None = None,
    branch_name: BranchName | None = None,
    commit_hash: CommitHash | None = None,
    pr_number: PrNumber | None = None,
    parent_id: uuid.UUID | None = None,
    dependencies: Dependencies | None = None,
    deleted: bool | None = None,
    cascade: bool = False,
) -> WorkItemRead:
    """Change a work item. Send only the fields to change, plus the version you read.

    null clears an optional field (e.g. due_date); parent_id moves the item with its
    subtree (null makes it a root); dependencies replaces the whole list. deleted=true
    soft-deletes (cascade=true also deletes live children), deleted=false restores a
    deleted or archived item (an archived one comes back with its subtree; find it and its
    version with list_work_items include_archived=true). If someone changed the item since
    you read it you get version_conflict: query it again, re-apply your change, and retry
    with the new version."""
    now = call()
    data = WorkItemUpdate.load(now.without("id"))
    return await now.container.work_items.update(actor=now.actor, item_id=id, data=data)


async def query_work_item(
    id: uuid.UUID,
    include_hierarchy: bool = False,
    max_depth: Depth = MAX_DEPTH + 1,
    include_deleted: bool = False,
) -> WorkItemHierarchy:
    """Read one work item in full (description, metadata, dependencies, audit fields).

    With include_hierarchy=true also its ancestors (root first) and its descendants down
    to max_depth levels, flat in tree order, each with depth, parent_id and dependencies.
    Deleted items answer not_found unless include_deleted=true."""
    now = call()
    return await now.container.work_items.query(
        actor=now.actor,
        item_id=id,
        include_hierarchy=include_hierarchy,
        max_depth=max_depth,
        include_deleted=include_deleted,
    )


async def list_work_items(
    item_type: ItemType | None = None,
    status: ItemStatus | None = None,
    parent_id: uuid.UUID | None = None,
    root_only: bool = False,
    tag: Tag | None = None,
    search: Annotated[str, Field(min_length=1, max_length=200)] | None = None,
    include_deleted: bool = False,
    include_archived: bool = False,
    sort: WorkItemSort = WorkItemSort.created,
    order: Literal["asc", "desc"] | None = None,
    limit: PageLimit = 50,
    offset: Annotated[int, Field(ge=0, le=MAX_OFFSET)] = 0,
    cursor: str | None = None,
) -> Page[WorkItemSummary]:
    """Find work items: filter by type, status, parent, tag or a word in the title.
    Archived items (old closed subtrees) appear only with include_archived=true.

    Returns summaries (no description or metadata; use query_work_item for those), the
    total_count, has_more and next_cursor. To page, call again with cursor=next_cursor and
    the same filters and sort. sort: created or updated (newest first), title (A-Z),
    due_date (soonest first), priority (critical first); order reverses it."""
    now = call()
    query = WorkItemListQuery.load(now.arguments)
    return await now.container.work_items.list(actor=now.actor, query=query)
