"""Work item storage: the tree (materialized path + recursive CTE), dependencies, listing."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    delete,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import FromClause

from workledger.db.dialect import like_contains
from workledger.errors import FieldError, NotFound, ValidationError
from workledger.models import ArchivedWorkItem, WorkItem, WorkItemDependency
from workledger.models.work_item import due_or_last
from workledger.repositories.base import AccountScopedRepository, chunks
from workledger.repositories.paging import Keyset, as_date, as_datetime, as_int, as_str, as_uuid
from workledger.repositories.work_item_count import (
    CountKey,
    WorkItemCountRepository,
    count_key,
)
from workledger.schemas.common import Actor
from workledger.schemas.work_item import WorkItemListQuery, WorkItemSort, item_ref

# Summary columns a list returns; shared by the live and the archive table.
SUMMARY_COLUMNS = (
    "id",
    "item_type",
    "title",
    "status",
    "priority",
    "priority_rank",
    "parent_id",
    "depth",
    "due_date",
    "tags",
    "assignee",
    "version",
    "created_at",
    "updated_at",
    "deleted_at",
)


# What a tree answer shows of each ancestor and descendant (sort keys left out).
NODE_COLUMNS = tuple(c for c in SUMMARY_COLUMNS if c not in {"priority_rank", "created_at"})


def _node_columns() -> list[Any]:
    return [WorkItem.__table__.c[name] for name in NODE_COLUMNS]


def path_segment(item_id: uuid.UUID) -> str:
    return item_id.hex + "/"


def path_ids(path: str) -> list[uuid.UUID]:
    return [uuid.UUID(hex=part) for part in path.split("/") if part]


# Each item's outgoing dependency edges: [(depends_on_id, dependency_type)].
Edges = dict[uuid.UUID, list[tuple[uuid.UUID, str]]]


@dataclass(frozen=True)
class ListResult:
    rows: Sequence[Any]
    total_count: int
    has_more: bool
    next_cursor: str | None


def subtree(path: str, *, include_self: bool) -> ColumnElement[bool]:
    """Items whose path starts with ``path``: one index range, since "/" sorts before "0"."""
    lower = WorkItem.path >= path if include_self else WorkItem.path > path
    return and_(lower, WorkItem.path < path[:-1] + "0")


async def recount_open_dependencies(
    session: AsyncSession, *, account_id: uuid.UUID, which: ColumnElement[bool] | None = None
) -> None:
    """Recount ``open_dependencies`` of the account's items (``which`` of them, or all),
    writing only the rows whose count changed."""
    target = WorkItem.__table__.alias("target")
    edge = WorkItemDependency
    still_open = (
        select(func.count())
        .select_from(edge)
        .join(target, target.c.id == edge.depends_on_id)
        .where(edge.work_item_id == WorkItem.id, *_holds_back(target))
        .scalar_subquery()
    )
    conditions = [WorkItem.account_id == account_id, WorkItem.open_dependencies != still_open]
    if which is not None:
        conditions.append(which)
    await session.execute(
        update(WorkItem)
        .where(*conditions)
        .values(open_dependencies=still_open)
        .execution_options(synchronize_session=False)
    )


class WorkItemRepository(AccountScopedRepository):
    def __init__(self, session: AsyncSession, *, account_id: uuid.UUID) -> None:
        super().__init__(session, account_id=account_id)
        self.counts = WorkItemCountRepository(session, account_id=account_id)
        # Kept until flush(): items whose edges changed, and items whose status or
        # deletion changed whether they hold their dependants back.
        self._relinked: set[uuid.UUID] = set()
        self._settled: set[uuid.UUID] = set()

    def _live(self) -> ColumnElement[bool]:
        return and_(WorkItem.account_id == self.account_id, WorkItem.deleted_at.is_(None))

    async def get(self, item_id: uuid.UUID, *, include_deleted: bool = False) -> WorkItem | None:
        stmt = select(WorkItem).where(
            WorkItem.id == item_id, WorkItem.account_id == self.account_id
        )
        if not include_deleted:
            stmt = stmt.where(WorkItem.deleted_at.is_(None))
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def read(self, item_id: uuid.UUID, *, include_deleted: bool = False) -> ItemRead | None:
        """The item's row with its dependencies and what holds it back, in one statement:
        a read of one item in one round trip."""
        t, edge = WorkItem.__table__, WorkItemDependency.__table__
        target = t.alias("target")
        pairs = self.dialect.json_rows(
            edge.c.depends_on_id, edge.c.dependency_type, edge.c.created_at
        )
        edges = select(pairs).where(edge.c.work_item_id == t.c.id).scalar_subquery()
        blocking = (
            select(pairs)
            .select_from(edge.join(target, target.c.id == edge.c.depends_on_id))
            .where(edge.c.work_item_id == t.c.id, *_holds_back(target))
            .scalar_subquery()
        )
        stmt = select(t, edges.label("_edges"), blocking.label("_blocking")).where(
            t.c.id == item_id, t.c.account_id == self.account_id
        )
        if not include_deleted:
            stmt = stmt.where(t.c.deleted_at.is_(None))
        row = (await self.session.execute(stmt)).first()
        if row is None:
            return None
        return ItemRead(row, _pairs(row._edges), _pairs(row._blocking))

    async def lock(self, ids: Iterable[uuid.UUID]) -> None:
        """Row-lock these items (deleted ones too) in id order, so that two transactions
        touching the same items always queue instead of deadlocking (no-op on SQLite,
        where a writer already holds the database lock)."""
        wanted = sorted(set(ids))
        if wanted and self.dialect.locks:
            await self.session.execute(
                select(WorkItem.id)
                .where(WorkItem.account_id == self.account_id, WorkItem.id.in_(wanted))
                .order_by(WorkItem.id)
                .with_for_update()
            )

    async def get_many(
        self, ids: Iterable[uuid.UUID], *, include_deleted: bool = False
    ) -> list[WorkItem]:
        found: list[WorkItem] = []
        scope = WorkItem.account_id == self.account_id if include_deleted else self._live()
        for chunk in chunks(list(set(ids))):
            stmt = select(WorkItem).where(scope, WorkItem.id.in_(chunk))
            found += (await self.session.execute(stmt)).scalars()
        return found

    async def resolve(
        self, refs: Sequence[uuid.UUID | str], *, field: str = "id"
    ) -> list[uuid.UUID]:
        """The ids that ``refs`` name: a full id is itself; a short id (8 hex digits) is
        looked up among the account's items, live, deleted and archived, in one query."""
        refs = [item_ref(ref) for ref in refs]
        shorts = sorted({ref for ref in refs if isinstance(ref, str)})
        if not shorts:
            return [ref for ref in refs if isinstance(ref, uuid.UUID)]
        candidates: defaultdict[str, list[uuid.UUID]] = defaultdict(list)
        tables = (WorkItem.__table__, ArchivedWorkItem.__table__)
        stmt = union_all(
            *(
                select(t.c.short_id, t.c.id).where(
                    t.c.account_id == self.account_id, t.c.short_id.in_(shorts)
                )
                for t in tables
            )
        )
        for short_id, item_id in await self.session.execute(stmt):
            candidates[short_id].append(item_id)
        errors = []
        for short in shorts:
            found = sorted(candidates[short])
            if not found:
                raise NotFound("work item", short, field=field)
            if len(found) > 1:
                listed = ", ".join(str(i) for i in found)
                errors.append(FieldError(field, f"{short} names {len(found)} items: {listed}"))
        if errors:
            raise ValidationError(errors)
        return [ref if isinstance(ref, uuid.UUID) else candidates[ref][0] for ref in refs]

    async def blockers(self, ids: Iterable[uuid.UUID]) -> Edges:
        """Of each of these items, the dependencies (either type) not completed yet: what
        holds it back. A deleted dependency holds nothing back."""
        found: Edges = defaultdict(list)
        target = WorkItem.__table__.alias("target")
        edge = WorkItemDependency
        for chunk in chunks(list(set(ids))):
            stmt = (
                select(edge.work_item_id, edge.depends_on_id, edge.dependency_type)
                .join(target, target.c.id == edge.depends_on_id)
                .where(edge.work_item_id.in_(chunk), *_holds_back(target))
                .order_by(edge.work_item_id, edge.created_at)
            )
            for work_item_id, depends_on_id, kind in await self.session.execute(stmt):
                found[work_item_id].append((depends_on_id, kind))
        return found

    def add(self, item: WorkItem) -> None:
        self.session.add(item)
        self.counts.record(count_key(item), +1)

    def record_change(self, item_id: uuid.UUID, before: CountKey, after: CountKey) -> None:
        """``item_id`` went from ``before`` to ``after``: its tallies, and whether it holds
        its dependants back."""
        self.counts.record_change(before, after)
        if _holds(before) != _holds(after):
            self._settled.add(item_id)

    async def flush(self) -> None:
        """Write what is pending: the rows, the tallies, the open dependency counts."""
        await self.counts.apply()
        await self.session.flush()
        relinked, self._relinked = sorted(self._relinked), set()
        settled, self._settled = sorted(self._settled), set()
        edge = WorkItemDependency
        for chunk in chunks(relinked):
            await recount_open_dependencies(
                self.session, account_id=self.account_id, which=WorkItem.id.in_(chunk)
            )
        for chunk in chunks(settled):
            dependants = select(edge.work_item_id).where(edge.depends_on_id.in_(chunk))
            await recount_open_dependencies(
                self.session, account_id=self.account_id, which=WorkItem.id.in_(dependants)
            )

    # --- tree -----------------------------------------------------------------------------

    async def ancestors(self, item: WorkItem) -> list[Any]:
        """Summaries of the ancestors, root first, read from the materialized path."""
        ids = path_ids(item.path)[:-1]
        if not ids:
            return []
        stmt = (
            select(*_node_columns())
            .where(WorkItem.account_id == self.account_id, WorkItem.id.in_(ids))
            .order_by(WorkItem.depth)
        )
        return list(await self.session.execute(stmt))

    async def descendants(
        self, item: WorkItem, *, max_depth: int, include_deleted: bool = False
    ) -> list[Any]:
        """Summaries of up to ``max_depth`` levels below ``item``, in tree order.

        A range scan of the materialized path: one index range, already in tree order.
        (A recursive CTE over parent_id gave the same rows, but SQLite's planner turned it
        into a bloom-filter scan once the table held 100,000 other items.)"""
        stmt = (
            select(*_node_columns())
            .where(*self._below(item, max_depth=max_depth, include_deleted=include_deleted))
            .order_by(WorkItem.path)
        )
        return list(await self.session.execute(stmt))

    def _below(
        self, item: WorkItem, *, max_depth: int, include_deleted: bool
    ) -> list[ColumnElement[bool]]:
        # A live item never sits under a deleted one (deleting needs cascade, restoring
        # needs a live parent), so filtering deleted rows prunes whole deleted branches.
        conditions = [
            WorkItem.account_id == self.account_id,
            subtree(item.path, include_self=False),
            WorkItem.depth <= item.depth + max_depth,
        ]
        if not include_deleted:
            conditions.append(WorkItem.deleted_at.is_(None))
        return conditions

    async def subtree_height(self, item: WorkItem) -> int:
        """How many levels lie below ``item`` (0 for a leaf), deleted items included."""
        stmt = select(func.max(WorkItem.depth)).where(
            WorkItem.account_id == self.account_id, subtree(item.path, include_self=True)
        )
        deepest = (await self.session.execute(stmt)).scalar_one_or_none()
        return (deepest or item.depth) - item.depth

    async def has_live_children(self, item_id: uuid.UUID) -> bool:
        stmt = select(exists().where(self._live(), WorkItem.parent_id == item_id))
        return bool((await self.session.execute(stmt)).scalar())

    async def rehome_subtree(self, *, old_path: str, new_path: str, depth_delta: int) -> None:
        """Rewrite the path and depth of everything below ``old_path`` (not the item itself)."""
        await self.session.execute(
            update(WorkItem)
            .where(WorkItem.account_id == self.account_id, subtree(old_path, include_self=False))
            .values(
                path=literal(new_path) + func.substr(WorkItem.path, len(old_path) + 1),
                depth=WorkItem.depth + depth_delta,
            )
            .execution_options(synchronize_session=False)
        )

    async def mark_subtree_deleted(
        self,
        item: WorkItem,
        *,
        deleted_at: datetime | None,
        only_deleted_at: datetime | None,
        at: datetime,
        actor: Actor,
    ) -> int:
        """Soft-delete (``deleted_at`` set) or restore (``None``) everything below ``item``.

        A restore brings back only what was deleted together with the item
        (``only_deleted_at``), not what had been deleted on its own before."""
        condition: ColumnElement[bool]
        if deleted_at is not None:
            condition = WorkItem.deleted_at.is_(None)
        else:
            condition = WorkItem.deleted_at == only_deleted_at
        changed = await self.session.execute(
            update(WorkItem)
            .where(
                WorkItem.account_id == self.account_id,
                subtree(item.path, include_self=False),
                condition,
            )
            .values(
                deleted_at=deleted_at,
                version=WorkItem.version + 1,
                updated_at=at,
                updated_by=actor.client,
            )
            .returning(WorkItem.id, WorkItem.item_type, WorkItem.status)
            .execution_options(synchronize_session=False)
        )
        rows = list(changed)
        deleting = deleted_at is not None
        for item_id, item_type, status in rows:  # descendants are never roots
            self.record_change(
                item_id,
                CountKey(item_type, status, False, not deleting),
                CountKey(item_type, status, False, deleting),
            )
        return len(rows)

    # --- dependencies ---------------------------------------------------------------------

    async def dependencies_of(self, ids: Sequence[uuid.UUID]) -> Edges:
        if not ids:
            return defaultdict(list)
        return await self._edges(WorkItemDependency.work_item_id.in_(ids))

    async def subtree_dependencies(
        self, item: WorkItem, *, max_depth: int, include_deleted: bool = False
    ) -> Edges:
        """Dependencies of ``item`` and of the descendants ``descendants()`` returns."""
        ids = select(WorkItem.id).where(
            or_(
                WorkItem.id == item.id,
                and_(*self._below(item, max_depth=max_depth, include_deleted=include_deleted)),
            )
        )
        return await self._edges(WorkItemDependency.work_item_id.in_(ids))

    async def _edges(self, condition: ColumnElement[bool]) -> Edges:
        found: Edges = defaultdict(list)
        stmt = (
            select(
                WorkItemDependency.work_item_id,
                WorkItemDependency.depends_on_id,
                WorkItemDependency.dependency_type,
            )
            .where(condition)
            .order_by(WorkItemDependency.work_item_id, WorkItemDependency.created_at)
        )
        for work_item_id, depends_on_id, dependency_type in await self.session.execute(stmt):
            found[work_item_id].append((depends_on_id, dependency_type))
        return found

    async def replace_dependencies(
        self, item_id: uuid.UUID, dependencies: Sequence[tuple[uuid.UUID, str]]
    ) -> None:
        await self.session.execute(
            delete(WorkItemDependency).where(WorkItemDependency.work_item_id == item_id)
        )
        self.session.add_all(
            WorkItemDependency(work_item_id=item_id, depends_on_id=target, dependency_type=kind)
            for target, kind in dependencies
        )
        self._relinked.add(item_id)

    async def add_dependencies(self, edges: Sequence[tuple[uuid.UUID, uuid.UUID, str]]) -> None:
        """New dependency edges (item, depends on, type), in one statement."""
        if edges:
            await self.session.execute(
                insert(WorkItemDependency),
                [
                    {"work_item_id": item, "depends_on_id": target, "dependency_type": kind}
                    for item, target, kind in edges
                ],
            )
            self._relinked.update(item for item, _, _ in edges)

    async def dependency_reaches(self, *, starts: Sequence[uuid.UUID], target: uuid.UUID) -> bool:
        """Whether following dependency edges from ``starts`` arrives at ``target``."""
        reach = (
            select(WorkItemDependency.depends_on_id.label("id"))
            .where(WorkItemDependency.work_item_id.in_(starts))
            .cte("reach", recursive=True)
        )
        edge = WorkItemDependency.__table__.alias("edge")
        reach = reach.union(
            select(edge.c.depends_on_id).join(reach, edge.c.work_item_id == reach.c.id)
        )
        stmt = select(
            or_(
                literal(target in starts),
                exists().where(reach.c.id == target),
            )
        )
        return bool((await self.session.execute(stmt)).scalar())

    # --- listing --------------------------------------------------------------------------

    async def list_page(self, query: WorkItemListQuery, *, client: str) -> ListResult:
        """One page of ``query``; ``client`` is who asks (their claimed items are ready
        for them)."""
        source = self._source(include_archived=query.include_archived and not query.ready)
        c = source.c
        conditions: list[ColumnElement[bool]] = [c.account_id == self.account_id]
        if not query.include_deleted:
            conditions.append(c.deleted_at.is_(None))
        if query.item_type is not None:
            conditions.append(c.item_type == query.item_type.value)
        if query.status is not None:
            conditions.append(c.status == query.status.value)
        if query.parent_id is not None:
            conditions.append(c.parent_id == query.parent_id)
        if query.root_only:
            conditions.append(c.parent_id.is_(None))
        if query.tag is not None:
            conditions.append(self.dialect.json_array_contains(c.tags, query.tag))
        if query.search is not None:
            conditions.append(c.title.ilike(like_contains(query.search), escape="\\"))
        if query.assignee is not None:
            conditions.append(c.assignee == query.assignee)
        if query.ready:
            conditions += self._ready(c, client=client)

        archived_at = c.archived_at if "archived_at" in c else null().label("archived_at")
        columns = [*(c[name] for name in SUMMARY_COLUMNS), archived_at]
        stmt: Select[Any] = select(*columns).select_from(source).where(*conditions)
        keyset = self._keyset(source, query)
        total = await self._total(query, source, conditions)
        if query.cursor is not None:
            stmt = keyset.after(stmt, query.cursor)
        stmt = keyset.order(stmt).offset(query.offset).limit(query.limit + 1)
        stmt = stmt.add_columns(*(col.label(f"_k{i}") for i, col in enumerate(keyset.columns)))
        rows = list(await self.session.execute(stmt))
        has_more = len(rows) > query.limit
        rows = rows[: query.limit]
        next_cursor = None
        if has_more:
            last = rows[-1]._mapping
            next_cursor = keyset.encode([last[f"_k{i}"] for i in range(len(keyset.columns))])
        return ListResult(rows, total, has_more, next_cursor)

    async def _total(
        self, query: WorkItemListQuery, source: FromClause, conditions: list[ColumnElement[bool]]
    ) -> int:
        """From the tallies when the filters are ones they keep; else counted."""
        counted = query.include_archived or query.tag or query.search or query.parent_id
        if not (counted or query.ready or query.assignee):
            return await self.counts.total(
                item_type=query.item_type.value if query.item_type else None,
                status=query.status.value if query.status else None,
                root_only=query.root_only,
                include_deleted=query.include_deleted,
            )
        stmt = select(func.count()).select_from(source).where(*conditions)
        return int((await self.session.execute(stmt)).scalar_one())

    def _source(self, *, include_archived: bool) -> FromClause:
        live = WorkItem.__table__
        if not include_archived:
            return live
        archived = ArchivedWorkItem.__table__
        names = [*SUMMARY_COLUMNS, "account_id"]
        return union_all(
            select(*(live.c[n] for n in names), null().label("archived_at")),
            select(*(archived.c[n] for n in names), archived.c.archived_at),
        ).subquery("items")

    @staticmethod
    def _ready(c: Any, *, client: str) -> list[ColumnElement[bool]]:
        """Ready to work on: active, live, unassigned or ``client``'s, and
        nothing it depends on still open."""
        return [
            c.status == "active",
            c.deleted_at.is_(None),
            c.open_dependencies == 0,
            or_(c.assignee.is_(None), c.assignee == client),
        ]

    @staticmethod
    def _keyset(source: FromClause, query: WorkItemListQuery) -> Keyset:
        c = source.c
        if query.sort is None and query.ready:
            # The picking order, which ix_work_items_ready holds.
            return Keyset(
                name="ready",
                columns=(c.priority_rank, due_or_last(c.due_date), c.created_at, c.id),
                decoders=(as_int, as_date, as_datetime, as_uuid),
                descending=query.order == "desc",
            )
        sort = query.sort or WorkItemSort.created
        natural_desc = sort in (WorkItemSort.created, WorkItemSort.updated)
        descending = natural_desc if query.order is None else query.order == "desc"
        key: tuple[ColumnElement[Any], Any]
        if sort is WorkItemSort.created:
            key = (c.created_at, as_datetime)
        elif sort is WorkItemSort.updated:
            key = (c.updated_at, as_datetime)
        elif sort is WorkItemSort.title:
            key = (func.lower(c.title), as_str)
        elif sort is WorkItemSort.due_date:
            key = (due_or_last(c.due_date), as_date)
        else:
            # "desc" means most urgent first, which is the lowest rank.
            key = (c.priority_rank, as_int)
            descending = not descending if query.order is not None else False
        return Keyset(
            name=sort.value,
            columns=(key[0], c.id),
            decoders=(key[1], as_uuid),
            descending=descending,
        )


class ItemRead(NamedTuple):
    """What ``read`` finds: the item's row (its columns, by name), its dependencies and
    the ones of them that hold it back, each in the order they were made."""

    row: Row[Any]
    edges: list[tuple[uuid.UUID, str]]
    blocking: list[tuple[uuid.UUID, str]]


def _pairs(found: str | list[Any] | None) -> list[tuple[uuid.UUID, str]]:
    """``json_rows`` of (depends_on_id, dependency_type, created_at), oldest first."""
    rows = json.loads(found) if isinstance(found, str) else found or []
    return [(uuid.UUID(str(target)), kind) for target, kind, _ in sorted(rows, key=lambda r: r[2])]


def _holds_back(target: Any) -> list[ColumnElement[bool]]:
    """A dependency ``target`` that keeps its dependants from being ready."""
    return [target.c.status != "completed", target.c.deleted_at.is_(None)]


def _holds(key: CountKey) -> bool:
    """_holds_back, of an item's tally key."""
    return key.status != "completed" and not key.is_deleted
