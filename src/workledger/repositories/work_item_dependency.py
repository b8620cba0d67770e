"""Dependency edges between work items: reading and replacing them, following them for
cycles, and the ones that hold an item back."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, Select, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from workledger.models import WorkItem, WorkItemDependency
from workledger.repositories import history
from workledger.repositories.base import LedgerScopedRepository, chunks, reaches
from workledger.repositories.readiness import holds_back_sql
from workledger.repositories.work_item_upkeep import WorkItemUpkeep

# One outgoing edge of an item: (depends_on_id, dependency_type).
Edge = tuple[uuid.UUID, str]
# Each item's outgoing edges, oldest first.
Edges = dict[uuid.UUID, list[Edge]]


def shown(edges: Sequence[Edge]) -> list[dict[str, str]]:
    """Edges as answers and events show them."""
    return [{"depends_on_id": str(target), "dependency_type": kind} for target, kind in edges]


class WorkItemDependencyRepository(LedgerScopedRepository):
    def __init__(
        self, session: AsyncSession, *, ledger_id: uuid.UUID, upkeep: WorkItemUpkeep
    ) -> None:
        super().__init__(session, ledger_id=ledger_id)
        self.upkeep = upkeep

    async def of(self, ids: Sequence[uuid.UUID] | Select[uuid.UUID]) -> Edges:
        """The edges of these items (given, or selected), each item's oldest first."""
        if isinstance(ids, Sequence) and not ids:
            return defaultdict(list)
        return await self._edges(WorkItemDependency.work_item_id.in_(ids))

    async def _edges(self, condition: ColumnElement[bool]) -> Edges:
        found: Edges = defaultdict(list)
        edge = WorkItemDependency
        stmt = (
            select(edge.work_item_id, edge.depends_on_id, edge.dependency_type)
            .where(condition)
            .order_by(edge.work_item_id, edge.created_at)
        )
        for work_item_id, depends_on_id, dependency_type in await self.session.execute(stmt):
            found[work_item_id].append((depends_on_id, dependency_type))
        return found

    async def blockers(self, ids: Iterable[uuid.UUID]) -> Edges:
        """Of each of these items, the dependencies that hold it back (``readiness``)."""
        found: Edges = defaultdict(list)
        target = WorkItem.__table__.alias("target")
        edge = WorkItemDependency
        for chunk in chunks(list(set(ids))):
            stmt = (
                select(edge.work_item_id, edge.depends_on_id, edge.dependency_type)
                .join(target, target.c.id == edge.depends_on_id)
                .where(edge.work_item_id.in_(chunk), *holds_back_sql(target))
                .order_by(edge.work_item_id, edge.created_at)
            )
            for work_item_id, depends_on_id, kind in await self.session.execute(stmt):
                found[work_item_id].append((depends_on_id, kind))
        return found

    async def replace(self, item_id: uuid.UUID, edges: Sequence[Edge]) -> None:
        was = (await self.of([item_id]))[item_id]
        history.note(self.session, WorkItem, item_id, dependencies=(shown(was), shown(edges)))
        await self.session.execute(
            delete(WorkItemDependency).where(WorkItemDependency.work_item_id == item_id)
        )
        self.session.add_all(
            WorkItemDependency(work_item_id=item_id, depends_on_id=target, dependency_type=kind)
            for target, kind in edges
        )
        self.upkeep.relinked([item_id])

    async def add(self, edges: Sequence[tuple[uuid.UUID, uuid.UUID, str]]) -> None:
        """New dependency edges (item, depends on, type), in one statement."""
        if edges:
            await self.session.execute(
                insert(WorkItemDependency),
                [
                    {"work_item_id": item, "depends_on_id": target, "dependency_type": kind}
                    for item, target, kind in edges
                ],
            )
            self.upkeep.relinked(item for item, _, _ in edges)
            made: Edges = defaultdict(list)
            for item, target, kind in edges:
                made[item].append((target, kind))
            for item, its in made.items():
                history.note(self.session, WorkItem, item, dependencies=(None, shown(its)))

    async def reaches(self, *, starts: Sequence[uuid.UUID], target: uuid.UUID) -> bool:
        """Whether following dependency edges from ``starts`` arrives at ``target``."""
        return await reaches(
            self.session,
            WorkItemDependency.__table__,
            source="work_item_id",
            target_column="depends_on_id",
            starts=starts,
            target=target,
        )
