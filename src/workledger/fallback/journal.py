"""The write journal: writes accepted while PostgreSQL was away, kept as commands in a
SQLite file of their own in the data directory until they are replayed, and the conflicts
replay found. Every append is durable (``synchronous=FULL``) before it returns: an entry
the client was told about survives a ``kill -9`` and a power cut.

An entry's ``format`` says how its command is stored: 1, the command's own JSON (see
commands.py); 0, the release before commands (a service method's name, its arguments,
the ids it made and the version it was made against, in columns of their own)."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import aiosqlite

from workledger.errors import who
from workledger.fallback import commands
from workledger.fallback.commands import Command

JOURNAL_FILE = "journal.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL,
    client TEXT NOT NULL,
    operation TEXT NOT NULL,
    record_type TEXT NOT NULL,
    record_id TEXT,
    base_version INTEGER,
    arguments TEXT NOT NULL,
    ids TEXT NOT NULL,
    journaled_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS conflicts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    journal_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    record_type TEXT NOT NULL,
    record_id TEXT,
    actor TEXT NOT NULL,
    journaled_at TEXT NOT NULL,
    change TEXT NOT NULL,
    reason TEXT NOT NULL,
    current TEXT
);
"""
# How entries are written now; a journal made before formats holds format 0 only.
FORMAT = 1
# Columns added since the first release, by table: a journal made before them gets them
# (empty). An entry or conflict without a ledger was made when each account had one
# ledger, whose id the migration made the account's own.
_ADDED = {
    "entries": {
        "format": "INTEGER NOT NULL DEFAULT 0",
        "ledger_id": "TEXT",
        "account": "TEXT",
    },
    "conflicts": {"ledger_id": "TEXT"},
}


@dataclass(frozen=True)
class Entry:
    """One journaled write: the command, who made it, and the record it changed."""

    id: uuid.UUID
    account_id: uuid.UUID
    client: str
    command: Command
    record_id: str | None
    journaled_at: datetime
    # None: journaled before ledgers, by an account that had one; replay finds it.
    ledger_id: uuid.UUID | None
    account: str | None = None  # the person's email

    @property
    def record_type(self) -> str:
        return self.command.record_type


@dataclass(frozen=True)
class Unreadable:
    """A stored entry this release cannot read as a command: it becomes a conflict."""

    id: uuid.UUID
    account_id: uuid.UUID
    client: str
    record_type: str
    record_id: str | None
    journaled_at: datetime
    change: dict[str, object]
    reason: str
    ledger_id: uuid.UUID | None
    account: str | None = None


