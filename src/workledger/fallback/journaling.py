"""Writes while PostgreSQL is away: journaled as commands, applied to the mirror, and
replayed exactly once when it is back.

A service method marked ``@journaled(SomeCommand)`` is one command: its keyword arguments
are the command's fields. Where the write goes is decided here, in one place:

- on the database while it answers (and remembered until the mirror's next copy holds
  it, so that a read or journaled change during an outage sees it);
- in the journal and the mirror while the database is away and the mirror serves (every
  rule and precondition is checked on the mirror as usual, and the command is durable
  before the mirror commits and before anyone is told);
- nowhere otherwise: storage_unavailable.

Replay applies each command on the database inside one transaction that also records the
entry's id in ``applied_operations``; a refusal is kept as a conflict, never forced."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Concatenate, ParamSpec, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel
from sqlalchemy import FromClause
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from workledger.db.failures import meaning
from workledger.db.types import utcnow
from workledger.db.unit_of_work import Database
from workledger.errors import (
    NotFound,
    StorageUnavailable,
    StorageUnreachable,
    WorkledgerError,
    who,
)
from workledger.fallback.catch_up import Unmirrored
from workledger.fallback.commands import Command, Handlers
from workledger.fallback.journal import Conflict, Entry, Journal, Unreadable, new_conflict
from workledger.fallback.outage import Outage
from workledger.fallback.provenance import Source, note
from workledger.models import (
    AppliedOperation,
    Deployment,
    Enhancement,
    ProjectConfiguration,
    Vendor,
    WorkItem,
    new_id,
)
from workledger.repositories.journaling import applied_among, versions_of
from workledger.schemas.account import Principal
from workledger.schemas.common import Actor

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


@runtime_checkable
class Journaled(Protocol):
    """A service whose writes can be journaled: it reads one of its records back (a
    conflict shows the record as it is now)."""

    db: Database

    async def current(self, *, actor: Actor, record_id: uuid.UUID) -> BaseModel: ...


S = TypeVar("S", bound=Journaled)

# Entries replayed in one transaction (each in a savepoint of its own).
REPLAY_BATCH = 100
# How long a write waits for a replay under way before it is journaled behind it.
DRAIN_WAIT_SECONDS = 2.0


def journaled(
    kind: type[Command],
) -> Callable[
    [Callable[Concatenate[S, P], Awaitable[R]]], Callable[Concatenate[S, P], Awaitable[R]]
]:
    """Mark a service write as the command ``kind``."""

    def mark(
        fn: Callable[Concatenate[S, P], Awaitable[R]],
    ) -> Callable[Concatenate[S, P], Awaitable[R]]:
        async def write(service: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
            db = service.db
            outage = db.outage
            if not outage.has_layers or db.in_transaction:
                return await fn(service, *args, **kwargs)  # replay, catch-up, an import
            given = dict(kwargs)
            actor = given.pop("actor")
            assert isinstance(actor, Actor)
            command = kind.of(given)

            method: Callable[..., Awaitable[R]] = fn  # called with the command's fields

            async def run() -> R:
                return await method(service, actor=actor, **command.arguments())

            if outage.writes_go_to_journal and not outage.away:
                # The database is back and the journal is being replayed: wait a moment
                # for it rather than make the journal longer.
                journal = outage.journal
                assert journal is not None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(journal.drained.wait(), DRAIN_WAIT_SECONDS)
            if not outage.writes_go_to_journal:
                try:
                    return await _on_database(outage, command, actor, run)
                except StorageUnreachable:
                    if not outage.writes_go_to_journal:
                        raise  # nowhere safe to keep it: refused, nothing stored
            return await _journal(db, command, actor, run)

        functools.update_wrapper(write, fn)
        return write

    return mark


async def _on_database(
    outage: Outage, command: Command, actor: Actor, run: Callable[[], Awaitable[R]]
) -> R:
    """The write on the database, remembered until the mirror's next copy holds it."""
    result = await run()
    record_id, version = _changed(command, result)
    outage.remember(
        Unmirrored(
            at=utcnow(),
            command=command.settled(record_id=record_id, version=version),
            actor=actor,
            record_id=record_id,
        )
    )
    return result


