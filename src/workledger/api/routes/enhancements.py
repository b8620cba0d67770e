"""/api/v1/enhancements: planned future work, its priority, quarter and dependencies."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from workledger.api.deps import CurrentActor, set_etag
from workledger.api.openapi import errors
from workledger.api.preconditions import Precondition, VersionBody
from workledger.http.deps import AppContainer
from workledger.schemas.common import Page
from workledger.schemas.enhancement import (
    EnhancementCreate,
    EnhancementListQuery,
    EnhancementPatch,
    EnhancementRead,
    EnhancementUpdate,
)

router = APIRouter(prefix="/enhancements", tags=["enhancements"])


@router.get("", responses=errors())
async def list_enhancements(
    container: AppContainer, actor: CurrentActor, query: Annotated[EnhancementListQuery, Query()]
) -> Page[EnhancementRead]:
    """By priority (critical first); page with ``offset`` or ``cursor``, not both."""
    return await container.enhancements.list(actor=actor, query=query)


@router.post("", status_code=status.HTTP_201_CREATED, responses=errors(404, 409))
async def create_enhancement(
    container: AppContainer,
    actor: CurrentActor,
    request: Request,
    data: EnhancementCreate,
    response: Response,
) -> EnhancementRead:
    created = await container.enhancements.create(actor=actor, data=data)
    response.headers["Location"] = f"{request.url.path}/{created.id}"
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
    precondition: Precondition,
    response: Response,
) -> EnhancementRead:
    """Change fields; ``depends_on`` replaces the dependencies (409 when it closes a cycle)."""
    data = precondition.applied(patch, to=EnhancementUpdate)
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
    precondition: Precondition,
    body: VersionBody | None = None,
) -> Response:
    """Delete for good (enhancements have no soft delete)."""
    expected = precondition.version(body.version if body else None)
    await container.enhancements.delete(
        actor=actor, enhancement_id=enhancement_id, version=expected
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