@dataclass(frozen=True)
class Conflict:
    id: uuid.UUID
    journal_id: uuid.UUID
    record_type: str
    record_id: str | None
    actor: str
    journaled_at: datetime
    change: dict[str, object]
    reason: str
    current: dict[str, object] | None


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()  # one transaction at a time on the one connection
        self.pending = 0
        self.conflicts = 0
        self.appended = 0  # by this process, since it opened the journal
        self.drained = asyncio.Event()  # set while nothing is pending

    async def open(self) -> None:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA synchronous=FULL")
        await conn.executescript(_SCHEMA)
        for table, added in _ADDED.items():
            have = {row[1] for row in await conn.execute_fetchall(f"PRAGMA table_info({table})")}
            for column, kind in added.items():
                if column not in have:
                    await conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        self._conn = conn
        await self.recount()

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.close()

    async def append(self, entry: Entry) -> None:
        """Durable when it returns."""
        async with self._lock:
            await self._db.execute(
                "INSERT INTO entries (id, account_id, ledger_id, account, client, operation,"
                " record_type, record_id, base_version, arguments, ids, journaled_at, format)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, '[]', ?, ?)",
                (
                    str(entry.id),
                    str(entry.account_id),
                    None if entry.ledger_id is None else str(entry.ledger_id),
                    entry.account,
                    entry.client,
                    entry.command.type,
                    entry.record_type,
                    entry.record_id,
                    entry.command.dump(),
                    entry.journaled_at.isoformat(),
                    FORMAT,
                ),
            )
            self.pending += 1
            self.appended += 1
            self.drained.clear()

    async def withdraw(self, entry_id: uuid.UUID) -> None:
        """Take back an entry whose write failed before anyone was told of it."""
        async with self._lock:
            cursor = await self._db.execute("DELETE FROM entries WHERE id = ?", (str(entry_id),))
            if cursor.rowcount > 0:
                self.pending -= 1
                self.appended -= 1
                if self.pending == 0:
                    self.drained.set()

    async def recount(self) -> None:
        """Count what the file holds: at open, and after a replay (another process sharing
        this data directory, ``serve --workers``, may have replayed some of this one's)."""
        async with self._lock:
            self.pending = await self._count("entries")
            self.conflicts = await self._count("conflicts")
        if self.pending == 0:
            self.drained.set()
        else:
            self.drained.clear()

    async def oldest(self, limit: int = 100) -> list[Entry | Unreadable]:
        """Pending entries in the order they were journaled."""
        async with self._lock:
            rows = await self._db.execute_fetchall(
                f"SELECT {_ENTRY_COLUMNS} FROM entries ORDER BY seq LIMIT ?", (limit,)
            )
        return [_entry(_StoredEntry(*row)) for row in rows]

    async def settle(self, settled: list[tuple[Entry | Unreadable, Conflict | None]]) -> None:
        """Cross entries off, keeping a conflict in the place of each one replay refused."""
        async with self._lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                for entry, conflict in settled:
                    await self._db.execute("DELETE FROM entries WHERE id = ?", (str(entry.id),))
                    if conflict is not None:
                        await self._db.execute(
                            "INSERT INTO conflicts (id, journal_id, account_id, ledger_id,"
                            " record_type, record_id, actor, journaled_at, change, reason,"
                            " current) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            (
                                str(conflict.id),
                                str(conflict.journal_id),
                                str(entry.account_id),
                                None if entry.ledger_id is None else str(entry.ledger_id),
                                conflict.record_type,
                                conflict.record_id,
                                conflict.actor,
                                conflict.journaled_at.isoformat(),
                                _json(conflict.change),
                                conflict.reason,
                                None if conflict.current is None else _json(conflict.current),
                            ),
                        )
                await self._db.execute("COMMIT")
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            self.pending -= len(settled)
            self.conflicts += sum(conflict is not None for _, conflict in settled)
            if self.pending == 0:
                self.drained.set()

    async def conflicts_of(
        self, ledger_id: uuid.UUID | None, *, limit: int, after: int = 0
    ) -> tuple[list[tuple[int, Conflict]], int]:
        """A page of the conflicts of a ledger (of every ledger: None), oldest first,
        after position ``after``, and how many there are in all."""
        where, given = (_OF_LEDGER, (str(ledger_id),)) if ledger_id else ("1 = 1", ())
        async with self._lock:
            rows = await self._db.execute_fetchall(
                f"SELECT {_CONFLICT_COLUMNS} FROM conflicts WHERE {where} AND seq > ?"
                " ORDER BY seq LIMIT ?",
                (*given, after, limit),
            )
            [(total,)] = await self._db.execute_fetchall(
                f"SELECT count(*) FROM conflicts WHERE {where}",
                given,
            )
        stored = [_StoredConflict(*row) for row in rows]
        return [(conflict.seq, _conflict(conflict)) for conflict in stored], int(total)

    async def dismiss(self, ledger_id: uuid.UUID, conflict_id: uuid.UUID) -> bool:
        async with self._lock:
            cursor = await self._db.execute(
                f"DELETE FROM conflicts WHERE {_OF_LEDGER} AND id = ?",
                (str(ledger_id), str(conflict_id)),
            )
            gone = cursor.rowcount > 0
        self.conflicts -= gone
        return gone

    @property
    def _db(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("the journal is not open")
        return self._conn

    async def _count(self, table: str) -> int:
        [(count,)] = await self._db.execute_fetchall(f"SELECT count(*) FROM {table}")
        return int(count)


def new_conflict(
    entry: Entry | Unreadable, *, reason: str, current: dict[str, object] | None
) -> Conflict:
    change = entry.change if isinstance(entry, Unreadable) else json.loads(entry.command.dump())
    return Conflict(
        id=uuid.uuid4(),
        journal_id=entry.id,
        record_type=entry.record_type,
        record_id=entry.record_id,
        actor=who(entry.client, entry.account),
        journaled_at=entry.journaled_at,
        change=change,
        reason=reason,
        current=current,
    )


class _StoredEntry(NamedTuple):
    """A row of ``entries``, as ``oldest`` selects it."""

    id: str
    account_id: str
    ledger_id: str | None
    account: str | None
    client: str
    operation: str
    record_type: str
    record_id: str | None
    base_version: int | None
    arguments: str
    ids: str
    journaled_at: str
    format: int


class _StoredConflict(NamedTuple):
    """A row of ``conflicts``, as ``conflicts_of`` selects it."""

    seq: int
    id: str
    journal_id: str
    record_type: str
    record_id: str | None
    actor: str
    journaled_at: str
    change: str
    reason: str
    current: str | None


_ENTRY_COLUMNS = ", ".join(_StoredEntry._fields)
_OF_LEDGER = "coalesce(ledger_id, account_id) = ?"
_CONFLICT_COLUMNS = ", ".join(_StoredConflict._fields)


def _entry(row: _StoredEntry) -> Entry | Unreadable:
    at = datetime.fromisoformat(row.journaled_at)
    ledger_id = None if row.ledger_id is None else uuid.UUID(row.ledger_id)
    try:
        if row.format == 0:
            command = commands.legacy(
                row.operation,
                json.loads(row.arguments),
                ids=json.loads(row.ids),
                record_id=row.record_id,
                base_version=row.base_version,
            )
        else:
            command = commands.load(row.arguments)
    except Exception as unreadable:  # one entry must not hold up the ones behind it
        why = _first_line(unreadable)
        return Unreadable(
            id=uuid.UUID(row.id),
            account_id=uuid.UUID(row.account_id),
            client=row.client,
            record_type=row.record_type,
            record_id=row.record_id,
            journaled_at=at,
            change=_change(row.arguments),
            reason=f"internal_error: this release cannot read the write ({why})",
            ledger_id=ledger_id,
            account=row.account,
        )
    return Entry(
        id=uuid.UUID(row.id),
        account_id=uuid.UUID(row.account_id),
        client=row.client,
        command=command,
        record_id=row.record_id,
        journaled_at=at,
        ledger_id=ledger_id,
        account=row.account,
    )


def _change(arguments: str) -> dict[str, object]:
    try:
        found = json.loads(arguments)
    except ValueError:
        return {"stored": arguments}
    return found if isinstance(found, dict) else {"stored": found}


def _first_line(error: Exception) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0]


def _conflict(row: _StoredConflict) -> Conflict:
    return Conflict(
        id=uuid.UUID(row.id),
        journal_id=uuid.UUID(row.journal_id),
        record_type=row.record_type,
        record_id=row.record_id,
        actor=row.actor,
        journaled_at=datetime.fromisoformat(row.journaled_at),
        change=json.loads(row.change),
        reason=row.reason,
        current=None if row.current is None else json.loads(row.current),
    )


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)
