"""/api/{user_id}/tasks: the simple todo API over the account's work items of type task."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status

from workledger.api.deps import CurrentActor, set_etag
from workledger.api.openapi import errors
from workledger.api.preconditions import Precondition, VersionBody
from workledger.errors import Forbidden, ValidationError
from workledger.http.deps import AppContainer
from workledger.schemas.common import Actor
from workledger.schemas.task import (
    TaskCompletion,
    TaskCreate,
    TaskListQuery,
    TaskRead,
    TaskReplace,
)
from workledger.services.task import TaskService

router = APIRouter(prefix="/api/{user_id}/tasks", tags=["tasks"])


async def task_owner(
    actor: CurrentActor,
    user_id: Annotated[str, Path(description="your own account id (GET /api/v1/auth/me)")],
) -> Actor:
    """The caller, who may only reach tasks under their own account id."""
    try:
        owner = uuid.UUID(user_id)
    except ValueError:
        raise ValidationError.single(
            "user_id", "not an account id: yours is the id of GET /api/v1/auth/me"
        ) from None
    if owner != actor.account_id:
        raise Forbidden("these tasks belong to another account: use your own id in the path")
    return actor


async def task_service(container: AppContainer) -> TaskService:
    return container.tasks


Owner = Annotated[Actor, Depends(task_owner)]
Tasks = Annotated[TaskService, Depends(task_service)]


@router.get("", responses=errors(403))
async def list_tasks(
    tasks: Tasks, owner: Owner, query: Annotated[TaskListQuery, Query()]
) -> list[TaskRead]:
    """Every task of the account (not paged), filtered by completion and sorted."""
    return await tasks.list(actor=owner, query=query)


@router.post("", status_code=status.HTTP_201_CREATED, responses=errors(400, 403))
async def create_task(tasks: Tasks, owner: Owner, data: TaskCreate, response: Response) -> TaskRead:
    created = await tasks.create(actor=owner, data=data)
    response.headers["Location"] = f"/api/{owner.account_id}/tasks/{created.id}"
    set_etag(response, created.version)
    return created


@router.get("/{task_id}", responses=errors(403, 404))
async def get_task(tasks: Tasks, owner: Owner, task_id: uuid.UUID, response: Response) -> TaskRead:
    found = await tasks.get(actor=owner, task_id=task_id)
    set_etag(response, found.version)
    return found


@router.put("/{task_id}", responses=errors(400, 403, 404, 409, 412))
async def replace_task(
    tasks: Tasks,
    owner: Owner,
    task_id: uuid.UUID,
    data: TaskReplace,
    precondition: Precondition,
    response: Response,
) -> TaskRead:
    """Set the title, and the description, due date and completion when sent."""
    version = precondition.optional_version(data.version)
    updated = await tasks.replace(actor=owner, task_id=task_id, data=data, version=version)
    set_etag(response, updated.version)
    return updated


@router.delete(
    "/{task_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=errors(400, 403, 404, 409, 412),
)
async def delete_task(
    tasks: Tasks,
    owner: Owner,
    task_id: uuid.UUID,
    precondition: Precondition,
    body: VersionBody | None = None,
) -> None:
    """Soft delete."""
    expected = precondition.optional_version(body.version if body else None)
    await tasks.delete(actor=owner, task_id=task_id, version=expected)


@router.patch("/{task_id}/complete", responses=errors(400, 403, 404, 409, 412))
async def complete_task(
    tasks: Tasks,
    owner: Owner,
    task_id: uuid.UUID,
    precondition: Precondition,
    response: Response,
    body: TaskCompletion | None = None,
) -> TaskRead:
    """Toggle completion, or set it with ``{"completed": true|false}``."""
    change = body or TaskCompletion()
    version = precondition.optional_version(change.version)
    updated = await tasks.set_completed(
        actor=owner, task_id=task_id, completed=change.completed, version=version
    )
    set_etag(response, updated.version)
    return updated
