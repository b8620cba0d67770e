"""Events, built in one place: every write of a record appends what it changed, in the
same transaction, numbered per ledger when the transaction commits.

How no write path can forget its event:

- a change made through the ORM to a tracked record (``TRACKED``) is seen at flush, and
  its attribute history gives ``{field: [old, new]}``: services write as they always
  did, and say only what the ORM cannot know (``note``: a claim is not any update);
- the few statements that change rows in bulk (archive, a cascade of a delete, bulk
  inserts) live in repositories that ``record`` their events themselves; on PostgreSQL a
  create that links nothing writes its event in its own statement (``creation_event``,
  ``work_item_statements.create_statement``);
- the events are written as the transaction commits, numbered from a counter row per
  ledger: gap-free, and in commit order, since the counter's row lock is held until the
  commit. On PostgreSQL the database numbers a write's few events during COMMIT itself
  (a deferred trigger, migration 0008), so no writer waits on another's round trips;
  elsewhere, and for a bulk write, the counter is raised just before.

A fallback layer (the outage mirror, a status file) keeps no events: the journal's
replay makes them on the database, through the same services."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from typing import Any, cast

from sqlalchemy import Insert, Table, event, insert, inspect
from sqlalchemy.orm import Session, SessionTransaction, UOWTransaction

from workledger.db.dialect import Dialect
from workledger.db.types import utcnow
from workledger.models import (
    Deployment,
    Enhancement,
    Event,
    EventCounter,
    ProjectConfiguration,
    Vendor,
    WorkItem,
)
from workledger.repositories.pending_events import Pending, Unsaved, plain

# Columns that are bookkeeping, not what a person changed.
_BOOKKEEPING = frozenset(
    {
        "id",
        "ledger_id",
        "version",
        "created_at",
        "updated_at",
        "created_by",
        "updated_by",
        "created_by_account",
        "updated_by_account",
    }
)


@dataclass(frozen=True)
class Tracked:
    """How a model's changes read in its events: its record type, the columns left out
    (derived from others) and the public names of the columns named otherwise."""

    record_type: str
    derived: frozenset[str] = frozenset()
    renamed: Mapping[str, str] = field(default_factory=dict)

    def public(self, column: str) -> str | None:
        if column in _BOOKKEEPING or column in self.derived:
            return None
        return self.renamed.get(column, column)


TRACKED: dict[type[Any], Tracked] = {
    WorkItem: Tracked(
        "work_item",
        derived=frozenset(
            {
                *("short_id", "priority_rank", "path", "depth", "open_dependencies"),
                # The sums of the work log: each entry is an event of its own.
                *("spent_minutes", "spent_tokens", "spent_cost_micros"),
            }
        ),
        renamed={"item_metadata": "metadata"},
    ),
    Vendor: Tracked(
        "vendor",
        renamed={
            **{f"supports_{f}": f"format_support.{f}" for f in ("excel", "csv", "pdf", "ocr")},
            **{f"tests_{f}": f"test_results.{f}" for f in ("passing", "total", "skipped")},
        },
    ),
    Deployment: Tracked("deployment"),
    Enhancement: Tracked("enhancement", derived=frozenset({"priority_rank"})),
    ProjectConfiguration: Tracked("configuration"),
}
EVENTS = cast(Table, Event.__table__)
# The most events a transaction leaves for PostgreSQL to number as it commits, one by
# one; a larger one (an import, the archive of a subtree) takes its numbers just before,
# at once, since a counter raised once per event in one transaction grows slow.
NUMBERED_AT_COMMIT = 64


def _unsaved(session: Session) -> Unsaved:
    found = session.info.get("history")
    if found is None:
        found = session.info["history"] = Unsaved()
    return found


def _keeps_history(session: Session) -> bool:
    return session.info.get("layer") is None


def _sync(session: Any) -> Session:
    """The Session of an AsyncSession (or the Session itself)."""
    sync: Session = getattr(session, "sync_session", session)
    return sync


def note(
    session: Any,
    model: type[Any],
    record_id: uuid.UUID,
    action: str | None = None,
    **changes: tuple[Any, Any],
) -> None:
    """Say what the ORM cannot see of the change to a record of ``model`` in this
    transaction: its ``action`` (``claim``, ``unarchive``…) and changes kept outside its
    row (``dependencies=(old, new)``)."""
    sync = _sync(session)
    if not _keeps_history(sync):
        return
    key = (TRACKED[model].record_type, record_id, "")
    shown = {k: [plain(old), plain(new)] for k, (old, new) in changes.items() if old != new}
    _unsaved(sync).note(key, action, shown)


def record(
    session: Any,
    *,
    ledger_id: uuid.UUID,
    record_type: str,
    record_id: uuid.UUID,
    version: int,
    action: str,
    changes: Mapping[str, tuple[Any, Any]],
    client: str,
    account: str | None,
    at: datetime | None = None,
    apart: bool = False,
) -> None:
    """The event of a change made without the ORM (a bulk statement, a comment);
    ``apart``: never merged with the record's other changes in this transaction."""
    sync = _sync(session)
    if not _keeps_history(sync):
        return
    _unsaved(sync).add(
        Pending(
            ledger_id,
            record_type,
            record_id,
            version,
            action,
            {k: [plain(old), plain(new)] for k, (old, new) in changes.items()},
            client,
            account,
            at or utcnow(),
        ),
        apart=apart,
    )