async def _journal(
    db: Database, command: Command, actor: Actor, run: Callable[[], Awaitable[R]]
) -> R:
    outage = db.outage
    journal = outage.journal
    assert journal is not None
    await outage.mirror_caught_up()
    entry_id, appended = new_id(), False
    try:
        async with db.transaction(layer="mirror"):
            result = await run()
            record_id, version = _changed(command, result)
            entry = Entry(
                id=entry_id,
                account_id=actor.account_id,
                client=actor.client,
                command=command.settled(record_id=record_id, version=version),
                record_id=None if record_id is None else str(record_id),
                journaled_at=utcnow(),
                ledger_id=actor.ledger_id,
                account=actor.account,
            )
            # Durable before the mirror commits and before anyone is told.
            await journal.append(entry)
            appended = True
    except BaseException:
        if appended:  # the mirror did not commit it, and the client is told it failed
            await journal.withdraw(entry_id)
        raise
    note(Source.JOURNAL, journal_id=str(entry_id))
    return result


def _changed(command: Command, result: object) -> tuple[uuid.UUID | None, int | None]:
    """The record the command changed (its full id), and the version it was made against:
    the one before the result's."""
    found = getattr(result, "id", None)
    record_id = found if isinstance(found, uuid.UUID) else command.record_id()
    version = getattr(result, "version", None)
    base = version - 1 if isinstance(version, int) and command.new_id_field is None else None
    return record_id, base


class Replayer:
    """Applies the journal to the database, oldest first, each entry exactly once; and
    brings the mirror up to this process's own latest writes when it is needed."""

    def __init__(self, db: Database, journal: Journal, handlers: Handlers) -> None:
        self.db = db
        self.journal = journal
        self.handlers = handlers

    async def drain(self) -> int:
        """Replay until the journal is empty; how many entries were settled. Stops (with
        StorageUnavailable) when the database goes away again: the rest waits."""
        settled = 0
        while entries := await self.journal.oldest(REPLAY_BATCH):
            await self.journal.settle(await self._replay(entries))
            settled += len(entries)
        await self.journal.recount()
        if settled:
            log.warning("journal replayed: %d writes settled", settled)
        return settled

    async def _replay(
        self, entries: list[Entry | Unreadable]
    ) -> list[tuple[Entry | Unreadable, Conflict | None]]:
        """One transaction for a batch: each entry in a savepoint of its own, recorded in
        ``applied_operations`` with its change (or its refusal)."""
        settled: list[tuple[Entry | Unreadable, Conflict | None]] = []
        async with self.db.transaction(layer="database") as session:
            done = await applied_among(session, [entry.id for entry in entries])
            for entry in entries:
                if entry.id in done:
                    log.info("journal entry %s was applied before; crossing it off", entry.id)
                    settled.append((entry, None))
                    continue
                refusal: str | None
                acting = await self._acting(entry)
                if isinstance(entry, Unreadable):
                    refusal, current = entry.reason, None
                elif isinstance(acting, str):
                    refusal, current = acting, await self._as_it_is(entry)
                else:
                    refusal, current = await self._apply(entry, acting)
                ledger_id = acting.ledger_id if isinstance(acting, Actor) else entry.ledger_id
                if ledger_id is not None:
                    session.add(
                        AppliedOperation(
                            id=entry.id,
                            ledger_id=ledger_id,
                            applied_at=utcnow(),
                            refused=refusal is not None,
                        )
                    )
                conflict = None
                if refusal is not None:
                    conflict = new_conflict(entry, reason=refusal, current=current)
                    log.warning("journal entry %s became a conflict: %s", entry.id, refusal)
                settled.append((entry, conflict))
        return settled

    async def _apply(
        self, entry: Entry, actor: Actor
    ) -> tuple[str | None, dict[str, object] | None]:
        """Why the entry was refused (None: it applied), and the record as it is then."""
        refusal = await _apply(entry.command, self.handlers, actor, str(entry.id))
        if refusal is None:
            return None, None
        record_id = None if entry.record_id is None else uuid.UUID(entry.record_id)
        return refusal, await self._current(entry.command, actor, record_id)

    async def _acting(self, entry: Entry | Unreadable) -> Actor | str:
        """Who wrote the entry, with the role they have in its ledger now; or why they
        may no longer write there (removed, or made a reader, during the outage). An
        entry journaled before ledgers is its account's (then only) ledger's."""
        writer = who(entry.client, entry.account)
        principal = Principal(entry.account_id, entry.account or "")
        ledger = None if entry.ledger_id is None else str(entry.ledger_id)
        try:
            actor = await self.handlers.ledgers.actor(principal, ledger=ledger, client=entry.client)
        except NotFound:
            return f"forbidden: {writer} is no longer a member of this ledger"
        if not actor.may("member"):
            return f"forbidden: {writer} is a {actor.role} of this ledger now"
        return actor

    async def catch_up_mirror(self, writes: list[Unmirrored]) -> None:
        """Apply to the mirror the writes this process made on the database since the
        mirror's last copy began: what a client wrote a moment before the outage reads
        back, and a journaled change of it is made against its true version. Writes the
        copy already holds (by id, and version) are skipped without being run."""
        if not writes:
            return
        started = time.perf_counter()
        async with self.db.transaction(layer="mirror") as session:
            held = await _versions(session, writes)
            for write in writes:
                key = (write.command.record_type, write.record_id)
                base = write.command.made_against()
                version = held.get(key)
                if version is not None and version > (base or 0):
                    continue  # the copy has it
                refusal = await _apply(write.command, self.handlers, write.actor, "catch-up")
                if refusal is None:
                    held[key] = (base or 0) + 1
                else:
                    log.info("the mirror did not take write %s: %s", write.command.type, refusal)
        log.warning(
            "the mirror caught up with %d writes in %.0f ms",
            len(writes),
            (time.perf_counter() - started) * 1000,
        )

    async def _as_it_is(self, entry: Entry) -> dict[str, object] | None:
        """The record a refused writer meant to change, as it is now: read for the
        ledger (its writer may no longer read it, but the conflict shows its owners)."""
        if entry.ledger_id is None or entry.record_id is None:
            return None
        reading = Actor(
            ledger_id=entry.ledger_id,
            account_id=entry.account_id,
            client=entry.client,
            role="reader",
        )
        return await self._current(entry.command, reading, uuid.UUID(entry.record_id))

    async def _current(
        self, command: Command, actor: Actor, record_id: uuid.UUID | None
    ) -> dict[str, object] | None:
        service = _service_of(self.handlers, command.record_type)
        if record_id is None:
            return None
        try:
            record = await service.current(actor=actor, record_id=record_id)
        except WorkledgerError:
            return None  # gone, or the database is away again: the conflict says so without it
        return record.model_dump(mode="json")


