"""Work item writes: each public method is one transaction, journaled during an outage
(create, update, claim, release, delete, restore) or not (``claim_next``, which must see
every claim); the rules they apply are in ``rules``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from itertools import zip_longest

from workledger.db.types import utcnow
from workledger.errors import NotFound, WorkledgerError
from workledger.fallback import commands
from workledger.fallback.journaling import journaled
from workledger.models import WorkItem, new_id
from workledger.repositories import history
from workledger.repositories.readiness import recount_open_dependencies
from workledger.repositories.work_item import WorkItemRepository, insert_alone
from workledger.repositories.work_item_claims import Claim, WorkItemClaims
from workledger.repositories.work_item_count import CountKey, WorkItemCountRepository, count_key
from workledger.repositories.work_item_dependency import Edge
from workledger.repositories.work_item_new import NewWorkItem
from workledger.schemas.common import Actor
from workledger.schemas.work_item import (
    DEFAULT_LEASE_SECONDS,
    ClaimNext,
    WorkItemCreate,
    WorkItemRead,
    WorkItemUpdate,
)
from workledger.services.common import Service, check_version, stamp, the_one
from workledger.services.work_item import rules
from workledger.services.work_item.read_model import (
    RESOURCE,
    ItemRef,
    blockers_of,
    claimed_fields,
    next_free,
    one_item,
    read,
)
from workledger.services.work_item.taking import Taker, TakingTogether


class WorkItemCommands(Service):
    @journaled(commands.CreateWorkItem)
    async def create(
        self, *, actor: Actor, data: WorkItemCreate, item_id: uuid.UUID | None = None
    ) -> WorkItemRead:
        """A new item; ``item_id`` lets an import choose the (fresh, v7) id."""
        if data.parent_id is not None or data.dependencies:
            return the_one(await self.create_many(actor=actor, items=[data], ids=[item_id]))
        # Nothing to look up or lock: the item, its tally and its event are one statement
        # where the database allows (the rules are create_many's, with nothing linked),
        # run alone where it may be: without a session, BEGIN or COMMIT.
        actor.require("member")
        item = rules.new_item(actor, data, item_id or new_id(), None, at=utcnow())
        if self.db.runs_statements_alone:
            async with self.db.statement() as connection:
                await insert_alone(connection, item, dialect=self.db.dialect)
            return read(item, [], {}, actor)
        async with self.writing(actor) as session:
            await WorkItemRepository(session, ledger_id=actor.ledger_id).insert_one(item)
            return read(item, [], {}, actor)

    async def create_many(
        self,
        *,
        actor: Actor,
        items: Sequence[WorkItemCreate],
        ids: Sequence[uuid.UUID | None] = (),
    ) -> list[WorkItemRead | WorkledgerError]:
        """Many items in one transaction and a few statements (for imports): each as
        ``create`` would make it, or the error that refused it. A parent or a dependency
        may be an existing item or one made earlier in the batch; nothing depends on a
        new item yet, so no dependency of one closes a cycle."""
        chosen = [given or new_id() for _, given in zip_longest(items, ids)]
        async with self.writing(actor) as session:
            repo = WorkItemRepository(session, ledger_id=actor.ledger_id)
            links = [await rules.links(repo, data.parent_id, data.dependencies) for data in items]
            batch = set(chosen)
            referenced = [ref for link in links for ref in link.referenced if ref not in batch]
            await repo.lock(referenced)
            known: dict[uuid.UUID, rules.Placed] = {
                item.id: item for item in await repo.get_many(referenced)
            }
            now = utcnow()
            made: list[tuple[NewWorkItem, list[Edge]] | WorkledgerError] = []
            for data, link, item_id in zip(items, links, chosen, strict=True):
                edges = link.edges or []
                try:
                    parent = rules.parent_among(known, link.parent_id)
                    rules.check_targets(item_id, [t for t, _ in edges], found=known.keys())
                    item = rules.new_item(actor, data, item_id, parent, at=now)
                except WorkledgerError as refused:
                    made.append(refused)
                    continue
                known[item.id] = item
                made.append((item, edges))
            new = [m for m in made if not isinstance(m, WorkledgerError)]
            created = {item.id: edges for item, edges in new}
            # The items in one statement, before the edges that point at them.
            await repo.insert_new([item for item, _ in new])
            await repo.dependencies.add(
                [
                    (item_id, target, kind)
                    for item_id, edges in created.items()
                    for target, kind in edges
                ]
            )
            await repo.upkeep.apply()  # the tallies, the new items' open dependencies
            blockers = await blockers_of(repo, created)
            return [
                m if isinstance(m, WorkledgerError) else read(m[0], m[1], blockers, actor)
                for m in made
            ]

    @journaled(commands.UpdateWorkItem)
    async def update(self, *, actor: Actor, item_id: ItemRef, data: WorkItemUpdate) -> WorkItemRead:
        """Set the fields sent: ``parent_id`` moves the subtree, ``dependencies`` replaces
        them, ``deleted`` soft-deletes (``cascade``: with the live descendants) or
        restores."""
        if rules.in_place(data) and self.db.runs_statements_alone:
            edited = await self._edit_in_place(actor, item_id, data)
            if edited is not None:
                return edited
        restoring, deleting = data.deleted is False, data.deleted is True
        async with self.writing(actor) as session:
            repo = WorkItemRepository(session, ledger_id=actor.ledger_id)
            [found] = await repo.resolve([item_id])
            links = await rules.links(repo, data.parent_id, data.dependencies)
            changing = await _changing(
                repo,
                found,
                actor,
                requested=data.version,
                also=links.referenced,
                restoring=restoring,
            )
            item = changing.item
            if restoring and item.deleted_at is not None:
                await rules.undelete(repo, item, actor=actor)
            if "parent_id" in data.model_fields_set:
                await rules.move(repo, item, links.parent_id)
            if links.edges is not None:
                await rules.set_dependencies(repo, item, links.edges)
            rules.apply_fields(item, data)
            if item.status == "completed" and item.claimed_until is not None:
                rules.drop_claim(item)  # done: the lease ends with the work
            if deleting:
                await rules.soft_delete(repo, item, cascade=data.cascade, actor=actor)
            return await changing.saved(actor, edges=links.edges)

    async def _edit_in_place(
        self, actor: Actor, item_id: ItemRef, data: WorkItemUpdate
    ) -> WorkItemRead | None:
        """A change to the item's own fields as one statement after a read, with no lock,
        BEGIN or COMMIT: the item is read as it is, changed by the same rules, and written
        with its event only while still at the version read (``edit_in_place``). None
        where that cannot be (a fallback layer, a change in between): ``update`` then
        takes the locked path. Only where ``runs_statements_alone``."""
        async with self.writing(actor, single_statement=True) as session:
            if not history.inline(session):
                return None
            repo = WorkItemRepository(session, ledger_id=actor.ledger_id)
            [found_id] = await repo.resolve([item_id])
            found = await repo.get_with_edges(found_id)
            if found is None:
                raise NotFound(RESOURCE, found_id)
            item, edges = found
            check_version(item, requested=data.version, resource=RESOURCE)
            session.expunge(item)  # changed here, written by the statement alone
            rules.apply_fields(item, data)
            stamp(item, actor, at=utcnow())
            if not await repo.edit_in_place(item):
                return None
            return read(item, edges, await blockers_of(repo, {item.id: edges}), actor)

    @journaled(commands.ClaimWorkItem)
    async def claim(
        self,
        *,
        actor: Actor,
        item_id: ItemRef,
        version: int | None = None,
        lease_seconds: int = DEFAULT_LEASE_SECONDS,
    ) -> WorkItemRead:
        """Take the item for the caller (its client name, for its account) for
        ``lease_seconds``, or renew the caller's lease; refused while someone else's lease
        runs (a conflict naming who), when it is completed, or while a dependency holds it
        back (naming which). Of two racing claims exactly one wins."""
        async with self.writing(actor) as session:
            repo = WorkItemRepository(session, ledger_id=actor.ledger_id)
            [found] = await repo.resolve([item_id])
            now = utcnow()
            changing = await _changing(repo, found, actor, requested=version, claiming_at=now)
            rules.take(session, changing.item, actor, now=now, lease_seconds=lease_seconds)
            return await changing.saved(actor)

    @journaled(commands.ReleaseWorkItem)
    async def release(
        self, *, actor: Actor, item_id: ItemRef, version: int | None = None
    ) -> WorkItemRead:
        """Drop the claim: the holder's to drop, or an owner's of the ledger. An item
        nobody holds is left as it is."""
        async with self.writing(actor) as session:
            repo = WorkItemRepository(session, ledger_id=actor.ledger_id)
            [found] = await repo.resolve([item_id])
            changing = await _changing(repo, found, actor, requested=version)
            item = changing.item
            if item.assignee is None:
                return await changing.unchanged(actor)
            rules.check_releasable(item, actor, now=utcnow())
            rules.drop_claim(item)
            history.note(session, WorkItem, item.id, "release")
            return await changing.saved(actor)

    async def claim_next(self, *, actor: Actor, wanted: ClaimNext) -> WorkItemRead | None:
        """Take the best ready item nobody holds (the ready order), among ``wanted``'s
        filters, in one step: takers at once get different items, those who come together
        in one transaction (``taking``). None: nothing is ready."""
        actor.require("member")
        if self.db.in_transaction:  # a part of a larger write: taken in it, alone
            [taken] = await self._take_many(wanted, [Taker(actor, wanted.lease_seconds)])
            return taken
        return await self._taking.take(actor, wanted)

    @cached_property
    def _taking(self) -> TakingTogether[WorkItemRead | None]:
        return TakingTogether(self._take_many)

    async def _take_many(
        self, wanted: ClaimNext, takers: Sequence[Taker[WorkItemRead | None]]
    ) -> list[WorkItemRead | None]:
        """For each taker, in order, the next ready item (fewer when fewer are ready: None
        for the rest), claimed in one transaction. A claim changes no tally, and the
        item is ready: nothing holds it back."""
        ledger_id = takers[0].actor.ledger_id
        async with self.db.transaction() as session:
            repo = WorkItemRepository(session, ledger_id=ledger_id)
            now = utcnow()
            found = await next_free(repo, wanted, now=now, lock=True, limit=len(takers))
            claims = [
                Claim(
                    item,
                    taker.actor,
                    now,
                    rules.claiming(
                        session, item.row, taker.actor, now=now, lease_seconds=taker.lease_seconds
                    ),
                )
                for taker, item in zip(takers, found, strict=False)
            ]
            await WorkItemClaims(session, ledger_id=ledger_id).take(claims)
        taken = [WorkItemRead.model_validate(claimed_fields(claim)) for claim in claims]
        return [*taken, *[None] * (len(takers) - len(taken))]

    @journaled(commands.DeleteWorkItem)
    async def delete(
        self, *, actor: Actor, item_id: ItemRef, version: int, cascade: bool = False
    ) -> WorkItemRead:
        """Soft delete; with ``cascade`` the live descendants go too."""
        async with self.writing(actor) as session:
            repo = WorkItemRepository(session, ledger_id=actor.ledger_id)
            [found] = await repo.resolve([item_id])
            changing = await _changing(repo, found, actor, requested=version)
            await rules.soft_delete(repo, changing.item, cascade=cascade, actor=actor)
            return await changing.saved(actor)

    @journaled(commands.RestoreWorkItem)
    async def restore(
        self, *, actor: Actor, item_id: ItemRef, version: int | None = None
    ) -> WorkItemRead:
        """Undo a soft delete, with the descendants deleted along with it; or bring an
        archived item back, with what was archived below it. Without ``version``, whatever
        the current one is."""
        async with self.writing(actor) as session:
            repo = WorkItemRepository(session, ledger_id=actor.ledger_id)
            [found] = await repo.resolve([item_id])
            changing = await _changing(repo, found, actor, requested=version, restoring=True)
            if changing.item.deleted_at is not None:
                await rules.undelete(repo, changing.item, actor=actor)
            return await changing.saved(actor)

    async def current(self, *, actor: Actor, record_id: uuid.UUID) -> WorkItemRead:
        """The item as it is now, deleted or not (what the journal shows of a write that
        was refused; replay asks the service that wrote)."""
        fields = await one_item(self.db, actor=actor, item_id=record_id, include_deleted=True)
        return WorkItemRead.model_validate(fields)

    async def recount(self, *, actor: Actor) -> None:
        """Rebuild the account's list totals and open dependency counts from the tables,
        after rows were bulk-loaded."""
        async with self.writing(actor) as session:
            await WorkItemCountRepository(session, ledger_id=actor.ledger_id).rebuild()
            await recount_open_dependencies(session, ledger_id=actor.ledger_id)


@dataclass(frozen=True)
class _Changing:
    """An item a write changes: locked, and at the version the caller read."""

    repo: WorkItemRepository
    item: WorkItem
    counted_as: CountKey  # its tallies' key before the change
    edges: list[Edge] | None  # its dependencies as read with it; None: not read

    async def unchanged(self, actor: Actor) -> WorkItemRead:
        """The item as it is: nothing to write."""
        edges = await self._edges()
        return read(self.item, edges, await blockers_of(self.repo, {self.item.id: edges}), actor)

    async def saved(self, actor: Actor, *, edges: list[Edge] | None = None) -> WorkItemRead:
        """Stamp the change, write it with the upkeep it owes, and read the item back
        (``edges``: its dependencies, when the change just set them)."""
        repo, item = self.repo, self.item
        stamp(item, actor, at=utcnow())
        repo.upkeep.changed(item.id, self.counted_as, count_key(item))
        await repo.flush()
        await repo.upkeep.apply()  # the tallies, and the open dependencies it changed
        if edges is None:
            edges = await self._edges()
        return read(item, edges, await blockers_of(repo, {item.id: edges}), actor)

    async def _edges(self) -> list[Edge]:
        """The item's dependencies: only a change that sets them changes them."""
        if self.edges is not None:
            return self.edges
        return (await self.repo.dependencies.of([self.item.id]))[self.item.id]