def created(
    session: Any,
    model: type[Any],
    rows: Iterable[Mapping[str, Any]],
    *,
    also: Mapping[uuid.UUID, Mapping[str, Any]] | None = None,
) -> None:
    """The events of records of ``model`` inserted as column values (``rows``), without
    the ORM; ``also``: by record id, what they hold outside their row (links)."""
    sync = _sync(session)
    if not _keeps_history(sync):
        return
    links = also or {}
    for row in rows:
        _unsaved(sync).add(creation_event(model, row, links.get(row["id"])))


def creation_event(
    model: type[Any], row: Mapping[str, Any], links: Mapping[str, Any] | None = None
) -> Pending:
    """The ``create`` event of a record of ``model`` inserted as column values; a
    statement that writes it itself (``inline``) inserts its ``row()``."""
    tracked = TRACKED[model]
    return Pending(
        row["ledger_id"],
        tracked.record_type,
        row["id"],
        row.get("version") or 1,
        "create",
        _made({**row, **(links or {})}, tracked),
        row["created_by"],
        row.get("created_by_account"),
        row.get("created_at") or utcnow(),
    )


def inline(session: Any) -> bool:
    """Whether a statement may write its own events as rows for the database to number
    at commit (PostgreSQL, outside a fallback layer), rather than leaving them to the
    commit."""
    sync = _sync(session)
    dialect: Dialect = sync.info["dialect"]
    return dialect.numbers_events and _keeps_history(sync)


def edited(record: Any, *, version: int) -> tuple[dict[str, Any], Pending]:
    """A tracked record changed while detached from its session (so that nothing flushes
    it): the values of the columns its change set, by column name, and its event at
    ``version``, for a statement that writes both (``work_item_statements.edit_statement``)."""
    tracked = TRACKED[type(record)]
    state = inspect(record)
    columns = {
        attr.columns[0].name: state.dict[attr.key]
        for attr in state.mapper.column_attrs
        if attr.key != "version" and state.attrs[attr.key].history.has_changes()
    }
    changes = _changes(record, tracked, created=False)
    event = Pending(
        record.ledger_id,
        tracked.record_type,
        record.id,
        version,
        _action(changes, created=False, deleted=False),
        changes,
        record.updated_by,
        record.updated_by_account,
        record.updated_at,
    )
    return columns, event


# Values JSON holds as they are: most of a record's fields, shown without a call.
_AS_THEY_ARE = frozenset({str, int, float, bool})


def _made(values: Mapping[str, Any], tracked: Tracked) -> dict[str, list[Any]]:
    """A new record's fields that hold something, each as [None, value]."""
    changes: dict[str, list[Any]] = {}
    public = tracked.public
    for key, value in values.items():
        if value is None or (name := public(key)) is None:
            continue
        shown = value if type(value) in _AS_THEY_ARE else plain(value)
        if shown not in ([], {}):
            changes[name] = [None, shown]
    return changes


