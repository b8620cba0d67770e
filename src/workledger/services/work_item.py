"""Work items: the tree, its rules, dependencies, soft delete and listing."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import zip_longest
from typing import Any

from workledger.db.types import utcnow
from workledger.db.unit_of_work import Database
from workledger.errors import Conflict, NotFound, ValidationError, WorkledgerError
from workledger.fallback import commands
from workledger.fallback.journaling import journaled
from workledger.models import WorkItem, new_id
from workledger.models.work_item import short_id
from workledger.repositories.archive import ArchiveRepository
from workledger.repositories.work_item import (
    Edges,
    WorkItemRepository,
    path_segment,
    recount_open_dependencies,
)
from workledger.repositories.work_item_count import WorkItemCountRepository, count_key
from workledger.schemas.common import PRIORITY_RANK, Actor, Page, Priority
from workledger.schemas.work_item import (
    MAX_DEPTH,
    DependencyIn,
    WorkItemCreate,
    WorkItemHierarchy,
    WorkItemListQuery,
    WorkItemRead,
    WorkItemReadOptions,
    WorkItemSummary,
    WorkItemUpdate,
    validate_metadata,
)
from workledger.services.common import Service, check_version, stamp, the_one
from workledger.services.read_cache import ReadCache

ItemEdges = list[tuple[uuid.UUID, str]]
ItemRef = uuid.UUID | str  # an id, or a short id (see schemas.work_item.WorkItemRef)
RESOURCE = "work item"
PLAIN_FIELDS = (
    "title",
    "description",
    "due_date",
    "branch_name",
    "commit_hash",
    "pr_number",
    "assignee",
)


class WorkItemService(Service):
    def __init__(self, db: Database, *, cache: ReadCache) -> None:
        super().__init__(db)
        self._cache = cache

    @journaled(commands.CreateWorkItem)
    async def create(
        self, *, actor: Actor, data: WorkItemCreate, item_id: uuid.UUID | None = None
    ) -> WorkItemRead:
        """A new item; ``item_id`` lets an import choose the (fresh, v7) id."""
        return the_one(await self.create_many(actor=actor, items=[data], ids=[item_id]))

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
        async with self.db.transaction() as session:
            repo = WorkItemRepository(session, account_id=actor.account_id)
            links = [await _links(repo, data.parent_id, data.dependencies) for data in items]
            batch = set(chosen)
            referenced = [ref for link in links for ref in link.referenced if ref not in batch]
            await repo.lock(referenced)
            known = {item.id: item for item in await repo.get_many(referenced)}
            now = utcnow()
            made: list[tuple[WorkItem, ItemEdges] | WorkledgerError] = []
            for data, link, item_id in zip(items, links, chosen, strict=True):
                edges = link.edges or []
                try:
                    parent = _parent_among(known, link.parent_id)
                    _check_targets(item_id, [t for t, _ in edges], found=known.keys())
                    item = _new_item(actor, data, item_id, parent, at=now)
                except WorkledgerError as refused:
                    made.append(refused)
                    continue
                repo.add(item)
                known[item.id] = item
                made.append((item, edges))
            await repo.flush()
            await repo.add_dependencies(
                [
                    (m[0].id, target, kind)
                    for m in made
                    if not isinstance(m, WorkledgerError)
                    for target, kind in m[1]
                ]
            )
            await repo.flush()  # the new items' open dependencies
            blockers = await _blockers(
                repo, {m[0].id: m[1] for m in made if not isinstance(m, WorkledgerError)}
            )
            return [
                m if isinstance(m, WorkledgerError) else _read(m[0], m[1], blockers, actor)
                for m in made
            ]

    async def get(
        self, *, actor: Actor, item_id: ItemRef, include_deleted: bool = False
    ) -> WorkItemRead:
        return WorkItemRead.model_validate(
            await self._one(actor=actor, item_id=item_id, include_deleted=include_deleted)
        )

    async def dependencies(
        self, *, actor: Actor, item: WorkItemRead
    ) -> dict[uuid.UUID, WorkItemRead]:
        """The items ``item`` depends on, deleted ones too, by id, read together (what a
        person's view of one item shows beside it)."""
        async with self.db.transaction(write=False) as session:
            repo = WorkItemRepository(session, account_id=actor.account_id)
            wanted = [edge.depends_on_id for edge in item.dependencies]
            targets = await repo.get_many(wanted, include_deleted=True) if wanted else []
            edges = await repo.dependencies_of([target.id for target in targets])
            blockers = await _blockers(repo, {t.id: edges[t.id] for t in targets})
            return {t.id: _read(t, edges[t.id], blockers, actor) for t in targets}

    async def query(
        self,
        *,
        actor: Actor,
        item_id: ItemRef,
        options: WorkItemReadOptions,
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
        return await self._cache.get_or_load(
            ("item", actor, item_id, options.include_deleted),
            lambda: self._item(
                actor=actor, item_id=item_id, include_deleted=options.include_deleted
            ),
        )

    async def _item(
        self, *, actor: Actor, item_id: ItemRef, include_deleted: bool
    ) -> WorkItemHierarchy:
        return WorkItemHierarchy.model_validate(
            await self._one(actor=actor, item_id=item_id, include_deleted=include_deleted)
        )

    async def _one(
        self, *, actor: Actor, item_id: ItemRef, include_deleted: bool
    ) -> dict[str, Any]:
        """The fields of one item's full read. By its id, one statement (one round trip);
        a short id is looked up first."""
        by_id = isinstance(item_id, uuid.UUID)
        async with self.db.transaction(write=False, single_statement=by_id) as session:
            repo = WorkItemRepository(session, account_id=actor.account_id)
            [found_id] = await repo.resolve([item_id])
            found = await repo.read(found_id, include_deleted=include_deleted)
        if found is None:
            raise NotFound(RESOURCE, found_id)
        row, columns = found.row, found.row._mapping
        blockers = {row.id: found.blocking} if found.blocking else {}
        return {
            **{name: columns[name] for name in _READ_COLUMNS},
            **_readiness(row, blockers, actor),
            "metadata": columns["metadata"],
            "dependencies": _edges_out(found.edges),
        }

    async def get_hierarchy(
        self,
        *,
        actor: Actor,
        item_id: ItemRef,
        max_depth: int = MAX_DEPTH + 1,
        include_deleted: bool = False,
    ) -> WorkItemHierarchy:
        """The item with its ancestors (root first) and descendants (tree order).

        Served from the read cache while nothing in the database changed."""
        if not 1 <= max_depth <= MAX_DEPTH + 1:
            raise ValidationError.single("max_depth", f"must be between 1 and {MAX_DEPTH + 1}")
        return await self._cache.get_or_load(
            # Readiness depends on who asks (their claimed items are ready for them).
            ("hierarchy", actor, item_id, max_depth, include_deleted),
            lambda: self._hierarchy(
                actor=actor, item_id=item_id, max_depth=max_depth, include_deleted=include_deleted
            ),
        )

    async def _hierarchy(
        self, *, actor: Actor, item_id: ItemRef, max_depth: int, include_deleted: bool
    ) -> WorkItemHierarchy:
        async with self.db.transaction(write=False) as session:
            repo = WorkItemRepository(session, account_id=actor.account_id)
            item = await _found(repo, item_id, include_deleted=include_deleted)
            ancestors = await repo.ancestors(item)
            below = await repo.descendants(
                item, max_depth=max_depth, include_deleted=include_deleted
            )
            edges = await repo.subtree_dependencies(
                item, max_depth=max_depth, include_deleted=include_deleted
            )
            blockers = await repo.blockers(
                [item.id, *(r.id for r in ancestors), *(r.id for r in below)]
            )
        return WorkItemHierarchy.model_validate(
            {
                **_columns(item, _READ_COLUMNS),
                **_readiness(item, blockers, actor),
                "metadata": item.item_metadata,
                "dependencies": _edges_out(edges[item.id]),
                "ancestors": [
                    {**row._asdict(), **_readiness(row, blockers, actor)} for row in ancestors
                ],
                "descendants": [
                    {
                        **row._asdict(),
                        **_readiness(row, blockers, actor),
                        "dependencies": _edges_out(edges[row.id]),
                    }
                    for row in below
                ],
            }
        )

    async def list(self, *, actor: Actor, query: WorkItemListQuery) -> Page[WorkItemSummary]:
        """One page; served from the read cache while nothing in the database changed."""
        return await self._cache.get_or_load(
            # Readiness depends on who asks (their claimed items are ready for them).
            ("list", actor, query.model_dump_json()),
            lambda: self._list(actor=actor, query=query),
        )

    async def _list(self, *, actor: Actor, query: WorkItemListQuery) -> Page[WorkItemSummary]:
        async with self.db.transaction(write=False) as session:
            repo = WorkItemRepository(session, account_id=actor.account_id)
            if query.parent_id is not None:
                try:
                    [parent_id] = await repo.resolve([query.parent_id], field="parent_id")
                except NotFound:  # as for an id no item has: no children
                    return Page[WorkItemSummary](items=[], total_count=0, has_more=False)
                query = query.model_copy(update={"parent_id": parent_id})
            result = await repo.list_page(query, client=actor.client)
            # A ready page holds no blocked item: nothing to look up.
            blockers = Edges() if query.ready else await repo.blockers(r.id for r in result.rows)
            return Page[WorkItemSummary](
                items=[
                    WorkItemSummary.model_validate(
                        {
                            **row._mapping,
                            **_readiness(
                                row, blockers, actor, archived=row.archived_at is not None
                            ),
                        }
                    )
                    for row in result.rows
                ],
                total_count=result.total_count,
                has_more=result.has_more,
                next_cursor=result.next_cursor,
            )

    async def current(self, *, actor: Actor, record_id: uuid.UUID) -> WorkItemRead:
        return await self.get(actor=actor, item_id=record_id, include_deleted=True)

    @journaled(commands.UpdateWorkItem)
    async def update(self, *, actor: Actor, item_id: ItemRef, data: WorkItemUpdate) -> WorkItemRead:
        return await self._change(actor, item_id, data.changes(), requested=data.version)

    @journaled(commands.ClaimWorkItem)
    async def claim(self, *, actor: Actor, item_id: ItemRef, version: int) -> WorkItemRead:
        """Assign the item to the caller's client name, unless another client has it (a
        conflict naming who); of two racing claims exactly one wins."""
        return await self._change(actor, item_id, {"claim": True}, requested=version)

    @journaled(commands.DeleteWorkItem)
    async def delete(
        self, *, actor: Actor, item_id: ItemRef, version: int, cascade: bool = False
    ) -> WorkItemRead:
        """Soft delete; with ``cascade`` the live descendants go too."""
        changes = {"deleted": True, "cascade": cascade}
        return await self._change(actor, item_id, changes, requested=version)

    @journaled(commands.RestoreWorkItem)
    async def restore(
        self, *, actor: Actor, item_id: ItemRef, version: int | None = None
    ) -> WorkItemRead:
        """Undo a soft delete, with the descendants deleted along with it; or bring an
        archived item back, with what was archived below it. Without ``version``, whatever
        the current one is."""
        return await self._change(actor, item_id, {"deleted": False}, requested=version)

    async def _change(
        self,
        actor: Actor,
        ref: ItemRef,
        changes: dict[str, Any],
        *,
        requested: int | None,
    ) -> WorkItemRead:
        deleted = changes.pop("deleted", None)
        cascade = bool(changes.pop("cascade", False))
        claim = bool(changes.pop("claim", False))
        moves = "parent_id" in changes
        dependencies = changes.pop("dependencies", None)
        async with self.db.transaction() as session:
            repo = WorkItemRepository(session, account_id=actor.account_id)
            [item_id] = await repo.resolve([ref])
            links = await _links(repo, changes.pop("parent_id", None), dependencies)
            await repo.lock([item_id, *links.referenced])
            item = await repo.get(item_id, include_deleted=True)
            if item is None and deleted is False:
                item = await self._unarchive(repo, item_id, requested=requested)
            if item is None or (item.deleted_at is not None and deleted is not False):
                raise NotFound(RESOURCE, item_id)
            if claim:
                _claim(item, actor)
            check_version(item, requested=requested, resource=RESOURCE)
            counted_as = count_key(item)
            if deleted is False and item.deleted_at is not None:
                await self._restore(repo, item, actor=actor)
            if moves:
                await self._move(repo, item, links.parent_id)
            edges = None
            if links.edges is not None:
                edges = await self._set_dependencies(repo, item, links.edges)
            _apply_fields(item, changes)
            if deleted is True:
                await self._soft_delete(repo, item, cascade=cascade, actor=actor)
            stamp(item, client=actor.client, at=utcnow())
            repo.record_change(item.id, counted_as, count_key(item))
            await repo.flush()
            if edges is None:
                edges = (await repo.dependencies_of([item.id]))[item.id]
            return _read(item, edges, await _blockers(repo, {item.id: edges}), actor)

    async def recount(self, *, actor: Actor) -> None:
        """Rebuild the account's list totals and open dependency counts from the tables,
        after rows were bulk-loaded."""
        async with self.db.transaction() as session:
            await WorkItemCountRepository(session, account_id=actor.account_id).rebuild()
            await recount_open_dependencies(session, account_id=actor.account_id)

    # --- rules ----------------------------------------------------------------------------

    @staticmethod
    async def _parent(repo: WorkItemRepository, parent_id: uuid.UUID | None) -> WorkItem | None:
        if parent_id is None:
            return None
        parent = await repo.get(parent_id)
        if parent is None:
            raise NotFound("parent work item", parent_id, field="parent_id")
        return parent

    async def _move(
        self, repo: WorkItemRepository, item: WorkItem, parent_id: uuid.UUID | None
    ) -> None:
        if parent_id == item.parent_id:
            return
        if parent_id == item.id:
            raise Conflict("a work item cannot be its own parent", field="parent_id")
        parent = await self._parent(repo, parent_id)
        if parent is not None and parent.path.startswith(item.path):
            raise Conflict(
                "cannot move a work item under its own descendant (that would be a cycle)",
                field="parent_id",
            )
        depth = parent.depth + 1 if parent else 0
        _check_depth(depth + await repo.subtree_height(item))
        old_path = item.path
        item.path = (parent.path if parent else "") + path_segment(item.id)
        await repo.rehome_subtree(
            old_path=old_path, new_path=item.path, depth_delta=depth - item.depth
        )
        item.parent_id, item.depth = parent_id, depth

    @staticmethod
    async def _set_dependencies(
        repo: WorkItemRepository, item: WorkItem, edges: ItemEdges
    ) -> ItemEdges:
        targets = [target for target, _ in edges]
        found = {t.id for t in await repo.get_many(t for t in targets if t != item.id)}
        _check_targets(item.id, targets, found=found)
        if targets and await repo.dependency_reaches(starts=targets, target=item.id):
            raise Conflict(
                "these dependencies would close a cycle: an item they lead to already "
                "depends on this one",
                field="dependencies",
            )
        await repo.replace_dependencies(item.id, edges)
        return edges

    @staticmethod
    async def _soft_delete(
        repo: WorkItemRepository, item: WorkItem, *, cascade: bool, actor: Actor
    ) -> None:
        if not cascade and await repo.has_live_children(item.id):
            raise Conflict(
                "this work item has live children: delete them first or pass cascade=true",
                field="cascade",
            )
        now = utcnow()
        await repo.mark_subtree_deleted(
            item, deleted_at=now, only_deleted_at=None, at=now, actor=actor
        )
        item.deleted_at = now

    @staticmethod
    async def _unarchive(
        repo: WorkItemRepository, item_id: uuid.UUID, *, requested: int | None
    ) -> WorkItem | None:
        """Move an archived item and its archived subtree back under its parent, which
        must be live. Rows come back as they were archived; ``update`` then undoes the
        soft delete of one that had been deleted."""
        archive = ArchiveRepository(repo.session, account_id=repo.account_id)
        archived = await archive.get(item_id)
        if archived is None:
            return None
        check_version(archived, requested=requested, resource=RESOURCE)
        parent = await repo.get(archived.parent_id) if archived.parent_id else None
        if archived.parent_id is not None and parent is None:
            raise Conflict(
                f"the parent of this work item ({archived.parent_id}) is archived or deleted: "
                "restore the parent first",
                field="deleted",
            )
        depth = parent.depth + 1 if parent else 0
        _check_depth(depth + await archive.deepest_level(archived) - archived.depth)
        await archive.restore(
            archived,
            parent_path=parent.path if parent else "",
            parent_depth=parent.depth if parent else -1,
        )
        return await repo.get(item_id, include_deleted=True)

    @staticmethod
    async def _restore(repo: WorkItemRepository, item: WorkItem, *, actor: Actor) -> None:
        if item.parent_id is not None and await repo.get(item.parent_id) is None:
            raise Conflict(
                "the parent of this work item is deleted: restore the parent first",
                field="deleted",
            )
        await repo.mark_subtree_deleted(
            item, deleted_at=None, only_deleted_at=item.deleted_at, at=utcnow(), actor=actor
        )
        item.deleted_at = None


async def _blockers(repo: WorkItemRepository, edges: dict[uuid.UUID, ItemEdges]) -> Edges:
    """What holds back these items, whose edges are known: no query for those without."""
    linked = [item_id for item_id, item_edges in edges.items() if item_edges]
    return await repo.blockers(linked) if linked else Edges()


def _claim(item: WorkItem, actor: Actor) -> None:
    if item.assignee not in (None, actor.client):
        raise Conflict(
            f"this work item is claimed by {item.assignee}: pick another one, or ask "
            f"{item.assignee} to release it (assignee: null)",
            field="assignee",
            assignee=item.assignee,
        )
    if item.status == "completed":
        raise Conflict("this work item is completed: there is nothing to claim", field="status")
    item.assignee = actor.client


@dataclass(frozen=True)
class Links:
    """The items a new item or a change links to, by id: its parent and dependencies."""

    parent_id: uuid.UUID | None
    edges: ItemEdges | None  # None: the dependencies are not changed

    @property
    def referenced(self) -> list[uuid.UUID]:
        """Locked along with the item itself."""
        linked = [target for target, _ in self.edges or []]
        return [self.parent_id, *linked] if self.parent_id is not None else linked


async def _links(
    repo: WorkItemRepository, parent: ItemRef | None, dependencies: Sequence[DependencyIn] | None
) -> Links:
    """The parent and dependencies as given (ids or short ids), by id."""
    parent_id = None
    if parent is not None:
        [parent_id] = await repo.resolve([parent], field="parent_id")
    edges = None
    if dependencies is not None:
        ids = await repo.resolve([d.depends_on_id for d in dependencies], field="dependencies")
        edges = [(i, d.dependency_type.value) for i, d in zip(ids, dependencies, strict=True)]
    return Links(parent_id, edges)


def _new_item(
    actor: Actor,
    data: WorkItemCreate,
    item_id: uuid.UUID,
    parent: WorkItem | None,
    *,
    at: datetime,
) -> WorkItem:
    """A new item under ``parent`` (a root without one), refused below the fifth level."""
    depth = parent.depth + 1 if parent else 0
    _check_depth(depth)
    return WorkItem(
        id=item_id,
        account_id=actor.account_id,
        short_id=short_id(item_id),
        item_type=data.item_type.value,
        title=data.title,
        description=data.description,
        status=data.status.value,
        priority=data.priority.value,
        priority_rank=PRIORITY_RANK[data.priority],
        due_date=data.due_date,
        tags=list(data.tags),
        parent_id=parent.id if parent else None,
        path=(parent.path if parent else "") + path_segment(item_id),
        depth=depth,
        branch_name=data.branch_name,
        commit_hash=data.commit_hash,
        pr_number=data.pr_number,
        assignee=data.assignee,
        item_metadata=data.metadata or {},
        version=1,
        created_at=at,
        updated_at=at,
        created_by=actor.client,
        updated_by=actor.client,
    )


def _parent_among(known: dict[uuid.UUID, WorkItem], parent_id: uuid.UUID | None) -> WorkItem | None:
    if parent_id is None:
        return None
    if parent_id not in known:
        raise NotFound("parent work item", parent_id, field="parent_id")
    return known[parent_id]


def _check_targets(
    item_id: uuid.UUID, targets: Sequence[uuid.UUID], *, found: Collection[uuid.UUID]
) -> None:
    """The items depended on are other live items of the account."""
    if item_id in targets:
        raise ValidationError.single("dependencies", "a work item cannot depend on itself")
    missing = [str(t) for t in targets if t not in found]
    if missing:
        raise NotFound(RESOURCE, ", ".join(missing), field="dependencies", ids=missing)


def _check_depth(depth: int) -> None:
    if depth > MAX_DEPTH:
        raise Conflict(
            f"work items nest at most {MAX_DEPTH + 1} levels deep; this would make level "
            f"{depth + 1}",
            field="parent_id",
        )


def _apply_fields(item: WorkItem, changes: dict[str, Any]) -> None:
    for name in PLAIN_FIELDS:
        if name in changes:
            setattr(item, name, changes[name])
    if "status" in changes:
        item.status = str(changes["status"])
    if "priority" in changes:
        priority = Priority(changes["priority"])
        item.priority = priority.value
        item.priority_rank = PRIORITY_RANK[priority]
    if "tags" in changes:
        item.tags = list(changes["tags"])
    if "metadata" in changes:
        item.item_metadata = validate_metadata(item.item_type, changes["metadata"])


async def _found(repo: WorkItemRepository, ref: ItemRef, *, include_deleted: bool) -> WorkItem:
    [item_id] = await repo.resolve([ref])
    item = await repo.get(item_id, include_deleted=include_deleted)
    if item is None:
        raise NotFound(RESOURCE, item_id)
    return item


def _edges_out(edges: ItemEdges) -> list[dict[str, object]]:
    return [{"depends_on_id": target, "dependency_type": kind} for target, kind in edges]


# Read-model fields that are plain columns of the same name.
_READ_COLUMNS = tuple(
    name
    for name in WorkItemRead.model_fields
    if name not in {"metadata", "dependencies", "archived_at", "ready", "blocked_by"}
)


def _readiness(
    row: Any, blockers: Edges, actor: Actor, *, archived: bool = False
) -> dict[str, object]:
    """``ready`` and ``blocked_by`` of a work item (a row or a record) for ``actor``
    (docs/reference/work-items.md); ``blockers`` holds the open dependencies of each item."""
    blocked_by = [target for target, _ in blockers.get(row.id, ())]
    ready = (
        row.status == "active"
        and row.deleted_at is None
        and not archived
        and row.assignee in (None, actor.client)
        and not blocked_by
    )
    return {"ready": ready, "blocked_by": blocked_by}


def _columns(item: WorkItem, names: tuple[str, ...]) -> dict[str, object]:
    return {name: getattr(item, name) for name in names}


def _read(item: WorkItem, edges: ItemEdges, blockers: Edges, actor: Actor) -> WorkItemRead:
    return WorkItemRead.model_validate(
        {
            **_columns(item, _READ_COLUMNS),
            **_readiness(item, blockers, actor),
            "metadata": item.item_metadata,
            "dependencies": _edges_out(edges),
        }
    )
