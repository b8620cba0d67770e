"""MCP resources: the status report and single work items, read as the calling account."""

from __future__ import annotations

import uuid

from workledger.errors import NotFound
from workledger.mcp.call import call


async def status_markdown() -> str:
    """The project status report (what get_project_status returns, as markdown)."""
    now = call()
    return (await now.container.status.report(actor=now.actor)).markdown


async def work_item_json(id: str) -> str:
    """One work item in full, as JSON."""
    now = call()
    try:
        item_id = uuid.UUID(id)
    except ValueError:
        raise NotFound("work item", id) from None
    item = await now.container.work_items.get(actor=now.actor, item_id=item_id)
    return item.model_dump_json()
