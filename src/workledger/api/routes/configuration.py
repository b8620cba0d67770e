"""/api/v1/configuration: the account's one project configuration."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from pydantic import Field

from workledger.api.deps import AppContainer, CurrentActor, required_version, set_etag
from workledger.api.openapi import errors
from workledger.schemas.common import INT32_MAX
from workledger.schemas.project_configuration import (
    ProjectConfigurationRead,
    ProjectConfigurationUpdate,
)

router = APIRouter(prefix="/api/v1/configuration", tags=["configuration"])
IfMatch = Annotated[str | None, Header(description='the ETag you read, e.g. "3"')]


class ProjectConfigurationPatch(ProjectConfigurationUpdate):
    """The fields to change; ``version`` may come as If-Match instead."""

    version: int | None = Field(  # type: ignore[assignment]
        default=None, ge=1, le=INT32_MAX, description="the version you read, unless If-Match"
    )


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
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> ProjectConfigurationRead:
    """``current_session_id`` must name a session work item of the account (404 otherwise)."""
    version = required_version(request, patch.version, if_match)
    data = ProjectConfigurationUpdate.load(
        {**patch.model_dump(exclude_unset=True, exclude={"version"}), "version": version}
    )
    updated = await container.configuration.update(actor=actor, data=data)
    set_etag(response, updated.version)
    return updated
