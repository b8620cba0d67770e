"""Writes while PostgreSQL is away (CONTRACT §9): journaled, applied to the mirror, and
replayed exactly once when it is back.

A service method marked ``@journaled`` is one operation. While the database is degraded
it runs against the mirror (so every rule and precondition is checked as usual), and
before the mirror commits, the call itself (its name, arguments, the ids it made and
the version of the record it changed) is appended to the journal. Replay calls the same
method on the database, inside one transaction that also records the entry's id in
``applied_operations``, with the same ids, against the same version; a refusal is kept
as a conflict, never forced."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import (
    Any,
    Concatenate,
    ParamSpec,
    Protocol,
    TypeVar,
    get_type_hints,
    runtime_checkable,
)

from pydantic import BaseModel, TypeAdapter
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from workledger.db import replay
from workledger.db.failures import meaning
from workledger.db.journal import Conflict, Entry, Journal, new_conflict
from workledger.db.source import note
from workledger.db.types import utcnow
from workledger.db.unit_of_work import Database
from workledger.errors import StorageUnavailable, StorageUnreachable, WorkledgerError
from workledger.models import (
    AppliedOperation,
    Base,
    Deployment,
    Enhancement,
    ProjectConfiguration,
    Vendor,
    WorkItem,
    new_id,
)
from workledger.repositories.journaling import applied_among, versions_of
from workledger.schemas.common import Actor
from workledger.services.common import Service

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


@runtime_checkable
class Journaled(Protocol):
    """A service whose writes can be journaled: it names its records and reads one back
    (a conflict shows the record as it is now)."""

    db: Database
    record_type: str

    async def current(self, *, actor: Actor, record_id: uuid.UUID) -> BaseModel: ...


S = TypeVar("S", bound=Journaled)

# Entries replayed in one transaction (each in a savepoint of its own).
REPLAY_BATCH = 100
# How long a write waits for a replay under way before it is journaled behind it.
DRAIN_WAIT_SECONDS = 2.0
# Writes remembered for the mirror between two copies, at most.
MAX_UNMIRRORED = 10_000


@dataclass(frozen=True)
class Operation:
    name: str
    owner: str  # the service class's name
    fn: Callable[..., Awaitable[Any]]
    creates: bool
    key: str | None  # the argument naming the changed record, if its result does not
    arguments: dict[str, TypeAdapter[Any]]

    def dump(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {
            name: adapter.dump_python(kwargs[name], mode="json", exclude_unset=True)
            for name, adapter in self.arguments.items()
            if name in kwargs
        }

    def load(self, arguments: dict[str, Any]) -> dict[str, Any]:
        return {
            name: self.arguments[name].validate_json(json.dumps(value))
            for name, value in arguments.items()
        }


OPERATIONS: dict[str, Operation] = {}


def journaled(
    *, creates: bool = False, key: str | None = None
) -> Callable[
    [Callable[Concatenate[S, P], Awaitable[R]]], Callable[Concatenate[S, P], Awaitable[R]]
]:
    """Mark a service write as one journaled operation: one that ``creates`` a record, or
    changes one (named by its result, else by the keyword argument ``key``)."""

    def mark(
        fn: Callable[Concatenate[S, P], Awaitable[R]],
    ) -> Callable[Concatenate[S, P], Awaitable[R]]:
        owner = fn.__qualname__.split(".")[0]
        hints = get_type_hints(fn)
        parameters = inspect.signature(fn).parameters
        operation = Operation(
            name=f"{owner}.{fn.__name__}",
            owner=owner,
            fn=fn,
            creates=creates,
            key=key,
            arguments={
                name: TypeAdapter(hints[name])
                for name in parameters
                if name not in ("self", "actor")
            },
        )
        OPERATIONS[operation.name] = operation

        async def write(service: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
            db = service.db
            if db.journal is None or db.in_transaction:
                return await fn(service, *args, **kwargs)
            if db.journals and not db.away:
                # The database is back and the journal is being replayed: wait a moment
                # for it rather than make the journal longer.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(db.journal.drained.wait(), DRAIN_WAIT_SECONDS)
            if not db.journals:
                try:
                    done: R = await _unmirrored(service, operation, dict(kwargs))
                    return done
                except StorageUnreachable:
                    if not db.journals:
                        raise
            result: R = await _journal(service, operation, dict(kwargs))
            return result

        functools.update_wrapper(write, fn)
        return write

    return mark


async def _unmirrored(service: Journaled, operation: Operation, kwargs: dict[str, Any]) -> Any:
    """The write on the database, remembered until the mirror's next copy holds it."""
    db, actor = service.db, kwargs["actor"]
    assert isinstance(actor, Actor)
    with replay.recording() as made:
        result = await operation.fn(service, **kwargs)
    if len(db.unmirrored) >= MAX_UNMIRRORED:
        del db.unmirrored[0]  # the copy is long overdue: the oldest is most likely in it
    record_id = _record_id(operation, kwargs, result)
    db.unmirrored.append(
        Unmirrored(
            at=utcnow(),
            operation=operation,
            record_type=service.record_type,
            actor=actor,
            arguments=operation.dump(kwargs),
            ids=list(made),
            record_id=None if record_id is None else uuid.UUID(record_id),
            base_version=_base_version(operation, kwargs, result),
        )
    )
    return result