def _changes(record: Any, tracked: Tracked, *, created: bool) -> dict[str, list[Any]]:
    state = inspect(record)
    if created:
        # What the insert wrote is in the instance's dict, read there rather than through
        # each attribute (a column left to the database is not, and shows nothing new).
        written = state.dict
        columns = state.mapper.column_attrs
        return _made({a.key: written[a.key] for a in columns if a.key in written}, tracked)
    changes: dict[str, list[Any]] = {}
    for attr in state.mapper.column_attrs:
        name = tracked.public(attr.key)
        if name is None:
            continue
        history = state.attrs[attr.key].history
        if not history.has_changes():
            continue
        old = plain(history.deleted[0]) if history.deleted else None
        new = plain(history.added[0]) if history.added else None
        if old != new:
            changes[name] = [old, new]
    return changes


def _action(changes: Mapping[str, list[Any]], *, created: bool, deleted: bool) -> str:
    if created:
        return "create"
    if deleted:
        return "delete"
    deleted_at = changes.get("deleted_at")
    if deleted_at is not None:
        return "delete" if deleted_at[0] is None else "restore"
    return "update"


def _seen(
    session: Session, records: Iterable[Any], *, created: bool = False, deleted: bool = False
) -> None:
    for obj in records:
        tracked = TRACKED.get(type(obj))
        if tracked is None:
            continue
        if not (created or deleted) and not session.is_modified(obj, include_collections=False):
            continue
        changes = {} if deleted else _changes(obj, tracked, created=created)
        _unsaved(session).add(
            Pending(
                obj.ledger_id,
                tracked.record_type,
                obj.id,
                obj.version,
                _action(changes, created=created, deleted=deleted),
                changes,
                obj.updated_by,
                obj.updated_by_account,
                obj.updated_at or utcnow(),
            )
        )


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _: UOWTransaction) -> None:
    """Read what the flush changed (the attribute history is still there)."""
    if not _keeps_history(session):
        return
    _seen(session, session.new, created=True)
    _seen(session, session.dirty)
    _seen(session, session.deleted, deleted=True)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    """Write the transaction's events, numbered from their ledgers' counters."""
    if not _keeps_history(session) or session.in_nested_transaction():
        return  # a savepoint's events are numbered with its transaction's, at its commit
    session.flush()  # the last changes, whose events come at the flush
    unsaved = session.info.get("history")
    if unsaved is None or not unsaved.events:
        return
    # Ledger by ledger, always in one order: two transactions writing events in the same
    # two ledgers take their counters in the same order, and cannot deadlock.
    events = sorted(unsaved.events.values(), key=lambda e: str(e.ledger_id))
    unsaved.events.clear()
    unsaved.notes.clear()
    unsaved.undo.clear()
    dialect: Dialect = session.info["dialect"]
    connection = session.connection()  # Core statements: none of the ORM's bulk machinery
    if dialect.numbers_events and len(events) <= NUMBERED_AT_COMMIT:
        # The database numbers them as it commits: the counter is not locked until then.
        connection.execute(insert(EVENTS), [e.row() for e in events])
        return
    take = _taking(dialect)
    for ledger_id, of_ledger in groupby(events, key=lambda e: e.ledger_id):
        taken = list(of_ledger)
        last = connection.execute(take, {"ledger_id": ledger_id, "seq": len(taken)}).scalar_one()
        first = last - len(taken) + 1
        connection.execute(insert(EVENTS), [e.row(first + n) for n, e in enumerate(taken)])


@functools.cache
def _taking(dialect: Dialect) -> Insert:
    """Raise a ledger's counter by ``seq`` (made on first use) and answer the last number
    given out: one statement, built once per dialect."""
    counter = cast(Table, EventCounter.__table__)
    return dialect.upsert(
        counter, columns=["ledger_id", "seq"], conflict=["ledger_id"], increment="seq"
    ).returning(counter.c.seq)


@event.listens_for(Session, "after_transaction_create")
def _savepoint_began(session: Session, transaction: SessionTransaction) -> None:
    """Mark where a savepoint's events begin."""
    if transaction.nested and _keeps_history(session):
        marks = session.info.setdefault("history_marks", {})
        unsaved = session.info.get("history")
        marks[id(transaction)] = len(unsaved.undo) if unsaved is not None else 0


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    """A savepoint rolled back takes its events with it; a whole transaction, all."""
    mark = session.info.get("history_marks", {}).pop(id(previous_transaction), None)
    if previous_transaction.nested and mark is not None:
        _unsaved(session).undo_to(mark)
    elif not previous_transaction.nested:
        session.info.pop("history", None)
