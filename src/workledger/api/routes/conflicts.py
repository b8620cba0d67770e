"""/api/v1/conflicts: journaled writes that replay refused, kept to be seen."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from workledger.api.deps import CurrentActor
from workledger.api.openapi import errors
from workledger.http.deps import AppContainer
from workledger.schemas.common import Page
from workledger.schemas.conflict import ConflictListQuery, ConflictRead

router = APIRouter(prefix="/conflicts", tags=["conflicts"])


@router.get("", responses=errors())
async def list_conflicts(
    container: AppContainer, actor: CurrentActor, query: Annotated[ConflictListQuery, Query()]
) -> Page[ConflictRead]:
    """Writes made while the database was away that were not applied: each with the
    change as it was made, why it was refused, and the record as it is now."""
    return await container.conflicts.list(actor=actor, query=query)


@router.delete("/{conflict_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(404))
async def dismiss_conflict(
    container: AppContainer, actor: CurrentActor, conflict_id: uuid.UUID
) -> Response:
    """Dismiss a conflict once it has been dealt with."""
    await container.conflicts.dismiss(actor=actor, conflict_id=conflict_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