def _service_of(handlers: Handlers, record_type: str) -> Journaled:
    services: dict[str, Journaled] = {
        "work_item": handlers.work_items,
        "vendor": handlers.vendors,
        "deployment": handlers.deployments,
        "enhancement": handlers.enhancements,
        "project_configuration": handlers.configuration,
    }
    return services[record_type]


# The table of each kind of record a command changes.
RECORDS: dict[str, FromClause] = {
    "work_item": WorkItem.__table__,
    "vendor": Vendor.__table__,
    "deployment": Deployment.__table__,
    "enhancement": Enhancement.__table__,
    "project_configuration": ProjectConfiguration.__table__,
}


async def _versions(
    session: AsyncSession, writes: list[Unmirrored]
) -> dict[tuple[str, uuid.UUID | None], int]:
    """The version the mirror holds of each record ``writes`` touch."""
    wanted: dict[str, set[uuid.UUID]] = {}
    for write in writes:
        if write.record_id is not None:
            wanted.setdefault(write.command.record_type, set()).add(write.record_id)
    held: dict[tuple[str, uuid.UUID | None], int] = {}
    for record_type, ids in wanted.items():
        found = await versions_of(session, RECORDS[record_type], ids)
        held.update({(record_type, record_id): v for record_id, v in found.items()})
    return held


async def _apply(command: Command, handlers: Handlers, actor: Actor, what: str) -> str | None:
    """None when the command applied; else why it did not (a rule, or a newer version)."""
    try:
        await command.apply(handlers, actor=actor)
    except StorageUnavailable:
        raise
    except (SQLAlchemyError, OSError) as exc:
        if meaning(exc) is not None:
            raise  # the database went away again (or a race): the entry waits
        log.exception("write %s (%s) failed to apply", what, command.type)
        return f"internal_error: the write failed on the server ({type(exc).__name__})"
    except WorkledgerError as refused:
        return f"{refused.code}: {refused}"
    except Exception:  # a bug must not block the entries behind it
        log.exception("write %s (%s) failed to apply", what, command.type)
        return "internal_error: the write failed on the server; the error was logged"
    return None
