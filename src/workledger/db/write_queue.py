"""The process's writers in line, for a database with one writer at a time.

SQLite has one writer per file. Left to the file's lock, waiting writers sleep and retry
in its busy handler, and the unlucky ones wait seconds; queued here, the process's
writers take their turns first come, first served. PostgreSQL takes many writers at
once: there a turn is had without waiting."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager, nullcontext


class WriteQueue:
    def __init__(self, *, single_writer: bool) -> None:
        self._single_writer = single_writer
        # An asyncio lock belongs to the event loop it was first waited on: one per loop.
        self._line: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

    def turn(self) -> AbstractAsyncContextManager[object]:
        """Held for a write transaction: inside, this process's other writers wait."""
        if not self._single_writer:
            return nullcontext()
        loop = asyncio.get_running_loop()
        if self._line is None or self._line[0] is not loop:
            self._line = (loop, asyncio.Lock())
        return self._line[1]
