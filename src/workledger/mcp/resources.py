"""MCP resources: the status report and single work items, read as the calling account."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pydantic

from workledger.errors import NotFound
from workledger.mcp.context import Serving, ToolContext, calling
from workledger.schemas.work_item import WorkItemRef

WORK_ITEM_REF: pydantic.TypeAdapter[WorkItemRef] = pydantic.TypeAdapter(WorkItemRef)


def status_markdown(serving: Serving) -> Callable[[], Awaitable[str]]:
    """The status resource's reader. The SDK passes no ``Context`` to a resource without
    URI variables, so it reads through the server's ``Serving``; being a read, it has no
    client name to audit."""

    async def status() -> str:
        """The project status report (what get_project_status returns, as markdown)."""
        return (await serving.services.status.report(actor=await serving.actor())).markdown

    return status


async def work_item_json(id: str, ctx: ToolContext) -> str:
    """One work item in full, as JSON."""
    now = await calling(ctx)
    try:
        item_id = WORK_ITEM_REF.validate_python(id)
    except pydantic.ValidationError:
        raise NotFound("work item", id) from None
    item = await now.services.work_items.get(actor=now.actor, item_id=item_id)
    return item.model_dump_json()
