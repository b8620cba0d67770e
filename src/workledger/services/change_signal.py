"""Telling open pages that something changed, from the database's own change signal.

The process's change watcher (the one the read cache goes by) reads the change token
(``PRAGMA data_version`` on SQLite, ``pg_current_snapshot()`` on PostgreSQL, which moves
when a transaction of any server process commits a write) a few times a second while at
least one page listens, and wakes every listener when it moves. Nothing is read while no
page is open."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator

from workledger.db.change_watcher import ChangeWatcher

# How often the token is read while pages listen: a change reaches them well within 2 s.
INTERVAL_SECONDS = 0.25


class Changes:
    def __init__(self, watcher: ChangeWatcher, *, interval: float = INTERVAL_SECONDS) -> None:
        self._watcher = watcher
        self._interval = interval
        self._listeners = 0
        self._moved = asyncio.Condition()
        self._generation = 0
        self._task: asyncio.Task[None] | None = None

    async def listen(self, *, since: str | None = None) -> AsyncGenerator[int, None]:
        """Yield once per change for as long as the caller keeps iterating; at once if
        the token is no longer ``since`` (what the listener saw last)."""
        async with self.subscribe() as subscription:
            if since is not None and await self._watcher.token() not in (None, since):
                yield self._generation
            while True:
                yield await subscription.next()

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[Subscription]:
        """Listen for as long as the block runs; ``wait`` on what it gives."""
        self._listeners += 1
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._watch(), name="workledger-page-changes")
        try:
            yield Subscription(self)
        finally:
            self._listeners -= 1

    async def _watch(self) -> None:
        last = await self._watcher.token()
        while self._listeners > 0:
            await asyncio.sleep(self._interval)
            token = await self._watcher.token()
            if token is None:  # cannot tell now; the next read will
                continue
            if last is not None and token != last:
                async with self._moved:
                    self._generation += 1
                    self._moved.notify_all()
            last = token

    async def close(self) -> None:
        """Stop watching (the watcher belongs to whoever made it)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class Subscription:
    """One listener's place: ``wait`` returns once something committed since its last
    return (or since it subscribed)."""

    def __init__(self, hub: Changes) -> None:
        self._hub = hub
        self._seen = hub._generation

    async def wait(self, *, at_most: float) -> bool:
        """Whether something committed, waiting at most ``at_most`` seconds for it. A
        caller that must not miss a commit made while the watch was starting reads again
        after a timeout too."""
        try:
            await asyncio.wait_for(self.next(), at_most)
        except TimeoutError:
            return False
        return True

    async def next(self) -> int:
        """Once something committed: the hub's generation then."""
        hub = self._hub
        async with hub._moved:
            await hub._moved.wait_for(lambda: hub._generation != self._seen)
            self._seen = hub._generation
            return self._seen
