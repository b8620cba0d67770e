"""The write transaction a task is inside of, which the units of work it opens join.

A unit of work opened inside another write transaction of the same task joins it: a
write runs in a savepoint (its failure undoes only itself), and everything commits or
rolls back with the outer transaction. That is how an import makes hundreds of service
calls one all-or-nothing change, and how a journaled write or its replay makes one."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar

from sqlalchemy.ext.asyncio import AsyncSession


class OuterTransaction:
    def __init__(self, name: str) -> None:
        """``name``: whose transactions these are (one database's, not another's)."""
        self._session: ContextVar[AsyncSession | None] = ContextVar(name, default=None)

    def session(self) -> AsyncSession | None:
        """The write transaction this task is inside of, if any."""
        return self._session.get()

    @asynccontextmanager
    async def join(self, outer: AsyncSession, *, write: bool) -> AsyncIterator[AsyncSession]:
        """``outer``, for a unit of work inside it: a write in a savepoint of its own."""
        if not write:
            yield outer
            return
        async with outer.begin_nested():
            yield outer

    @contextmanager
    def joinable(self, session: AsyncSession, *, write: bool) -> Iterator[None]:
        """Inside, the units of work of this task join ``session``'s write transaction."""
        if not write:
            yield
            return
        token = self._session.set(session)
        try:
            yield
        finally:
            self._session.reset(token)
