"""Work item storage: the items and their tree (a materialized path per item).

The list is ``work_item_listing``, the dependency edges ``work_item_dependency``, and what
a write owes the tallies and counts derived from the rows ``work_item_upkeep``."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from workledger.db.dialect import Dialect
from workledger.errors import FieldError, NotFound, ValidationError
from workledger.models import ArchivedWorkItem, WorkItem
from workledger.repositories import history
from workledger.repositories.base import LedgerScopedRepository, chunks
from workledger.repositories.readiness import Readied
from workledger.repositories.work_item_count import CountKey, slot_of
from workledger.repositories.work_item_dependency import (
    Edge,
    WorkItemDependencyRepository,
)
from workledger.repositories.work_item_listing import SUMMARY_COLUMNS
from workledger.repositories.work_item_new import NewWorkItem
from workledger.repositories.work_item_statements import (
    WORK_ITEMS,
    create_statement,
    create_values,
    edge_pairs,
    edit_statement,
    get_statement,
    read_statement,
)
from workledger.repositories.work_item_upkeep import WorkItemUpkeep
from workledger.schemas.common import Actor
from workledger.schemas.spend import SpentOn
from workledger.schemas.work_item import item_ref

# What a tree answer shows of each ancestor and descendant (sort keys left out).
NODE_COLUMNS = tuple(c for c in SUMMARY_COLUMNS if c not in {"priority_rank", "created_at"})


class NodeRow(Readied, Protocol):
    """An ancestor or a descendant in a tree answer: the ``NODE_COLUMNS``."""

    def _asdict(self) -> dict[str, object]: ...


class ItemRow(Readied, SpentOn, Protocol):
    """A work item's row, by attribute: what readiness reads, what a claim does, and
    what was spent on it."""

    @property
    def ledger_id(self) -> uuid.UUID: ...
    @property
    def version(self) -> int: ...


class ItemRead(NamedTuple):
    """What ``read`` finds: the item's row (by attribute, and its columns by name), its
    dependencies and the ones of them that hold it back, each in the order made."""

    row: ItemRow
    columns: RowMapping | Mapping[str, Any]
    edges: list[Edge]
    blocking: list[Edge]


def path_segment(item_id: uuid.UUID) -> str:
    return item_id.hex + "/"


def path_ids(path: str) -> list[uuid.UUID]:
    return [uuid.UUID(hex=part) for part in path.split("/") if part]


def subtree(path: str, *, include_self: bool) -> ColumnElement[bool]:
    """Items whose path starts with ``path``: one index range, since "/" sorts before "0"."""
    lower = WorkItem.path >= path if include_self else WorkItem.path > path
    return and_(lower, WorkItem.path < path[:-1] + "0")


class WorkItemRepository(LedgerScopedRepository):
    def __init__(self, session: AsyncSession, *, ledger_id: uuid.UUID) -> None:
        super().__init__(session, ledger_id=ledger_id)
        # What the writes through this repository owe the derived columns: the service
        # applies it after flushing (WorkItemUpkeep.apply).
        self.upkeep = WorkItemUpkeep(session, ledger_id=ledger_id)
        self.dependencies = WorkItemDependencyRepository(
            session, ledger_id=ledger_id, upkeep=self.upkeep
        )

    def _live(self) -> ColumnElement[bool]:
        return and_(WorkItem.ledger_id == self.ledger_id, WorkItem.deleted_at.is_(None))

    async def get(
        self, item_id: uuid.UUID, *, include_deleted: bool = False, lock: bool = False
    ) -> WorkItem | None:
        """The item; ``lock``: row-locked too, in the same statement (as ``lock`` would)."""
        stmt = get_statement(
            self.dialect, include_deleted=include_deleted, lock=lock, with_edges=False
        )
        found: WorkItem | None = (await self.session.execute(stmt, self._one(item_id))).scalar()
        return found

    async def get_with_edges(
        self, item_id: uuid.UUID, *, include_deleted: bool = False, lock: bool = False
    ) -> tuple[WorkItem, list[Edge]] | None:
        """``get``, and the item's dependencies (oldest first) read in the same statement."""
        stmt = get_statement(
            self.dialect, include_deleted=include_deleted, lock=lock, with_edges=True
        )
        row = (await self.session.execute(stmt, self._one(item_id))).first()
        if row is None:
            return None
        item: WorkItem = row[0]
        return item, edge_pairs(row._edges)

    def _one(self, item_id: uuid.UUID) -> dict[str, uuid.UUID]:
        return {"item_id": item_id, "ledger_id": self.ledger_id}

    async def read(self, item_id: uuid.UUID, *, include_deleted: bool = False) -> ItemRead | None:
        """The item's row with its dependencies and what holds it back, in one statement:
        a read of one item in one round trip."""
        stmt = read_statement(self.dialect, include_deleted=include_deleted)
        row = (await self.session.execute(stmt, self._one(item_id))).first()
        if row is None:
            return None
        return ItemRead(row, row._mapping, edge_pairs(row._edges), edge_pairs(row._blocking))

    async def lock(self, ids: Iterable[uuid.UUID]) -> None:
        """Row-lock these items (deleted ones too) in id order, so that two transactions
        touching the same items always queue instead of deadlocking (no-op on SQLite,
        where a writer already holds the database lock)."""
        wanted = sorted(set(ids))
        if wanted and self.dialect.locks:
            await self.session.execute(
                select(WorkItem.id)
                .where(WorkItem.ledger_id == self.ledger_id, WorkItem.id.in_(wanted))
                .order_by(WorkItem.id)
                .with_for_update()
            )

    async def get_many(
        self, ids: Iterable[uuid.UUID], *, include_deleted: bool = False
    ) -> list[WorkItem]:
        wanted = list(set(ids))
        if not wanted:  # a create that names no parent nor dependency: no statement built
            return []
        found: list[WorkItem] = []
        scope = WorkItem.ledger_id == self.ledger_id if include_deleted else self._live()
        for chunk in chunks(wanted):
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
                    t.c.ledger_id == self.ledger_id, t.c.short_id.in_(shorts)
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

    async def insert_new(self, items: Sequence[NewWorkItem]) -> None:
        """New items in one statement, with a ``create`` event and a tally each."""
        if not items:
            return
        rows = [item.row() for item in items]
        # The table's insert, an executemany: the ORM's bulk insert takes each row apart.
        await self.session.execute(insert(WORK_ITEMS), rows)
        history.created(self.session, WorkItem, rows)
        for item in items:
            self.upkeep.added(item)

    async def insert_one(self, item: NewWorkItem) -> None:
        """A new item that links nothing, with its tally and its ``create`` event: one
        statement where the database numbers events itself (PostgreSQL, here inside a
        larger transaction; ``insert_alone`` runs it alone); elsewhere, as ``insert_new``."""
        if not history.inline(self.session):
            await self.insert_new([item])
            await self.upkeep.apply()
            return
        await insert_alone(await self.session.connection(), item, dialect=self.dialect)

    async def edit_in_place(self, item: WorkItem) -> bool:
        """Write the change made to ``item`` (read, then detached from the session) with
        its event, in one statement that holds only while the row is still at the version
        read; False, with nothing written, when another change came in between. Only where
        ``history.inline``."""
        columns, event = history.edited(item, version=item.version + 1)
        values = {f"item_{k}": v for k, v in columns.items()}
        values.update({f"event_{k}": v for k, v in event.row().items()})
        values.update(edited_id=item.id, edited_ledger_id=self.ledger_id, read_version=item.version)
        stmt = edit_statement(self.dialect, frozenset(columns))
        if (await self.session.execute(stmt, values)).first() is None:
            return False
        item.version = event.version
        return True

    async def flush(self) -> None:
        """Write the pending rows (the upkeep they owe is a step of its own)."""
        await self.session.flush()

    # --- tree -----------------------------------------------------------------------------

    async def ancestors(self, item: WorkItem) -> list[NodeRow]:
        """The ancestors, root first, read from the materialized path."""
        ids = path_ids(item.path)[:-1]
        if not ids:
            return []
        stmt = (
            select(*_node_columns())
            .where(WorkItem.ledger_id == self.ledger_id, WorkItem.id.in_(ids))
            .order_by(WorkItem.depth)
        )
        return list(await self.session.execute(stmt))

    async def descendants(
        self, item: WorkItem, *, max_depth: int, include_deleted: bool = False
    ) -> list[NodeRow]:
        """Up to ``max_depth`` levels below ``item``, in tree order.

        A range scan of the materialized path: one index range, already in tree order.
        (A recursive CTE over parent_id gave the same rows, but SQLite's planner turned it
        into a bloom-filter scan once the table held 100,000 other items.)"""
        stmt = (
            select(*_node_columns())
            .where(*self._below(item, max_depth=max_depth, include_deleted=include_deleted))
            .order_by(WorkItem.path)
        )
        return list(await self.session.execute(stmt))

    def subtree_ids(
        self, item: WorkItem, *, max_depth: int, include_deleted: bool = False
    ) -> Select[uuid.UUID]:
        """The ids of ``item`` and of the descendants ``descendants()`` returns."""
        below = self._below(item, max_depth=max_depth, include_deleted=include_deleted)
        return select(WorkItem.id).where(or_(WorkItem.id == item.id, and_(*below)))

    def _below(
        self, item: WorkItem, *, max_depth: int, include_deleted: bool
    ) -> list[ColumnElement[bool]]:
        # A live item never sits under a deleted one (deleting needs cascade, restoring
        # needs a live parent), so filtering deleted rows prunes whole deleted branches.
        conditions = [
            WorkItem.ledger_id == self.ledger_id,
            subtree(item.path, include_self=False),
            WorkItem.depth <= item.depth + max_depth,
        ]
        if not include_deleted:
            conditions.append(WorkItem.deleted_at.is_(None))
        return conditions

    async def subtree_height(self, item: WorkItem) -> int:
        """How many levels lie below ``item`` (0 for a leaf), deleted items included."""
        stmt = select(func.max(WorkItem.depth)).where(
            WorkItem.ledger_id == self.ledger_id, subtree(item.path, include_self=True)
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
            .where(WorkItem.ledger_id == self.ledger_id, subtree(old_path, include_self=False))
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
                WorkItem.ledger_id == self.ledger_id,
                subtree(item.path, include_self=False),
                condition,
            )
            .values(
                deleted_at=deleted_at,
                version=WorkItem.version + 1,
                updated_at=at,
                updated_by=actor.client,
                updated_by_account=actor.account,
            )
            .returning(WorkItem.id, WorkItem.item_type, WorkItem.status, WorkItem.version)
            .execution_options(synchronize_session=False)
        )
        rows = list(changed)
        deleting = deleted_at is not None
        for item_id, item_type, status, version in rows:  # descendants are never roots
            history.record(
                self.session,
                ledger_id=self.ledger_id,
                record_type="work_item",
                record_id=item_id,
                version=version,
                action="delete" if deleting else "restore",
                changes={"deleted_at": (only_deleted_at, deleted_at)},
                client=actor.client,
                account=actor.account,
                at=at,
            )
            self.upkeep.changed(
                item_id,
                CountKey(item_type, status, False, not deleting),
                CountKey(item_type, status, False, deleting),
            )
        return len(rows)


def _node_columns() -> list[ColumnElement[object]]:
    return [WorkItem.__table__.c[name] for name in NODE_COLUMNS]


async def insert_alone(connection: AsyncConnection, item: NewWorkItem, *, dialect: Dialect) -> None:
    """``insert_one``'s statement on ``connection``: alone, it commits as it runs
    (``Database.statement``); on a session's connection, with the session."""
    values = create_values(item, slot=slot_of(connection.info))
    await connection.execute(create_statement(dialect), values)
