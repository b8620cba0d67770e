"""Reading what happened: a work item's history and a ledger's change feed.

Events are kept in the database only: while it is away these answer
``storage_unavailable`` rather than an empty history from a copy that has none."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Coroutine
from typing import Any

from workledger.errors import NotFound
from workledger.models import Event
from workledger.repositories.archive import ArchiveRepository
from workledger.repositories.events import EventRepository
from workledger.repositories.paging import decode_offset, encode_offset
from workledger.repositories.work_item import WorkItemRepository
from workledger.schemas.common import Actor, Page
from workledger.schemas.history import FEED_MAX, ChangesPage, EventActor, EventRead, HistoryQuery
from workledger.services.change_signal import Changes
from workledger.services.common import Service
from workledger.services.work_item.read_model import RESOURCE, ItemRef


def event_read(event: Event) -> EventRead:
    return EventRead(
        seq=event.seq,
        record_type=event.record_type,
        record_id=event.record_id,
        version=event.version,
        action=event.action,
        changes=event.changes,
        actor=EventActor(client=event.actor_client, account=event.actor_account),
        at=event.at,
    )


# How long a follower waits for a commit before it reads the feed again anyway.
FOLLOW_RECHECK_SECONDS = 1.0


class HistoryService(Service):
    async def of_work_item(
        self, *, actor: Actor, item_id: ItemRef, query: HistoryQuery
    ) -> Page[EventRead]:
        """A page of the item's events, oldest first: live, deleted or archived, it keeps
        them."""
        after_seq = decode_offset(query.cursor) if query.cursor else 0
        return await self._of_work_item(
            actor,
            item_id,
            after_version=query.after_version,
            after_seq=after_seq,
            limit=query.limit,
        )

    async def all_of_work_item(
        self, *, actor: Actor, item_id: ItemRef, at_most: int | None = None
    ) -> Page[EventRead]:
        """The item's whole history in one read (the first ``at_most`` events, if given),
        for a person who reads it on one page; ``total_count`` says how long it is."""
        return await self._of_work_item(
            actor, item_id, after_version=None, after_seq=0, limit=at_most
        )

    async def _of_work_item(
        self,
        actor: Actor,
        item_id: ItemRef,
        *,
        after_version: int | None,
        after_seq: int,
        limit: int | None,
    ) -> Page[EventRead]:
        async with self.db.transaction(write=False, layer="database") as session:
            items = WorkItemRepository(session, ledger_id=actor.ledger_id)
            [found] = await items.resolve([item_id])
            if await items.get(found, include_deleted=True) is None:
                archived = ArchiveRepository(session, ledger_id=actor.ledger_id)
                if await archived.get(found) is None:
                    raise NotFound(RESOURCE, item_id)
            events, total = await EventRepository(session, ledger_id=actor.ledger_id).of_record(
                found,
                after_version=after_version,
                after_seq=after_seq,
                limit=None if limit is None else limit + 1,
            )
        has_more = limit is not None and len(events) > limit
        events = events[:limit]
        return Page[EventRead](
            items=[event_read(e) for e in events],
            total_count=total,
            has_more=has_more,
            next_cursor=encode_offset(events[-1].seq) if has_more else None,
        )

    async def changes(self, *, actor: Actor, after: int, limit: int) -> ChangesPage:
        """The ledger's events after seq ``after``, oldest first (every record type)."""
        async with self.db.transaction(
            write=False, layer="database", single_statement=True
        ) as session:
            events = await EventRepository(session, ledger_id=actor.ledger_id).after(
                after, limit=limit + 1
            )
        page = events[:limit]
        return ChangesPage(
            items=[event_read(e) for e in page],
            next_after=page[-1].seq if page else after,
            has_more=len(events) > limit,
        )

    async def last_seq(self, *, actor: Actor) -> int:
        """The ledger's newest seq: where a feed that wants only what comes next starts."""
        async with self.db.transaction(
            write=False, layer="database", single_statement=True
        ) as session:
            return await EventRepository(session, ledger_id=actor.ledger_id).last_seq()

    async def follow(
        self, *, actor: Actor, after: int, wake: Changes
    ) -> AsyncGenerator[EventRead, None]:
        """The ledger's events after ``after``, then each one as it commits, for as long as
        the caller iterates: none missing, none twice (``seq`` is gap-free, in commit
        order). ``wake`` says when something committed. Close it (``aclosing``) to stop
        its wait for commits at once."""
        seen = after
        async with wake.subscribe() as subscription:
            while True:
                page = await _uncancelled(self.changes(actor=actor, after=seen, limit=FEED_MAX))
                for event in page.items:
                    yield event
                seen = page.next_after
                if not page.has_more:
                    await subscription.wait(at_most=FOLLOW_RECHECK_SECONDS)


async def _uncancelled(read: Coroutine[Any, Any, ChangesPage]) -> ChangesPage:
    """``read``, left to finish if the follower is stopped meanwhile (its client went):
    cancelled inside the driver, a read can leave its connection to nobody."""
    task = asyncio.ensure_future(read)
    task.add_done_callback(lambda done: done.cancelled() or done.exception())
    return await asyncio.shield(task)