async def _journal(service: Journaled, operation: Operation, kwargs: dict[str, Any]) -> Any:
    db, actor = service.db, kwargs["actor"]
    assert db.journal is not None
    assert isinstance(actor, Actor)
    await db.mirror_caught_up()
    entry_id = new_id()  # not among the ids the operation makes
    with replay.recording() as made:
        async with db.transaction(layer="cache"):
            result = await operation.fn(service, **kwargs)
            entry = Entry(
                id=entry_id,
                account_id=actor.account_id,
                client=actor.client,
                operation=operation.name,
                record_type=service.record_type,
                record_id=_record_id(operation, kwargs, result),
                base_version=_base_version(operation, kwargs, result),
                arguments=operation.dump(kwargs),
                ids=[str(i) for i in made],
                journaled_at=utcnow(),
            )
            # Durable before the mirror commits and before anyone is told.
            await db.journal.append(entry)
    note("journal", journal_id=str(entry.id))
    return result


def _record_id(operation: Operation, kwargs: dict[str, Any], result: Any) -> str | None:
    found = getattr(result, "id", None)
    if found is None and operation.key is not None:
        found = kwargs.get(operation.key)
    return None if found is None else str(found)


def _base_version(operation: Operation, kwargs: dict[str, Any], result: Any) -> int | None:
    """The version the change was made against: the one before the result's."""
    if operation.creates:
        return None  # no record yet
    version = getattr(result, "version", None)
    if isinstance(version, int):
        return version - 1
    stated = kwargs.get("version")
    return stated if isinstance(stated, int) else None


class Replayer:
    """Applies the journal to the database, oldest first, each entry exactly once; and
    brings the mirror up to this process's own latest writes when it is needed."""

    def __init__(self, db: Database, journal: Journal, services: Iterable[Service]) -> None:
        self.db = db
        self.journal = journal
        self._services = {type(s).__name__: s for s in services}

    async def drain(self) -> int:
        """Replay until the journal is empty; how many entries were settled. Stops (with
        StorageUnavailable) when the database goes away again: the rest waits."""
        settled = 0
        while entries := await self.journal.oldest(REPLAY_BATCH):
            await self.journal.settle(await self._replay(entries))
            settled += len(entries)
        if settled:
            log.warning("journal replayed: %d writes settled", settled)
        return settled

    async def _replay(self, entries: list[Entry]) -> list[tuple[Entry, Conflict | None]]:
        """One transaction for a batch: each entry in a savepoint of its own, recorded in
        ``applied_operations`` with its change (or its refusal)."""
        settled: list[tuple[Entry, Conflict | None]] = []
        async with self.db.transaction(layer="database") as session:
            done = await applied_among(session, [entry.id for entry in entries])
            for entry in entries:
                if entry.id in done:
                    log.info("journal entry %s was applied before; crossing it off", entry.id)
                    settled.append((entry, None))
                    continue
                refusal, current = await self._apply(entry)
                session.add(
                    AppliedOperation(
                        id=entry.id,
                        account_id=entry.account_id,
                        applied_at=utcnow(),
                        refused=refusal is not None,
                    )
                )
                conflict = None
                if refusal is not None:
                    conflict = new_conflict(entry, reason=refusal, current=current)
                settled.append((entry, conflict))
        for entry, conflict in settled:
            if conflict is not None:
                log.warning(
                    "journal entry %s (%s) became a conflict: %s",
                    entry.id,
                    entry.operation,
                    conflict.reason,
                )
        return settled

    async def _apply(self, entry: Entry) -> tuple[str | None, dict[str, Any] | None]:
        """Why the entry was refused (None: it applied), and the record as it is then."""
        operation = OPERATIONS.get(entry.operation)
        service = None if operation is None else self._services.get(operation.owner)
        if operation is None or service is None:
            return f"internal_error: unknown operation {entry.operation}", None
        record_id = None if entry.record_id is None else uuid.UUID(entry.record_id)
        actor = Actor(account_id=entry.account_id, client=entry.client)
        ids = [uuid.UUID(i) for i in entry.ids]
        with replay.replaying(ids, record_id=record_id, base_version=entry.base_version):
            refusal = await _apply(operation, service, actor, entry.arguments, str(entry.id))
        if refusal is None:
            return None, None
        return refusal, await _current(service, actor, record_id)

    async def catch_up_mirror(self) -> None:
        """Apply to the mirror the writes this process made on the database since the
        mirror's last copy began: what a client wrote a moment before the outage reads
        back, and a journaled change of it is made against its true version. Writes the
        copy already holds (by id, and version) are skipped without being run."""
        writes, self.db.unmirrored = self.db.unmirrored, []
        if not writes:
            return
        started = time.perf_counter()
        async with self.db.transaction(layer="cache") as session:
            held = await _versions(session, writes)
            for write in writes:
                assert isinstance(write, Unmirrored)
                key = (write.record_type, write.record_id)
                version = held.get(key)
                if version is not None and version > (write.base_version or 0):
                    continue  # the copy has it
                service = self._services.get(write.operation.owner)
                if service is None:
                    continue
                with replay.replaying(
                    write.ids, record_id=write.record_id, base_version=write.base_version
                ):
                    refusal = await _apply(
                        write.operation, service, write.actor, write.arguments, "catch-up"
                    )
                if refusal is None:
                    held[key] = (write.base_version or 0) + 1
                else:
                    log.info("the mirror did not take write %s: %s", write.operation.name, refusal)
        log.warning(
            "the mirror caught up with %d writes in %.0f ms",
            len(writes),
            (time.perf_counter() - started) * 1000,
        )


