from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, TypedDict, TypeVar

from workledger.db.unit_of_work import Database
from workledger.errors import VersionConflict, WorkledgerError
from workledger.repositories.events import EventRepository
from workledger.schemas.common import Actor

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


class Versioned(Protocol):
    id: uuid.UUID
    version: int
    updated_by: str
    updated_by_account: str | None
    updated_at: datetime


def check_version(record: Versioned, *, requested: int | None, resource: str) -> None:
    """Refuse a change made against a version that is no longer current (``None``: made
    against whatever is current, where an endpoint does not require a precondition)."""
    if requested is not None and record.version != requested:
        raise VersionConflict(
            resource,
            current_version=record.version,
            requested_version=requested,
            updated_by=record.updated_by,
            updated_by_account=record.updated_by_account,
            updated_at=record.updated_at,
            record_id=record.id,
        )


def stamp(record: Versioned, actor: Actor, *, at: datetime) -> None:
    """Mark who changed the record and when; the ORM bumps ``version`` on flush."""
    record.updated_by = actor.client
    record.updated_by_account = actor.account
    record.updated_at = at


class Authored(TypedDict):
    created_by: str
    updated_by: str
    created_by_account: str | None
    updated_by_account: str | None


def authored(actor: Actor) -> Authored:
    """The audit fields of a new record: made, and last changed, by ``actor``."""
    return {
        "created_by": actor.client,
        "updated_by": actor.client,
        "created_by_account": actor.account,
        "updated_by_account": actor.account,
    }


R = TypeVar("R")


def the_one(made: Sequence[R | WorkledgerError]) -> R:
    """The result of a batch of one: the record, or the error that refused it, raised."""
    [one] = made
    if isinstance(one, WorkledgerError):
        raise one
    return one


class Service:
    def __init__(self, db: Database) -> None:
        self.db = db

    @asynccontextmanager
    async def writing(
        self, actor: Actor, *, single_statement: bool = False
    ) -> AsyncIterator[AsyncSession]:
        """A write transaction for ``actor``; Forbidden for a reader, before anything runs.
        A change refused as stale says what changed since the version it was made against
        (``changes_since``, from the record's history). ``single_statement``: the write
        is one statement (see ``Database.transaction``)."""
        actor.require("member")
        async with self.db.transaction(single_statement=single_statement) as session:
            try:
                yield session
            except VersionConflict as stale:
                if isinstance(stale.record_id, uuid.UUID):
                    events = EventRepository(session, ledger_id=actor.ledger_id)
                    stale.explain(
                        await events.changes_since(stale.record_id, stale.requested_version)
                    )
                raise
