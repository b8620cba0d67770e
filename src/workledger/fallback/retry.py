"""The one second try of a read that met the database going away.

The first request to meet an outage finds out the hard way: its unit of work waited for
the database, then failed. Answered as storage_unavailable, only that request would fail
while every one after it is served from a fallback layer; so a read that failed that way
is asked again, once, when a layer can answer it now. REST, MCP and the web pages all go
through here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from workledger.fallback.outage import Outage

T = TypeVar("T")


async def read_with_fallback(outage: Outage, attempt: Callable[[], Awaitable[tuple[T, bool]]]) -> T:
    """``attempt``'s answer; ``attempt`` says whether it was storage_unavailable, and is
    then made again if a fallback layer can serve it."""
    answer, unavailable = await attempt()
    if unavailable and outage.degraded and await outage.serves_reads():
        answer, _ = await attempt()
    return answer
