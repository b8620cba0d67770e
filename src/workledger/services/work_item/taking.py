"""Claim-next callers who come together are served together: one transaction takes as many
items as there are callers waiting with the same filters, in the ready order, the best to
the first who came. A caller alone waits for nobody; those who come while a transaction
runs go in the next one. This is group commit: what a transaction costs (and on SQLite the
one write lock) is paid once for many takers, instead of queueing them one by one."""

from __future__ import annotations

import asyncio
import contextvars
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from workledger.schemas.common import Actor
from workledger.schemas.work_item import ClaimNext

T = TypeVar("T")
# What makes callers' wishes the same: the ledger and the filters (not the lease).
Filters = tuple[uuid.UUID, str | None, str | None, str | None]
# The most takers one transaction serves; the rest go in the next.
MOST_AT_ONCE = 64


@dataclass
class Taker(Generic[T]):
    """A caller waiting for an item, and for how long their claim holds."""

    actor: Actor
    lease_seconds: int
    answer: asyncio.Future[T] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


TakeMany = Callable[[ClaimNext, Sequence[Taker[T]]], Awaitable[Sequence[T]]]


class TakingTogether(Generic[T]):
    """Serves claim-next callers in groups, with ``take_many``: given the filters and the
    takers, the item each gets (or None), in their order, in one transaction."""

    def __init__(self, take_many: TakeMany[T]) -> None:
        self._take_many = take_many
        self._waiting: dict[Filters, list[Taker[T]]] = {}
        self._serving: dict[Filters, asyncio.Task[None]] = {}

    async def take(self, actor: Actor, wanted: ClaimNext) -> T:
        filters: Filters = (
            actor.ledger_id,
            wanted.item_type,
            wanted.tag,
            None if wanted.parent_id is None else str(wanted.parent_id),
        )
        taker: Taker[T] = Taker(actor, wanted.lease_seconds)
        self._waiting.setdefault(filters, []).append(taker)
        if filters not in self._serving:
            # A context of its own: the group's transaction is nobody's request.
            self._serving[filters] = asyncio.create_task(
                self._serve(filters, wanted), context=contextvars.Context()
            )
        return await taker.answer

    async def _serve(self, filters: Filters, wanted: ClaimNext) -> None:
        """Until nobody waits: the takers who came meanwhile, a group at a time."""
        try:
            while waiting := self._waiting.pop(filters, None):
                group, rest = waiting[:MOST_AT_ONCE], waiting[MOST_AT_ONCE:]
                if rest:
                    self._waiting[filters] = rest + self._waiting.get(filters, [])
                # A caller who gave up (its request cancelled) takes nothing.
                group = [taker for taker in group if not taker.answer.cancelled()]
                if group:
                    await self._serve_group(wanted, group)
        finally:
            del self._serving[filters]
            for taker in self._waiting.pop(filters, ()):  # stopped (the server is): none
                taker.answer.cancel()

    async def _serve_group(self, wanted: ClaimNext, group: list[Taker[T]]) -> None:
        try:
            answers = await self._take_many(wanted, group)
        except Exception as refused:  # each taker is told, as if it had asked alone
            for taker in group:
                if not taker.answer.done():
                    taker.answer.set_exception(refused)
            return
        except BaseException:
            for taker in group:
                taker.answer.cancel()
            raise
        for taker, answer in zip(group, answers, strict=True):
            if not taker.answer.done():
                taker.answer.set_result(answer)