async def _changing(
    repo: WorkItemRepository,
    item_id: uuid.UUID,
    actor: Actor,
    *,
    requested: int | None,
    also: Sequence[uuid.UUID] = (),
    restoring: bool = False,
    claiming_at: datetime | None = None,
) -> _Changing:
    """The live item ``item_id``, locked together with the items ``also`` (what the
    change links it to), made by ``actor`` against ``requested`` (None: whatever is
    current): refused when stale, or when claimed (``claiming_at`` a time) and the actor
    may not claim it then (who holds an item says more than its version). ``restoring``
    takes a deleted item too, and brings back an archived one."""
    if also:  # all of them locked in id order, as every change locks them
        await repo.lock([item_id, *also])
    # Alone, it is locked as it is read, with its dependencies: one statement.
    found = await repo.get_with_edges(item_id, include_deleted=True, lock=not also)
    item, edges = found or (None, None)
    if item is None and restoring:
        item = await rules.unarchive(repo, item_id, requested=requested, actor=actor)
    if item is None or (item.deleted_at is not None and not restoring):
        raise NotFound(RESOURCE, item_id)
    if claiming_at is not None:
        blockers = await repo.dependencies.blockers([item.id]) if item.open_dependencies else {}
        blocked_by = [target for target, _ in blockers.get(item.id, ())]
        rules.check_claimable(item, actor, now=claiming_at, blocked_by=blocked_by)
    check_version(item, requested=requested, resource=RESOURCE)
    return _Changing(repo, item, count_key(item), edges)
