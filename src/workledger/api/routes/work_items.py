"""/api/v1/work-items: the hierarchy, filters, cursor and offset paging, soft delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from starlette.exceptions import HTTPException as StarletteHTTPException

from workledger.api.deps import CurrentActor, set_etag
from workledger.api.openapi import errors
from workledger.api.preconditions import Precondition, VersionBody
from workledger.http.deps import AppContainer
from workledger.schemas.common import Page
from workledger.schemas.work_item import (
    ClaimBody,
    ClaimedNext,
    ClaimNext,
    WorkItemCreate,
    WorkItemHierarchy,
    WorkItemListQuery,
    WorkItemPatch,
    WorkItemRead,
    WorkItemReadOptions,
    WorkItemRef,
    WorkItemSummary,
    WorkItemUpdate,
)
from workledger.schemas.work_log import WorkLogCreate, WorkLogRead

router = APIRouter(prefix="/work-items", tags=["work items"])


@router.get("", responses=errors())
async def list_work_items(
    container: AppContainer, actor: CurrentActor, query: Annotated[WorkItemListQuery, Query()]
) -> Page[WorkItemSummary]:
    return await container.work_items.list(actor=actor, query=query)


@router.post("", status_code=status.HTTP_201_CREATED, responses=errors(404, 409))
async def create_work_item(
    container: AppContainer,
    actor: CurrentActor,
    request: Request,
    data: WorkItemCreate,
    response: Response,
) -> WorkItemRead:
    created = await container.work_items.create(actor=actor, data=data)
    response.headers["Location"] = f"{request.url.path}/{created.id}"
    set_etag(response, created.version)
    return created


@router.api_route("/claim-next", methods=["GET", "PUT", "PATCH", "DELETE"], include_in_schema=False)
async def claim_next_takes_only_post() -> None:
    """``/claim-next`` is no item id: any other method than POST is 405 here, before the
    routes of ``/{item_id}`` would read it as one."""
    raise StarletteHTTPException(status.HTTP_405_METHOD_NOT_ALLOWED)


@router.get("/{item_id}", responses=errors(404))
async def get_work_item(
    container: AppContainer,
    actor: CurrentActor,
    item_id: WorkItemRef,
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
    item_id: WorkItemRef,
    patch: WorkItemPatch,
    precondition: Precondition,
    response: Response,
) -> WorkItemRead:
    data = precondition.applied(patch, to=WorkItemUpdate)
    updated = await container.work_items.update(actor=actor, item_id=item_id, data=data)
    set_etag(response, updated.version)
    return updated


@router.delete("/{item_id}", responses=errors(404, 409, 412, 428))
async def delete_work_item(
    container: AppContainer,
    actor: CurrentActor,
    item_id: WorkItemRef,
    precondition: Precondition,
    response: Response,
    cascade: bool = False,
    body: VersionBody | None = None,
) -> WorkItemRead:
    """Soft delete; ``cascade=true`` deletes live children too."""
    expected = precondition.version(body.version if body else None)
    deleted = await container.work_items.delete(
        actor=actor, item_id=item_id, version=expected, cascade=cascade
    )
    set_etag(response, deleted.version)
    return deleted


@router.post("/{item_id}/restore", responses=errors(404, 409, 412))
async def restore_work_item(
    container: AppContainer,
    actor: CurrentActor,
    item_id: WorkItemRef,
    precondition: Precondition,
    response: Response,
) -> WorkItemRead:
    """Undo a soft delete, with the descendants deleted along with it; or bring an
    archived item back with its archived subtree. Needs no precondition, but honours
    If-Match when sent."""
    version = precondition.optional_version(None)
    restored = await container.work_items.restore(actor=actor, item_id=item_id, version=version)
    set_etag(response, restored.version)
    return restored


@router.post("/claim-next", responses=errors(404))
async def claim_next_work_item(
    container: AppContainer, actor: CurrentActor, body: ClaimNext | None = None
) -> ClaimedNext:
    """Take the best ready item nobody holds (the ready order), within the filters, in
    one step: callers at once get different items. ``{"item": null}`` when nothing is
    ready."""
    wanted = body or ClaimNext()
    return ClaimedNext(item=await container.work_items.claim_next(actor=actor, wanted=wanted))


@router.post("/{item_id}/claim", responses=errors(404, 409, 412))
async def claim_work_item(
    container: AppContainer,
    actor: CurrentActor,
    item_id: WorkItemRef,
    precondition: Precondition,
    response: Response,
    body: ClaimBody | None = None,
) -> WorkItemRead:
    """Take the item for the caller (its client name, X-Client-Name, and its account)
    for ``lease_seconds`` (default 1,800), or renew the caller's own lease. 409 naming
    who holds it while their lease runs, or naming ``blocked_by`` while a dependency is
    open. If-Match (or ``version``) is checked when sent. Of two racing claims exactly
    one wins."""
    body = body or ClaimBody()
    claimed = await container.work_items.claim(
        actor=actor,
        item_id=item_id,
        version=precondition.optional_version(body.version),
        lease_seconds=body.lease_seconds,
    )
    set_etag(response, claimed.version)
    return claimed


@router.post("/{item_id}/release", responses=errors(404, 409, 412))
async def release_work_item(
    container: AppContainer,
    actor: CurrentActor,
    item_id: WorkItemRef,
    precondition: Precondition,
    response: Response,
    body: VersionBody | None = None,
) -> WorkItemRead:
    """Drop the claim: the holder's, or an owner's of the ledger (409 for anyone else
    while the lease runs). If-Match (or ``version``) is checked when sent."""
    version = precondition.optional_version(body.version if body else None)
    released = await container.work_items.release(actor=actor, item_id=item_id, version=version)
    set_etag(response, released.version)
    return released


@router.post("/{item_id}/work-log", status_code=status.HTTP_201_CREATED, responses=errors(404))
async def log_work(
    container: AppContainer, actor: CurrentActor, item_id: WorkItemRef, body: WorkLogCreate
) -> WorkLogRead:
    """Record what you spent on the item (``minutes``, ``tokens``, ``cost_usd``: each 0
    or more, at least one; a ``note``). The item's ``spent`` sums them; its version stays."""
    return await container.work_logs.log(actor=actor, work_item_id=item_id, data=body)
