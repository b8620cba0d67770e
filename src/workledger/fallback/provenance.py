"""Which layer answered: each door opens a ``Served`` for one request or
tool call, units of work note on it where they read or wrote, and the door tells the
client (REST headers, MCP ``_meta``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


class Source(StrEnum):
    """A layer that answers, by the name clients are told (the ``Workledger-Source``
    header, MCP's ``workledger/source``, ``source`` in /health). In order: a request that
    touched several layers reports the furthest from the database."""

    DATABASE = "database"
    # The SQLite mirror of the database. Clients have been told "cache" since before
    # there was a read cache too: the public interface keeps the word.
    MIRROR = "cache"
    GIT = "git"  # the status file, as last committed
    FILE = "file"  # the status file on disk
    JOURNAL = "journal"


_RANK: dict[Source, int] = {source: rank for rank, source in enumerate(Source)}


@dataclass
class Served:
    source: Source = Source.DATABASE
    # When the data of a fallback layer was last known to match the database.
    as_of: datetime | None = None
    journal_id: str | None = None

    @property
    def fallback(self) -> bool:
        return self.source != Source.DATABASE

    def note(self, source: Source, *, as_of: datetime | None = None) -> None:
        if _RANK[source] < _RANK[self.source]:
            return
        self.source = source
        if as_of is not None:
            self.as_of = as_of if self.as_of is None else min(self.as_of, as_of)


_current: ContextVar[Served | None] = ContextVar("workledger_served", default=None)


@contextmanager
def serving() -> Iterator[Served]:
    """What the code inside notes about where it was served from."""
    served = Served()
    token = _current.set(served)
    try:
        yield served
    finally:
        _current.reset(token)


# How an answer names the layer it came from, to a person or a model.
LAYER_NAMES: dict[Source, str] = {
    Source.DATABASE: "the database",
    Source.MIRROR: "the local mirror",
    Source.GIT: "the git history of the status file",
    Source.FILE: "the status file",
    Source.JOURNAL: "the journal",
}


def fallback_notice(served: Served) -> str:
    """One line saying that the database is away and what answered instead."""
    as_of = "" if served.as_of is None else f" as of {served.as_of.isoformat(timespec='seconds')}"
    if served.journal_id is not None:
        return (
            f"warning: the database is away; this write was journaled ({served.journal_id}) "
            f"and will be applied when it is back (read{as_of} from the local mirror)"
        )
    return (
        f"warning: the database is away; this answer comes from {LAYER_NAMES[served.source]}{as_of}"
    )


def served_by_fallback(session: AsyncSession) -> bool:
    """Whether ``session`` reads a fallback layer (a copy), not the database."""
    return session.info.get("layer") is not None


def served_now() -> Served | None:
    """What the request under way has been served from so far, if a door is serving one."""
    return _current.get()


def note(source: Source, *, as_of: datetime | None = None, journal_id: str | None = None) -> None:
    served = _current.get()
    if served is None:
        return
    served.note(source, as_of=as_of)
    if journal_id is not None:
        served.journal_id = journal_id
