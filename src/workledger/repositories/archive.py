"""Moving whole subtrees of closed work items to the archive table, and back."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Row,
    Select,
    Table,
    and_,
    delete,
    exists,
    func,
    insert,
    not_,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from workledger.db.types import utcnow
from workledger.models import ArchivedWorkItem, WorkItem, WorkItemDependency
from workledger.repositories import history
from workledger.repositories.base import LedgerScopedRepository
from workledger.repositories.readiness import recount_open_dependencies
from workledger.repositories.work_item import path_ids
from workledger.repositories.work_item_count import WorkItemCountRepository, count_key
from workledger.schemas.common import Actor
from workledger.schemas.work_item import MAX_DEPTH

LIVE = cast(Table, WorkItem.__table__)
ARCHIVE = cast(Table, ArchivedWorkItem.__table__)
# Who archives, in the history: the daily job or `workledger archive`, for no one person.
ARCHIVER = "archiver"
# The columns the two tables share: what moves, either way.
SHARED_COLUMNS = tuple(c.key for c in LIVE.c if c.key in ARCHIVE.c)


@dataclass(frozen=True)
class Subtree:
    ledger_id: uuid.UUID
    root_id: uuid.UUID
    path: str


def _in_subtree(
    column: ColumnElement[str] | InstrumentedAttribute[str], path: str
) -> ColumnElement[bool]:
    """``column`` starts with ``path`` ("/" sorts before "0": one index range)."""
    return and_(column >= path, column < path[:-1] + "0")


def archivable(
    cutoff: datetime, ledger_id: uuid.UUID | None
) -> Select[tuple[uuid.UUID, uuid.UUID, str, uuid.UUID | None]]:
    """Items whose whole subtree (themselves included) is closed (completed or deleted)
    and untouched since before ``cutoff``."""
    item, below = LIVE.alias("item"), LIVE.alias("below")

    def closed_and_old(t: FromClause) -> ColumnElement[bool]:
        return and_(
            or_(t.c.status == "completed", t.c.deleted_at.is_not(None)), t.c.updated_at < cutoff
        )

    upper = func.substr(item.c.path, 1, func.length(item.c.path) - 1).concat("0")
    still_open = exists().where(
        below.c.ledger_id == item.c.ledger_id,
        below.c.path > item.c.path,
        below.c.path < upper,
        not_(closed_and_old(below)),
    )
    stmt = select(item.c.id, item.c.ledger_id, item.c.path, item.c.parent_id).where(
        closed_and_old(item), not_(still_open)
    )
    if ledger_id is not None:
        stmt = stmt.where(item.c.ledger_id == ledger_id)
    return stmt


async def archivable_subtrees(
    session: AsyncSession, *, cutoff: datetime, ledger_id: uuid.UUID | None
) -> list[Subtree]:
    """The largest archivable subtrees, leaving out any that an item staying behind
    depends on (so that no live dependency ever points into the archive)."""
    candidates = archivable(cutoff, ledger_id).subquery()
    rows = list(await session.execute(select(candidates)))
    ids = {row.id for row in rows}
    root_of: dict[uuid.UUID, uuid.UUID] = {}
    roots: dict[uuid.UUID, Row[tuple[uuid.UUID, uuid.UUID, str, uuid.UUID | None]]] = {}
    for row in rows:
        root = next(a for a in path_ids(row.path) if a in ids)
        root_of[row.id] = root
        if root == row.id:
            roots[row.id] = row
    # Dependency edges ending in a candidate: (from, to).
    edges = list(
        await session.execute(
            select(WorkItemDependency.work_item_id, WorkItemDependency.depends_on_id).where(
                WorkItemDependency.depends_on_id.in_(select(candidates.c.id))
            )
        )
    )
    kept = set(roots)
    changed = True
    while changed:  # dropping a subtree may strand edges pointing out of it: repeat
        changed = False
        for source, target in edges:
            target_root = root_of[target]
            source_root = root_of.get(source)
            if target_root in kept and (source_root is None or source_root not in kept):
                kept.discard(target_root)
                changed = True
    return sorted(
        (Subtree(roots[r].ledger_id, r, roots[r].path) for r in kept),
        key=lambda s: (str(s.ledger_id), s.path),
    )


class ArchiveRepository(LedgerScopedRepository):
    def __init__(self, session: AsyncSession, *, ledger_id: uuid.UUID) -> None:
        super().__init__(session, ledger_id=ledger_id)
        self.counts = WorkItemCountRepository(session, ledger_id=ledger_id)

    async def get(self, item_id: uuid.UUID) -> ArchivedWorkItem | None:
        stmt = select(ArchivedWorkItem).where(
            ArchivedWorkItem.id == item_id, ArchivedWorkItem.ledger_id == self.ledger_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def archive(self, root_paths: Sequence[str], *, at: datetime) -> int:
        """Move the subtrees at ``root_paths``, with each item's own dependency edges,
        from the live table to the archive; answers how many items moved.

        All edges are read before any row moves: an edge between two of the subtrees
        is kept, in the archived copy of the item it starts from."""
        moving = [self._subtree_ids(path) for path in root_paths]
        rows = [
            row
            for ids in moving
            for row in await self.session.execute(select(LIVE).where(LIVE.c.id.in_(ids)))
        ]
        edges: dict[uuid.UUID, list[dict[str, str]]] = defaultdict(list)
        for ids in moving:
            edges.update(await self._edges(ids))
        if rows:
            await self.session.execute(
                insert(ARCHIVE),
                [
                    {
                        **{key: row._mapping[key] for key in SHARED_COLUMNS},
                        "archived_at": at,
                        "dependencies": edges[row.id],
                    }
                    for row in rows
                ],
            )
        for ids in moving:
            await self.session.execute(
                delete(WorkItemDependency).where(
                    or_(
                        WorkItemDependency.work_item_id.in_(ids),
                        WorkItemDependency.depends_on_id.in_(ids),
                    )
                )
            )
        for path in root_paths:
            for depth in range(MAX_DEPTH, -1, -1):  # children before their parents
                await self.session.execute(
                    delete(WorkItem).where(
                        WorkItem.ledger_id == self.ledger_id,
                        _in_subtree(WorkItem.path, path),
                        WorkItem.depth == depth,
                    )
                )
        for row in rows:
            self.counts.record(count_key(row), -1)
            self._happened(row, "archive", archived_at=(None, at), at=at)
        await self.counts.apply()
        return len(rows)

    def _happened(
        self,
        row: Row[Any],
        action: str,
        *,
        at: datetime,
        by: Actor | None = None,
        **changes: tuple[Any, Any],
    ) -> None:
        """The event of an item moved by a bulk statement (its version stays); ``by``:
        who, else the archiver."""
        history.record(
            self.session,
            ledger_id=self.ledger_id,
            record_type="work_item",
            record_id=row.id,
            version=row.version,
            action=action,
            changes=changes,
            client=by.client if by else ARCHIVER,
            account=by.account if by else None,
            at=at,
        )

    def _subtree_ids(self, path: str) -> Select[tuple[uuid.UUID]]:
        return select(LIVE.c.id).where(
            LIVE.c.ledger_id == self.ledger_id, _in_subtree(LIVE.c.path, path)
        )

    async def restore(
        self, root: ArchivedWorkItem, *, parent_path: str, parent_depth: int, actor: Actor
    ) -> list[uuid.UUID]:
        """Move ``root`` and what was archived below it back into the live table, under
        a parent now at ``parent_path`` (empty for a root) and ``parent_depth`` (-1)."""
        rows = list(
            await self.session.execute(
                select(ARCHIVE)
                .where(
                    ARCHIVE.c.ledger_id == self.ledger_id, _in_subtree(ARCHIVE.c.path, root.path)
                )
                .order_by(ARCHIVE.c.depth)
            )
        )
        old_prefix = root.path[: -len(root.id.hex) - 1]
        depth_delta = parent_depth + 1 - root.depth
        moved = [
            {
                **{key: row._mapping[key] for key in SHARED_COLUMNS},
                "path": parent_path + row.path[len(old_prefix) :],
                "depth": row.depth + depth_delta,
            }
            for row in rows
        ]
        await self.session.execute(insert(LIVE), moved)
        ids = [row.id for row in rows]
        await self.session.execute(
            delete(ArchivedWorkItem).where(
                ArchivedWorkItem.ledger_id == self.ledger_id,
                _in_subtree(ArchivedWorkItem.path, root.path),
            )
        )
        live = await self._live_ids(
            {edge["depends_on_id"] for row in rows for edge in row.dependencies}
        )
        links = [
            {
                "work_item_id": row.id,
                "depends_on_id": uuid.UUID(edge["depends_on_id"]),
                "dependency_type": edge["dependency_type"],
            }
            for row in rows
            for edge in row.dependencies
            if uuid.UUID(edge["depends_on_id"]) in live
        ]
        if links:
            await self.session.execute(insert(WorkItemDependency), links)
            await recount_open_dependencies(
                self.session, ledger_id=self.ledger_id, which=LIVE.c.id.in_(ids)
            )
        now = utcnow()
        for row in rows:
            self.counts.record(count_key(row), +1)
            if row.id != root.id:  # the root is changed by the caller, whose event it has
                self._happened(
                    row, "unarchive", at=now, by=actor, archived_at=(row.archived_at, None)
                )
        await self.counts.apply()
        return ids

    async def deepest_level(self, root: ArchivedWorkItem) -> int:
        stmt = select(func.max(ARCHIVE.c.depth)).where(
            ARCHIVE.c.ledger_id == self.ledger_id, _in_subtree(ARCHIVE.c.path, root.path)
        )
        return int((await self.session.execute(stmt)).scalar_one())

    async def _edges(self, ids: Select[tuple[uuid.UUID]]) -> dict[uuid.UUID, list[dict[str, str]]]:
        found: dict[uuid.UUID, list[dict[str, str]]] = defaultdict(list)
        stmt = (
            select(
                WorkItemDependency.work_item_id,
                WorkItemDependency.depends_on_id,
                WorkItemDependency.dependency_type,
            )
            .where(WorkItemDependency.work_item_id.in_(ids))
            .order_by(WorkItemDependency.work_item_id, WorkItemDependency.created_at)
        )
        for item_id, target, kind in await self.session.execute(stmt):
            found[item_id].append({"depends_on_id": str(target), "dependency_type": kind})
        return found

    async def _live_ids(self, ids: Iterable[str]) -> set[uuid.UUID]:
        wanted = [uuid.UUID(i) for i in ids]
        if not wanted:
            return set()
        stmt = select(WorkItem.id).where(
            WorkItem.ledger_id == self.ledger_id, WorkItem.id.in_(wanted)
        )
        return set((await self.session.execute(stmt)).scalars())
