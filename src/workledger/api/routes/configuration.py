"""/api/v1/configuration: the account's one project configuration."""

from __future__ import annotations

from fastapi import APIRouter, Response

from workledger.api.deps import CurrentActor, set_etag
from workledger.api.openapi import errors
from workledger.api.preconditions import Precondition
from workledger.http.deps import AppContainer
from workledger.schemas.project_configuration import (
    ProjectConfigurationPatch,
    ProjectConfigurationRead,
    ProjectConfigurationUpdate,
)

router = APIRouter(prefix="/configuration", tags=["configuration"])


@router.get("", responses=errors())
async def get_configuration(
    container: AppContainer, actor: CurrentActor, response: Response
) -> ProjectConfigurationRead:
    """Created with defaults on first read; ``git_state`` is read live."""
    found = await container.configuration.get(actor=actor)
    set_etag(response, found.version)
    return found


@router.patch("", responses=errors(404, 409, 412, 428))
async def update_configuration(
    container: AppContainer,
    actor: CurrentActor,
    patch: ProjectConfigurationPatch,
    precondition: Precondition,
    response: Response,
) -> ProjectConfigurationRead:
    """``current_session_id`` must name a session work item of the account (404 otherwise)."""
    data = precondition.applied(patch, to=ProjectConfigurationUpdate)
    updated = await container.configuration.update(actor=actor, data=data)
    set_etag(response, updated.version)
    return updated