# The table of each kind of record a journaled service changes.
RECORDS: dict[str, type[Base]] = {
    "work_item": WorkItem,
    "vendor": Vendor,
    "deployment": Deployment,
    "enhancement": Enhancement,
    "project_configuration": ProjectConfiguration,
}


async def _versions(
    session: AsyncSession, writes: list[Any]
) -> dict[tuple[str, uuid.UUID | None], int]:
    """The version the mirror holds of each record ``writes`` touch."""
    wanted: dict[str, set[uuid.UUID]] = {}
    for write in writes:
        if write.record_id is not None:
            wanted.setdefault(write.record_type, set()).add(write.record_id)
    held: dict[tuple[str, uuid.UUID | None], int] = {}
    for record_type, ids in wanted.items():
        found = await versions_of(session, RECORDS[record_type], ids)
        held.update({(record_type, record_id): v for record_id, v in found.items()})
    return held


@dataclass(frozen=True)
class Unmirrored:
    """A write the database took that the mirror may not hold yet."""

    at: datetime  # when it committed
    operation: Operation
    record_type: str
    actor: Actor
    arguments: dict[str, Any]
    ids: list[uuid.UUID]
    record_id: uuid.UUID | None
    base_version: int | None


async def _apply(
    operation: Operation, service: Service, actor: Actor, arguments: dict[str, Any], what: str
) -> str | None:
    """None when the write applied; else why it did not (a rule, or a newer version)."""
    try:
        await operation.fn(service, actor=actor, **operation.load(arguments))
    except StorageUnavailable:
        raise
    except (SQLAlchemyError, OSError) as exc:
        if meaning(exc) is not None:
            raise  # the database went away again (or a race): the entry waits
        log.exception("write %s (%s) failed to apply", what, operation.name)
        return f"internal_error: the write failed on the server ({type(exc).__name__})"
    except WorkledgerError as refused:
        return f"{refused.code}: {refused}"
    except Exception:  # a bug must not block the entries behind it
        log.exception("write %s (%s) failed to apply", what, operation.name)
        return "internal_error: the write failed on the server; the error was logged"
    return None


async def _current(
    service: Service | None, actor: Actor, record_id: uuid.UUID | None
) -> dict[str, Any] | None:
    if not isinstance(service, Journaled) or record_id is None:
        return None
    try:
        record = await service.current(actor=actor, record_id=record_id)
    except WorkledgerError:
        return None  # gone, or the database is away again: the conflict says so without it
    return record.model_dump(mode="json")
