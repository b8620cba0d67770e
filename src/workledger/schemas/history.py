"""History (a record's events), the change feed (a ledger's events), and comments."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from itertools import groupby
from typing import Annotated, Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from workledger.errors import who
from workledger.schemas.common import (
    INT32_MAX,
    Cursor,
    NotBlank,
    PageLimit,
    ReadModel,
    Version,
    WithVersionOrIfMatch,
)
from workledger.schemas.strict import QueryModel, StrictModel

FEED_MAX = 1000
Seq = Annotated[int, Field(ge=0, le=2**53)]


class EventActor(ReadModel):
    client: str
    account: str | None


class EventRead(ReadModel):
    """One change to one record: ``changes`` is ``{field: [old, new]}``."""

    seq: int
    record_type: str
    record_id: uuid.UUID
    version: int
    action: str
    changes: dict[str, list[Any]]
    actor: EventActor
    at: datetime


class EventGroup(NamedTuple):
    """What one person did through one client within one minute (UTC)."""

    minute: datetime
    client: str
    account: str | None
    events: list[EventRead]

    @property
    def who(self) -> str:
        return who(self.client, self.account)


def grouped(events: Iterable[EventRead]) -> list[EventGroup]:
    """A history as people read it: each run of events by one person, through one client,
    within one minute, together (events are grouped when read, never when written)."""

    def by(event: EventRead) -> tuple[datetime, str, str | None]:
        return event.at.replace(second=0, microsecond=0), event.actor.client, event.actor.account

    return [EventGroup(*key, list(run)) for key, run in groupby(events, key=by)]


class HistoryQuery(QueryModel):
    after_version: Annotated[int, Field(ge=0, le=INT32_MAX)] | None = Field(
        default=None, description="only what happened after the item reached this version"
    )
    limit: PageLimit = 50
    cursor: Cursor | None = None


def last_event_seq(last_event_id: str | None) -> int | None:
    """The seq a reconnecting client of a change stream saw last, from the
    ``Last-Event-ID`` it sends (None: it sends none); ValueError when that is no seq."""
    text = (last_event_id or "").strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 16 or int(text) > 2**53:
        raise ValueError("must be the id of an event received")
    return int(text)


class ChangesQuery(QueryModel):
    after: Seq = Field(default=0, description="the last seq you saw (0: from the start)")
    limit: Annotated[int, Field(ge=1, le=FEED_MAX)] = 100


class ChangesPage(BaseModel):
    """A page of the change feed: ask again with ``after=next_after``."""

    model_config = ConfigDict(frozen=True)

    items: list[EventRead]
    next_after: int
    has_more: bool


CommentBody = Annotated[str, StringConstraints(min_length=1, max_length=20_000), *NotBlank]


class CommentCreate(StrictModel):
    body: CommentBody = Field(description="markdown")


class CommentPatch(StrictModel, WithVersionOrIfMatch):
    body: CommentBody


class CommentUpdate(StrictModel):
    body: CommentBody
    version: Version


class CommentListQuery(QueryModel):
    limit: PageLimit = 50
    cursor: Cursor | None = None


class CommentRead(ReadModel):
    id: uuid.UUID
    work_item_id: uuid.UUID
    body: str
    author: str
    author_account: str | None
    created_at: datetime
    updated_at: datetime
    version: int
