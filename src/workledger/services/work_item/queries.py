"""Work item reads, in four shapes: one item, one item with its hierarchy, the items it
depends on, and a page of a list. The first, second and fourth are served from the read
cache while nothing in the database changed, each under a key of its own type."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from workledger.db.types import utcnow
from workledger.db.unit_of_work import Database
from workledger.errors import NotFound, ValidationError
from workledger.models import WorkItem
from workledger.repositories.readiness import readiness
from workledger.repositories.work_item import WorkItemRepository
from workledger.repositories.work_item_dependency import Edges
from workledger.repositories.work_item_listing import WorkItemListing
from workledger.schemas.common import Actor, Page
from workledger.schemas.work_item import (
    MAX_DEPTH,
    ClaimNext,
    WorkItemHierarchy,
    WorkItemListQuery,
    WorkItemRead,
    WorkItemReadOptions,
    WorkItemSummary,
)
from workledger.services.common import Service
from workledger.services.read_cache import ReadCache
from workledger.services.work_item.read_model import (
    RESOURCE,
    ItemRef,
    blockers_of,
    edges_out,
    next_free,
    one_item,
    read,
    record_fields,
    row_fields,
)

# Every key holds the actor: readiness depends on who asks (their claimed items are
# ready for them), and the account scopes everything. An entry also goes stale when a
# lease in it runs out; a ready list, whose items held by others are not in it, is read
# again at most READY_RECHECK after it was.
READY_RECHECK = timedelta(seconds=1)


@dataclass(frozen=True)
class ItemKey:
    actor: Actor
    item_id: ItemRef
    include_deleted: bool


@dataclass(frozen=True)
class HierarchyKey:
    actor: Actor
    item_id: ItemRef
    max_depth: int
    include_deleted: bool


@dataclass(frozen=True)
class ListKey:
    actor: Actor
    query: str  # the query's JSON: equal queries, one entry


class WorkItemQueries(Service):
    def __init__(self, db: Database, *, read_cache: ReadCache) -> None:
        super().__init__(db)
        self._read_cache = read_cache

    async def get(
        self, *, actor: Actor, item_id: ItemRef, include_deleted: bool = False
    ) -> WorkItemRead:
        fields = await one_item(
            self.db, actor=actor, item_id=item_id, include_deleted=include_deleted
        )
        return WorkItemRead.model_validate(fields)

    async def dependencies(
        self, *, actor: Actor, item: WorkItemRead
    ) -> dict[uuid.UUID, WorkItemRead]:
        """The items ``item`` depends on, deleted ones too, by id, read together (what a
        person's view of one item shows beside it)."""
        async with self.db.transaction(write=False) as session:
            repo = WorkItemRepository(session, ledger_id=actor.ledger_id)
            wanted = [edge.depends_on_id for edge in item.dependencies]
            targets = await repo.get_many(wanted, include_deleted=True) if wanted else []
            edges = await repo.dependencies.of([target.id for target in targets])
            blockers = await blockers_of(repo, {t.id: edges[t.id] for t in targets})
            return {t.id: read(t, edges[t.id], blockers, actor) for t in targets}

    async def query(
        self, *, actor: Actor, item_id: ItemRef, options: WorkItemReadOptions
    ) -> WorkItemHierarchy:
        """One item in full; with ``include_hierarchy`` also its ancestors and descendants
        (otherwise those two lists are null). What both doors' single-item reads answer."""
        if options.include_hierarchy:
            return await self.get_hierarchy(
                actor=actor,
                item_id=item_id,
                max_depth=options.max_depth,
                include_deleted=options.include_deleted,
            )
        include_deleted = options.include_deleted
        return await self._read_cache.get_or_load_until(
            ItemKey(actor, item_id, include_deleted),
            lambda: self._item(actor=actor, item_id=item_id, include_deleted=include_deleted),
        )

    async def _item(
        self, *, actor: Actor, item_id: ItemRef, include_deleted: bool
    ) -> tuple[WorkItemHierarchy, datetime | None]:
        fields = await one_item(
            self.db, actor=actor, item_id=item_id, include_deleted=include_deleted
        )
        item = WorkItemHierarchy.model_validate(fields)
        return item, _first_lapse([item.claimed_until], now=utcnow())

    async def get_hierarchy(
        self,
        *,
        actor: Actor,
        item_id: ItemRef,
        max_depth: int = MAX_DEPTH + 1,
        include_deleted: bool = False,
    ) -> WorkItemHierarchy:
        """The item with its ancestors (root first) and descendants (tree order)."""
        if not 1 <= max_depth <= MAX_DEPTH + 1:
            raise ValidationError.single("max_depth", f"must be between 1 and {MAX_DEPTH + 1}")
        return await self._read_cache.get_or_load_until(
            HierarchyKey(actor, item_id, max_depth, include_deleted),
            lambda: self._hierarchy(
                actor=actor, item_id=item_id, max_depth=max_depth, include_deleted=include_deleted
            ),
        )

    async def _hierarchy(
        self, *, actor: Actor, item_id: ItemRef, max_depth: int, include_deleted: bool
    ) -> tuple[WorkItemHierarchy, datetime | None]:
        client, account, now = actor.client, actor.account, utcnow()
        async with self.db.transaction(write=False) as session:
            repo = WorkItemRepository(session, ledger_id=actor.ledger_id)
            item = await _found(repo, item_id, include_deleted=include_deleted)
            ancestors = await repo.ancestors(item)
            below = await repo.descendants(
                item, max_depth=max_depth, include_deleted=include_deleted
            )
            edges = await repo.dependencies.of(
                repo.subtree_ids(item, max_depth=max_depth, include_deleted=include_deleted)
            )
            blockers = await repo.dependencies.blockers(
                [item.id, *(r.id for r in ancestors), *(r.id for r in below)]
            )
        lapse = _first_lapse((r.claimed_until for r in (item, *ancestors, *below)), now=now)
        hierarchy = WorkItemHierarchy.model_validate(
            {
                **record_fields(item, edges[item.id], blockers, actor),
                "ancestors": [
                    {
                        **row._asdict(),
                        **readiness(row, blockers, client=client, account=account, now=now),
                    }
                    for row in ancestors
                ],
                "descendants": [
                    {
                        **row._asdict(),
                        **readiness(row, blockers, client=client, account=account, now=now),
                        "dependencies": edges_out(edges[row.id]),
                    }
                    for row in below
                ],
            }
        )
        return hierarchy, lapse

    async def peek_next(self, *, actor: Actor, wanted: ClaimNext) -> WorkItemRead | None:
        """The item ``claim_next`` would take now, left as it is."""
        async with self.db.transaction(write=False) as session:
            repo = WorkItemRepository(session, ledger_id=actor.ledger_id)
            found = await next_free(repo, wanted, now=utcnow(), lock=False)
        return WorkItemRead.model_validate(row_fields(found[0], actor)) if found else None

    async def list(self, *, actor: Actor, query: WorkItemListQuery) -> Page[WorkItemSummary]:
        """One page."""
        return await self._read_cache.get_or_load_until(
            ListKey(actor, query.model_dump_json()),
            lambda: self._list(actor=actor, query=query),
        )

    async def _list(
        self, *, actor: Actor, query: WorkItemListQuery
    ) -> tuple[Page[WorkItemSummary], datetime | None]:
        now = utcnow()  # one instant for the whole page: its filter and every item's ready
        async with self.db.transaction(write=False) as session:
            repo = WorkItemRepository(session, ledger_id=actor.ledger_id)
            if query.parent_id is not None:
                try:
                    [parent_id] = await repo.resolve([query.parent_id], field="parent_id")
                except NotFound:  # as for an id no item has: no children
                    return Page[WorkItemSummary](items=[], total_count=0, has_more=False), None
                query = query.model_copy(update={"parent_id": parent_id})
            listing = WorkItemListing(session, ledger_id=actor.ledger_id)
            result = await listing.page(query, client=actor.client, account=actor.account, now=now)
            # A ready page holds no blocked item: nothing to look up.
            blockers: Edges = {}
            if not query.ready:
                blockers = await repo.dependencies.blockers(r.id for r in result.rows)
            lapse = _first_lapse((row.claimed_until for row in result.rows), now=now)
            if query.ready:  # an item held by someone else shows when their lease ends
                recheck = now + READY_RECHECK
                lapse = recheck if lapse is None else min(lapse, recheck)
            page = Page[WorkItemSummary](
                items=[
                    WorkItemSummary.model_validate(
                        {
                            **row._mapping,
                            **readiness(
                                row,
                                blockers,
                                client=actor.client,
                                account=actor.account,
                                archived=row.archived_at is not None,
                                now=now,
                            ),
                        }
                    )
                    for row in result.rows
                ],
                total_count=result.total_count,
                has_more=result.has_more,
                next_cursor=result.next_cursor,
            )
            return page, lapse


async def _found(repo: WorkItemRepository, ref: ItemRef, *, include_deleted: bool) -> WorkItem:
    [item_id] = await repo.resolve([ref])
    item = await repo.get(item_id, include_deleted=include_deleted)
    if item is None:
        raise NotFound(RESOURCE, item_id)
    return item


def _first_lapse(lease_ends: Iterable[datetime | None], *, now: datetime) -> datetime | None:
    """When the first of these claims' leases runs out, of those still running at
    ``now``: what the items' readiness depends on besides the database."""
    return min((end for end in lease_ends if end is not None and end > now), default=None)
