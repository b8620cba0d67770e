"""/api/v1/enhancements: planned future work, its priority, quarter and dependencies."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status
from pydantic import Field

from workledger.api.deps import AppContainer, CurrentActor, required_version, set_etag
from workledger.api.openapi import errors
from workledger.schemas.common import INT32_MAX, Page, StrictModel
from workledger.schemas.enhancement import (
    EnhancementCreate,
    EnhancementListQuery,
    EnhancementRead,
    EnhancementUpdate,
)

router = APIRouter(prefix="/api/v1/enhancements", tags=["enhancements"])
IfMatch = Annotated[str | None, Header(description='the ETag you read, e.g. "3"')]


class EnhancementPatch(EnhancementUpdate):
    """The fields to change; ``version`` may come as If-Match instead."""

    version: int | None = Field(  # type: ignore[assignment]
        default=None, ge=1, le=INT32_MAX, description="the version you read, unless If-Match"
    )


class EnhancementDelete(StrictModel):
    """An optional body for DELETE: the version you read, unless If-Match."""

    version: int | None = Field(default=None, ge=1, le=INT32_MAX)


@router.get("", responses=errors())
async def list_enhancements(
    container: AppContainer, actor: CurrentActor, query: Annotated[EnhancementListQuery, Query()]
) -> Page[EnhancementRead]:
    """By priority (critical first); page with ``offset`` or ``cursor``, not both."""
    return await container.enhancements.list(actor=actor, query=query)


@router.post("", status_code=status.HTTP_201_CREATED, responses=errors(404, 409))
async def create_enhancement(
    container: AppContainer, actor: CurrentActor, data: EnhancementCreate, response: Response
) -> EnhancementRead:
    created = await container.enhancements.create(actor=actor, data=data)
    response.headers["Location"] = f"{router.prefix}/{created.id}"
    set_etag(response, created.version)
    return created


@router.get("/{enhancement_id}", responses=errors(404))
async def get_enhancement(
    container: AppContainer, actor: CurrentActor, enhancement_id: uuid.UUID, response: Response
) -> EnhancementRead:
    found = await container.enhancements.get(actor=actor, enhancement_id=enhancement_id)
    set_etag(response, found.version)
    return found


@router.patch("/{enhancement_id}", responses=errors(404, 409, 412, 428))
async def update_enhancement(
    container: AppContainer,
    actor: CurrentActor,
    enhancement_id: uuid.UUID,
    patch: EnhancementPatch,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> EnhancementRead:
    """Change fields; ``depends_on`` replaces the dependencies (409 when it closes a cycle)."""
    version = required_version(request, patch.version, if_match)
    data = EnhancementUpdate.load(
        {**patch.model_dump(exclude_unset=True, exclude={"version"}), "version": version}
    )
    updated = await container.enhancements.update(
        actor=actor, enhancement_id=enhancement_id, data=data
    )
    set_etag(response, updated.version)
    return updated


@router.delete(
    "/{enhancement_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(404, 409, 412, 428),
)
async def delete_enhancement(
    container: AppContainer,
    actor: CurrentActor,
    enhancement_id: uuid.UUID,
    request: Request,
    if_match: IfMatch = None,
    body: EnhancementDelete | None = None,
) -> Response:
    """Delete for good (enhancements have no soft delete)."""
    expected = required_version(request, body.version if body else None, if_match)
    await container.enhancements.delete(
        actor=actor, enhancement_id=enhancement_id, version=expected
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
