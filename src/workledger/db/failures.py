"""What a database failure means for the client, told by exception type and SQLSTATE.

Two answers matter: the database is away or refusing connections for now (retry
later: ``storage_unavailable``), or another transaction won a race (retry now:
``conflict``). Anything else is a bug, and stays one. Like httpx mapping transport
errors by type, nothing here reads an error's message."""

from __future__ import annotations

import sqlite3
from typing import Literal

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

Meaning = Literal["unavailable", "collision"]

# PostgreSQL: class 08 connection exceptions; admin/crash shutdown and "cannot connect
# now" (starting or stopping); too many connections; object not in prerequisite state
# (a standby or a database being dropped refuses the session).
_UNAVAILABLE_CLASSES = ("08",)
_UNAVAILABLE_STATES = frozenset({"57P01", "57P02", "57P03", "53300", "55000"})
# deadlock_detected, serialization_failure: another transaction won.
_COLLISION_STATES = frozenset({"40P01", "40001"})
# SQLite: the file cannot be opened or read, or another writer kept it past the busy
# timeout.
_SQLITE_UNAVAILABLE = frozenset(
    {
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_PROTOCOL,
    }
)


def meaning(exc: BaseException) -> Meaning | None:
    """What ``exc``, raised by a unit of work, tells the client; None for a bug."""
    if isinstance(exc, PoolTimeout | OSError | TimeoutError):
        return "unavailable"  # no connection within the pool's timeout; refused; reset
    if not isinstance(exc, DBAPIError):
        return None
    state = getattr(exc.orig, "sqlstate", None)
    if isinstance(state, str):
        if state in _COLLISION_STATES:
            return "collision"
        if state.startswith(_UNAVAILABLE_CLASSES) or state in _UNAVAILABLE_STATES:
            return "unavailable"
    if exc.connection_invalidated:  # the dialect saw the connection go
        return "unavailable"
    code = getattr(exc.orig, "sqlite_errorcode", None)
    if isinstance(exc.orig, sqlite3.Error) and code is not None:
        return "unavailable" if code & 0xFF in _SQLITE_UNAVAILABLE else None
    return None
