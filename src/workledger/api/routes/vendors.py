"""/api/v1/vendors: vendor extractors and their health, by id or by name."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status

from workledger.api.deps import CurrentActor, set_etag
from workledger.api.openapi import errors
from workledger.api.preconditions import Precondition
from workledger.http.deps import AppContainer
from workledger.schemas.common import Page
from workledger.schemas.vendor import (
    VendorCreate,
    VendorListQuery,
    VendorPatch,
    VendorRead,
    VendorUpdate,
)

router = APIRouter(prefix="/vendors", tags=["vendors"])
# Names may hold "/", hence the path converter; NUL can be stored nowhere, so it is refused.
VendorNameInPath = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[^\x00]+$")]


@router.get("", responses=errors())
async def list_vendors(
    container: AppContainer, actor: CurrentActor, query: Annotated[VendorListQuery, Query()]
) -> Page[VendorRead]:
    """Every vendor of the account, by name; ``status`` keeps only those in it."""
    listing = await container.vendors.list(actor=actor, status=query.status)
    return Page[VendorRead](items=listing.vendors, total_count=len(listing.vendors), has_more=False)


@router.post("", status_code=status.HTTP_201_CREATED, responses=errors(409))
async def create_vendor(
    container: AppContainer,
    actor: CurrentActor,
    request: Request,
    data: VendorCreate,
    response: Response,
) -> VendorRead:
    """A new vendor; its name must be unused in the account (409 ``conflict``)."""
    created = await container.vendors.create(actor=actor, data=data)
    response.headers["Location"] = f"{request.url.path}/{created.id}"
    set_etag(response, created.version)
    return created


@router.get("/by-name/{name:path}", responses=errors(404))
async def get_vendor_by_name(
    container: AppContainer, actor: CurrentActor, name: VendorNameInPath, response: Response
) -> VendorRead:
    found = await container.vendors.get(actor=actor, name=name)
    set_etag(response, found.version)
    return found


@router.get("/{vendor_id}", responses=errors(404))
async def get_vendor(
    container: AppContainer, actor: CurrentActor, vendor_id: uuid.UUID, response: Response
) -> VendorRead:
    found = await container.vendors.get(actor=actor, vendor_id=vendor_id)
    set_etag(response, found.version)
    return found


@router.patch("/{vendor_id}", responses=errors(404, 409, 412, 428))
async def update_vendor(
    container: AppContainer,
    actor: CurrentActor,
    vendor_id: uuid.UUID,
    patch: VendorPatch,
    precondition: Precondition,
    response: Response,
) -> VendorRead:
    """Change health fields or the name; 409 ``conflict`` when the new name is taken."""
    data = precondition.applied(patch, to=VendorUpdate)
    updated = await container.vendors.update(actor=actor, vendor_id=vendor_id, data=data)
    set_etag(response, updated.version)
    return updated
