"""The events of one transaction before they are written: one per record, merged across
the transaction's flushes, with an undo log for savepoints (repositories/history.py
builds and writes them)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def plain(value: Any) -> Any:
    """A value as JSON holds it."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


@dataclass
class Pending:
    """A record's event in this transaction, before the ledger numbers it. A record
    changed by several flushes of one transaction has one event: the changes merged."""

    ledger_id: uuid.UUID
    record_type: str
    record_id: uuid.UUID
    version: int
    action: str
    changes: dict[str, list[Any]]
    actor_client: str
    actor_account: str | None
    at: datetime

    def row(self, seq: int | None = None) -> dict[str, Any]:
        """The event's row; without ``seq``, for the database to number at commit."""
        return self.__dict__ if seq is None else {**self.__dict__, "seq": seq}

    def merge(self, action: str | None, changes: Mapping[str, list[Any]]) -> None:
        """More of the same transaction's change: the first old value and the last new."""
        for name, (old, new) in changes.items():
            before = self.changes[name][0] if name in self.changes else old
            self.changes[name] = [before, new]
        if action not in (None, "update") and self.action == "update":
            self.action = action


# A record's event: (record type, record id, ""); or an event kept apart from the
# record's other changes in the transaction: (record type, record id, its action).
Key = tuple[str, uuid.UUID, str]


Noted = tuple[str | None, dict[str, list[Any]]]


@dataclass
class Unsaved:
    """A session's events not yet written, and what its services said of records whose
    change the ORM has not flushed yet; with an undo log, so that a savepoint rolled back
    (a refused write inside a larger transaction) takes its events back with it."""

    events: dict[Key, Pending] = field(default_factory=dict)
    notes: dict[Key, Noted] = field(default_factory=dict)
    undo: list[tuple[Key, Pending | None, Noted | None]] = field(default_factory=list)

    def add(self, pending: Pending, *, apart: bool = False) -> None:
        """``apart``: an event of its own, never merged with the record's other changes
        (a claim that expired, before the claim that takes the item over)."""
        key = (pending.record_type, pending.record_id, pending.action if apart else "")
        self.remember(key)
        action, noted = self.notes.pop(key, (None, {}))
        known = self.events.get(key)
        if known is None:
            self.events[key] = pending
            pending.merge(action, noted)
            return
        known.merge(pending.action, pending.changes)
        known.merge(action, noted)
        known.version = max(known.version, pending.version)

    def note(self, key: Key, action: str | None, changes: dict[str, list[Any]]) -> None:
        self.remember(key)
        if key in self.events:
            self.events[key].merge(action, changes)
            return
        was_action, was_changes = self.notes.get(key, (None, {}))
        self.notes[key] = (action or was_action, {**was_changes, **changes})

    def remember(self, key: Key) -> None:
        """Log how ``key``'s event and note are before they change."""
        known = self.events.get(key)
        kept = replace(known, changes=dict(known.changes)) if known is not None else None
        self.undo.append((key, kept, self.notes.get(key)))

    def undo_to(self, mark: int) -> None:
        """Back to how things were when the undo log was ``mark`` long."""
        while len(self.undo) > mark:
            key, known, noted = self.undo.pop()
            self.events.pop(key, None)
            self.notes.pop(key, None)
            if known is not None:
                self.events[key] = known
            if noted is not None:
                self.notes[key] = noted
