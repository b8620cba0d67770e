"""The writes this process made on the database that the mirror may not hold yet.

The mirror is a copy taken every second or so; a write made since is applied to it
before the mirror serves, so that a read during an outage shows what this process wrote
a moment before, and a journaled change is checked against the record's true version.
A write stays listed until a copy taken after it replaces the mirror: applying it again
is harmless (the mirror's version shows it holds it), losing it is not."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workledger.fallback.commands import Command
    from workledger.schemas.common import Actor

log = logging.getLogger(__name__)

# Writes remembered for the mirror between two copies, at most.
MAX_UNMIRRORED = 10_000


@dataclass(frozen=True)
class Unmirrored:
    """A write the database took that the mirror may not hold yet."""

    at: datetime  # when it committed
    command: Command
    actor: Actor
    record_id: uuid.UUID | None


Apply = Callable[[list[Unmirrored]], Awaitable[None]]


class CatchUp:
    def __init__(self, apply: Apply) -> None:
        """``apply``: applies writes to the mirror, in one transaction (or raises)."""
        self._apply = apply
        self._writes: list[Unmirrored] = []
        self._applied = 0  # how many of ``_writes`` the mirror has taken
        # Moves when the list changes other than at its end: a catch-up under way then
        # does not count what it applied (a copy may have replaced it).
        self._generation = 0
        self._task: asyncio.Task[bool] | None = None

    def remember(self, write: Unmirrored) -> None:
        if len(self._writes) >= MAX_UNMIRRORED:
            # The copy is long overdue: the oldest is most likely in it.
            del self._writes[0]
            self._applied = max(0, self._applied - 1)
            self._generation += 1
        self._writes.append(write)

    def copied(self, since: datetime) -> None:
        """A copy of the database as of ``since`` replaced the mirror: what committed
        before is in it; what came after must be applied again."""
        self._writes = [w for w in self._writes if w.at >= since]
        self._applied = 0
        self._generation += 1

    async def done(self, *, within: float) -> bool:
        """Whether the mirror holds every write, after applying the rest for at most
        ``within`` seconds (on a task of its own, which goes on after a timeout)."""
        deadline = asyncio.get_running_loop().time() + within
        while self._applied < len(self._writes):
            if self._task is None or self._task.done():
                self._task = asyncio.create_task(self._run(), name="workledger-catch-up")
            remaining = deadline - asyncio.get_running_loop().time()
            try:
                applied = await asyncio.wait_for(asyncio.shield(self._task), max(remaining, 0))
            except TimeoutError:
                return False
            if not applied:
                return False
        return True

    async def _run(self) -> bool:
        generation, start, end = self._generation, self._applied, len(self._writes)
        try:
            await self._apply(self._writes[start:end])
        except Exception:  # the mirror is a copy: it serves what it has
            log.exception("the mirror could not catch up with this process's writes")
            return False
        if generation == self._generation:
            self._applied = max(self._applied, end)
        return True

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
