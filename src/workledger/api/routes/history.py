"""What happened in a ledger: a work item's history, comments on items, and the change
feed, as pages (/api/v1/changes) and as server-sent events (/api/v1/changes/stream)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status
from sse_starlette import EventSourceResponse

from workledger.api.deps import CurrentActor, set_etag
from workledger.api.openapi import errors
from workledger.api.preconditions import Precondition, VersionBody
from workledger.errors import StorageUnavailable, ValidationError
from workledger.http.deps import AppContainer
from workledger.schemas.common import Page
from workledger.schemas.history import (
    ChangesPage,
    ChangesQuery,
    CommentCreate,
    CommentListQuery,
    CommentPatch,
    CommentRead,
    EventRead,
    HistoryQuery,
    Seq,
    last_event_seq,
)
from workledger.schemas.work_item import WorkItemRef

router = APIRouter(tags=["history"])
# How often an idle stream sends a comment line, so proxies and clients keep it open.
PING_SECONDS = 15
STREAM_EVENT = "change"
LAST_EVENT_ID = "Last-Event-ID"


# --- a work item's history ------------------------------------------------------------------


@router.get("/work-items/{item_id}/history", responses=errors(404))
async def get_work_item_history(
    container: AppContainer,
    actor: CurrentActor,
    item_id: WorkItemRef,
    query: Annotated[HistoryQuery, Query()],
) -> Page[EventRead]:
    """The item's events, oldest first: live, deleted or archived, it keeps them."""
    return await container.history.of_work_item(actor=actor, item_id=item_id, query=query)


# --- comments -------------------------------------------------------------------------------


@router.post(
    "/work-items/{item_id}/comments",
    status_code=status.HTTP_201_CREATED,
    responses=errors(404),
)
async def add_comment(
    container: AppContainer,
    actor: CurrentActor,
    request: Request,
    item_id: WorkItemRef,
    data: CommentCreate,
    response: Response,
) -> CommentRead:
    """A markdown comment on a live item, by the caller (members and owners)."""
    created = await container.comments.add(actor=actor, work_item_id=item_id, body=data.body)
    # The comment's own path, in the ledger of the path used (PATCH and DELETE are there).
    in_ledger = request.url.path.rsplit("/work-items/", 1)[0]
    response.headers["Location"] = f"{in_ledger}/comments/{created.id}"
    set_etag(response, created.version)
    return created


@router.get("/work-items/{item_id}/comments", responses=errors(404))
async def list_comments(
    container: AppContainer,
    actor: CurrentActor,
    item_id: WorkItemRef,
    query: Annotated[CommentListQuery, Query()],
) -> Page[CommentRead]:
    """The item's comments, oldest first."""
    return await container.comments.list(actor=actor, work_item_id=item_id, query=query)


@router.get("/comments/{comment_id}", responses=errors(404))
async def get_comment(
    container: AppContainer, actor: CurrentActor, comment_id: uuid.UUID, response: Response
) -> CommentRead:
    """One comment, with its version as ETag (what a PATCH sends back as If-Match)."""
    found = await container.comments.get(actor=actor, comment_id=comment_id)
    set_etag(response, found.version)
    return found


@router.patch("/comments/{comment_id}", responses=errors(404, 409, 412, 428))
async def update_comment(
    container: AppContainer,
    actor: CurrentActor,
    comment_id: uuid.UUID,
    patch: CommentPatch,
    precondition: Precondition,
    response: Response,
) -> CommentRead:
    """Change a comment's body: its author's account only."""
    version = precondition.version(patch.version)
    edited = await container.comments.edit(
        actor=actor, comment_id=comment_id, body=patch.body, version=version
    )
    set_etag(response, edited.version)
    return edited


@router.delete(
    "/comments/{comment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(404, 409, 412),
)
async def delete_comment(
    container: AppContainer,
    actor: CurrentActor,
    comment_id: uuid.UUID,
    precondition: Precondition,
    body: VersionBody | None = None,
) -> Response:
    """Remove a comment: its author's account, or an owner of the ledger. Needs no
    precondition, but honours one when sent."""
    version = precondition.optional_version(body.version if body else None)
    await container.comments.delete(actor=actor, comment_id=comment_id, version=version)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- the change feed ------------------------------------------------------------------------


@router.get("/changes", responses=errors())
async def get_changes(
    container: AppContainer, actor: CurrentActor, query: Annotated[ChangesQuery, Query()]
) -> ChangesPage:
    """The ledger's events after seq ``after``, oldest first, every record type; ask
    again with ``after=next_after`` while ``has_more``."""
    return await container.history.changes(actor=actor, after=query.after, limit=query.limit)


@router.get(
    "/changes/stream",
    response_class=EventSourceResponse,
    responses={
        200: {
            "description": "Server-sent events named `change`: `id` is the event's seq, "
            "`data` the event as JSON (as an item of GET /changes).",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        **errors(),
    },
)
async def stream_changes(
    container: AppContainer,
    actor: CurrentActor,
    after: Annotated[
        Seq | None,
        Query(description="the last seq you saw; without it (and Last-Event-ID), from now"),
    ] = None,
    last_event_id: Annotated[
        str | None,
        Header(alias=LAST_EVENT_ID, description="the id of the last event received"),
    ] = None,
) -> EventSourceResponse:
    """The change feed as it happens: the events after ``Last-Event-ID`` (else ``after``,
    else none before now), then each one as it commits, until the client goes."""
    start = _resumed_at(last_event_id)
    if start is None:
        start = after
    if start is None:
        start = await container.history.last_seq(actor=actor)
    events = container.history.follow(actor=actor, after=start, wake=container.page_changes)

    async def stream() -> AsyncIterator[dict[str, str]]:
        # The database going away ends the stream; the client resumes by Last-Event-ID.
        # A client gone stops the follower (and its wait for commits) at once.
        async with contextlib.aclosing(events):
            try:
                async for event in events:
                    yield {
                        "id": str(event.seq),
                        "event": STREAM_EVENT,
                        "data": event.model_dump_json(),
                    }
            except StorageUnavailable:
                return

    return EventSourceResponse(stream(), ping=PING_SECONDS)


def _resumed_at(last_event_id: str | None) -> int | None:
    """The seq a reconnecting client saw last, from its ``Last-Event-ID``."""
    try:
        return last_event_seq(last_event_id)
    except ValueError as bad:
        raise ValidationError.single(LAST_EVENT_ID, str(bad)) from None
