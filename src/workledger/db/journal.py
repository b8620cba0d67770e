"""The write journal of CONTRACT §9: writes accepted while PostgreSQL was away, kept in a
SQLite file of their own in the data directory until they are replayed, and the conflicts
replay found. Every append is durable (``synchronous=FULL``) before it returns: an entry
the client was told about survives a ``kill -9`` and a power cut."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite

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
CREATE INDEX IF NOT EXISTS ix_conflicts_account ON conflicts (account_id, seq);
"""


@dataclass(frozen=True)
class Entry:
    """One journaled write: the service operation and its arguments (as JSON), the ids it
    made (replay makes the same ones), and the version of the record it was made against."""

    id: uuid.UUID
    account_id: uuid.UUID
    client: str
    operation: str
    record_type: str
    record_id: str | None
    base_version: int | None
    arguments: dict[str, Any]
    ids: list[str]
    journaled_at: datetime


@dataclass(frozen=True)
class Conflict:
    id: uuid.UUID
    journal_id: uuid.UUID
    record_type: str
    record_id: str | None
    actor: str
    journaled_at: datetime
    change: dict[str, Any]
    reason: str
    current: dict[str, Any] | None


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
        self._conn = conn
        self.pending = await self._count("entries")
        self.conflicts = await self._count("conflicts")
        if self.pending == 0:
            self.drained.set()

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.close()

    async def append(self, entry: Entry) -> None:
        """Durable when it returns."""
        async with self._lock:
            await self._db.execute(
                "INSERT INTO entries (id, account_id, client, operation, record_type,"
                " record_id, base_version, arguments, ids, journaled_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    str(entry.id),
                    str(entry.account_id),
                    entry.client,
                    entry.operation,
                    entry.record_type,
                    entry.record_id,
                    entry.base_version,
                    _json(entry.arguments),
                    _json(entry.ids),
                    entry.journaled_at.isoformat(),
                ),
            )
            self.pending += 1
            self.appended += 1
            self.drained.clear()

    async def oldest(self, limit: int = 100) -> list[Entry]:
        """Pending entries in the order they were journaled."""
        async with self._lock:
            rows = await self._db.execute_fetchall(
                "SELECT id, account_id, client, operation, record_type, record_id,"
                " base_version, arguments, ids, journaled_at FROM entries ORDER BY seq LIMIT ?",
                (limit,),
            )
        return [
            Entry(
                id=uuid.UUID(row[0]),
                account_id=uuid.UUID(row[1]),
                client=row[2],
                operation=row[3],
                record_type=row[4],
                record_id=row[5],
                base_version=row[6],
                arguments=json.loads(row[7]),
                ids=json.loads(row[8]),
                journaled_at=datetime.fromisoformat(row[9]),
            )
            for row in rows
        ]

    async def settle(self, settled: list[tuple[Entry, Conflict | None]]) -> None:
        """Cross entries off, keeping a conflict in the place of each one replay refused."""
        async with self._lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                for entry, conflict in settled:
                    await self._db.execute("DELETE FROM entries WHERE id = ?", (str(entry.id),))
                    if conflict is not None:
                        await self._db.execute(
                            "INSERT INTO conflicts (id, journal_id, account_id, record_type,"
                            " record_id, actor, journaled_at, change, reason, current)"
                            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            (
                                str(conflict.id),
                                str(conflict.journal_id),
                                str(entry.account_id),
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
        self, account_id: uuid.UUID | None, *, limit: int, after: int = 0
    ) -> tuple[list[tuple[int, Conflict]], int]:
        """A page of the conflicts of an account (of every account: None), oldest first,
        after position ``after``, and how many there are in all."""
        where, given = ("account_id = ?", (str(account_id),)) if account_id else ("1 = 1", ())
        async with self._lock:
            rows = await self._db.execute_fetchall(
                "SELECT seq, id, journal_id, record_type, record_id, actor, journaled_at,"
                f" change, reason, current FROM conflicts WHERE {where} AND seq > ?"
                " ORDER BY seq LIMIT ?",
                (*given, after, limit),
            )
            [(total,)] = await self._db.execute_fetchall(
                f"SELECT count(*) FROM conflicts WHERE {where}",
                given,
            )
        return [(row[0], _conflict(row[1:])) for row in rows], int(total)

    async def dismiss(self, account_id: uuid.UUID, conflict_id: uuid.UUID) -> bool:
        async with self._lock:
            cursor = await self._db.execute(
                "DELETE FROM conflicts WHERE account_id = ? AND id = ?",
                (str(account_id), str(conflict_id)),
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


def new_conflict(entry: Entry, *, reason: str, current: dict[str, Any] | None) -> Conflict:
    return Conflict(
        id=uuid.uuid4(),
        journal_id=entry.id,
        record_type=entry.record_type,
        record_id=entry.record_id,
        actor=entry.client,
        journaled_at=entry.journaled_at,
        change=entry.arguments,
        reason=reason,
        current=current,
    )


def _conflict(row: Sequence[Any]) -> Conflict:
    return Conflict(
        id=uuid.UUID(row[0]),
        journal_id=uuid.UUID(row[1]),
        record_type=row[2],
        record_id=row[3],
        actor=row[4],
        journaled_at=datetime.fromisoformat(row[5]),
        change=json.loads(row[6]),
        reason=row[7],
        current=None if row[8] is None else json.loads(row[8]),
    )


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)
