"""/api/v1/work-items: the hierarchy, filters, cursor and offset paging, soft delete."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status
from pydantic import Field

from workledger.api.deps import (
    AppContainer,
    CurrentActor,
    optional_version,
    required_version,
    set_etag,
)
from workledger.api.openapi import errors
from workledger.schemas.common import INT32_MAX, Page, StrictModel
from workledger.schemas.work_item import (
    WorkItemCreate,
    WorkItemHierarchy,
    WorkItemListQuery,
    WorkItemRead,
    WorkItemReadOptions,
    WorkItemSummary,
    WorkItemUpdate,
)

router = APIRouter(prefix="/api/v1/work-items", tags=["work items"])
IfMatch = Annotated[str | None, Header(description='the ETag you read, e.g. "3"')]


class WorkItemPatch(WorkItemUpdate):
    """The fields to change; ``version`` may come as If-Match instead."""

    version: Annotated[int, Field(ge=1, le=INT32_MAX)] | None = None  # type: ignore[assignment]


class DeleteBody(StrictModel):
    """The version read, for a client that cannot send If-Match."""

    version: Annotated[int, Field(ge=1, le=INT32_MAX)] | None = None


@router.get("", responses=errors())
async def list_work_items(
    container: AppContainer, actor: CurrentActor, query: Annotated[WorkItemListQuery, Query()]
) -> Page[WorkItemSummary]:
    return await container.work_items.list(actor=actor, query=query)


@router.post("", status_code=status.HTTP_201_CREATED, responses=errors(404, 409))
async def create_work_item(
    container: AppContainer, actor: CurrentActor, data: WorkItemCreate, response: Response
) -> WorkItemRead:
    created = await container.work_items.create(actor=actor, data=data)
    response.headers["Location"] = f"{router.prefix}/{created.id}"
    set_etag(response, created.version)
    return created


@router.get("/{item_id}", responses=errors(404))
async def get_work_item(
    container: AppContainer,
    actor: CurrentActor,
    item_id: uuid.UUID,
    options: Annotated[WorkItemReadOptions, Query()],
    response: Response,
) -> WorkItemHierarchy:
    found = await container.work_items.query(actor=actor, item_id=item_id, options=options)
    set_etag(response, found.version)
    return found


@router.patch("/{item_id}", responses=errors(404, 409, 412, 428))
async def update_work_item(
    container: AppContainer,
    actor: CurrentActor,
    item_id: uuid.UUID,
    patch: WorkItemPatch,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> WorkItemRead:
    version = required_version(request, patch.version, if_match)
    data = WorkItemUpdate.load(
        {**patch.model_dump(exclude_unset=True, exclude={"version"}), "version": version}
    )
    updated = await container.work_items.update(actor=actor, item_id=item_id, data=data)
    set_etag(response, updated.version)
    return updated


@router.delete("/{item_id}", responses=errors(404, 409, 412, 428))
async def delete_work_item(
    container: AppContainer,
    actor: CurrentActor,
    item_id: uuid.UUID,
    request: Request,
    response: Response,
    cascade: bool = False,
    if_match: IfMatch = None,
    body: DeleteBody | None = None,
) -> WorkItemRead:
    """Soft delete; ``cascade=true`` deletes live children too."""
    expected = required_version(request, body.version if body else None, if_match)
    deleted = await container.work_items.delete(
        actor=actor, item_id=item_id, version=expected, cascade=cascade
    )
    set_etag(response, deleted.version)
    return deleted


@router.post("/{item_id}/restore", responses=errors(404, 409, 412))
async def restore_work_item(
    container: AppContainer,
    actor: CurrentActor,
    item_id: uuid.UUID,
    request: Request,
    response: Response,
    if_match: Annotated[
        str | None, Header(description='optional: the ETag you read, e.g. "3"')
    ] = None,
) -> WorkItemRead:
    """Undo a soft delete, with the descendants deleted along with it; or bring an
    archived item back with its archived subtree. Needs no precondition, but honours
    If-Match when sent."""
    version = optional_version(request, None, if_match)
    restored = await container.work_items.restore(actor=actor, item_id=item_id, version=version)
    set_etag(response, restored.version)
    return restored
