"""/api/v1/deployments: PRs and commits with their tests and links, recorded once each."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from workledger.api.deps import CurrentActor, set_etag
from workledger.api.openapi import errors
from workledger.http.deps import AppContainer
from workledger.schemas.common import Page
from workledger.schemas.deployment import DeploymentCreate, DeploymentListQuery, DeploymentRead

router = APIRouter(prefix="/deployments", tags=["deployments"])
_ALREADY_RECORDED = {
    "model": DeploymentRead,
    "description": "This PR and commit were already recorded: the first record, "
    "with `created: false`; nothing new is stored.",
}


@router.get("", responses=errors())
async def list_deployments(
    container: AppContainer, actor: CurrentActor, query: Annotated[DeploymentListQuery, Query()]
) -> Page[DeploymentRead]:
    """Newest first; ``since``/``until`` bound ``deployed_at``."""
    return await container.deployments.list(actor=actor, query=query)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={200: _ALREADY_RECORDED, **errors(404)},
    response_description="Recorded: the new deployment, with `created: true`.",
)
async def record_deployment(
    container: AppContainer,
    actor: CurrentActor,
    request: Request,
    data: DeploymentCreate,
    response: Response,
) -> DeploymentRead:
    """Record a deployment; linked vendors and work items must exist (404 names them)."""
    recorded = await container.deployments.record(actor=actor, data=data)
    if not recorded.created:
        response.status_code = status.HTTP_200_OK
    response.headers["Location"] = f"{request.url.path}/{recorded.id}"
    set_etag(response, recorded.version)
    return recorded


@router.get("/{deployment_id}", responses=errors(404))
async def get_deployment(
    container: AppContainer, actor: CurrentActor, deployment_id: uuid.UUID, response: Response
) -> DeploymentRead:
    found = await container.deployments.get(actor=actor, deployment_id=deployment_id)
    set_etag(response, found.version)
    return found
