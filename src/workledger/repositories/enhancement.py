from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import ColumnElement, delete, func, select

from workledger.models import Enhancement, EnhancementDependency
from workledger.repositories import history
from workledger.repositories.base import LedgerScopedRepository, reaches

PLANNING_ORDER = (
    Enhancement.priority_rank,
    Enhancement.target_quarter.is_(None),
    Enhancement.target_quarter,
    Enhancement.created_at,
    Enhancement.id,
)


class EnhancementRepository(LedgerScopedRepository):
    async def get(self, enhancement_id: uuid.UUID, *, lock: bool = False) -> Enhancement | None:
        stmt = select(Enhancement).where(
            Enhancement.id == enhancement_id, Enhancement.ledger_id == self.ledger_id
        )
        if lock:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def existing_ids(self, ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        if not ids:
            return set()
        stmt = select(Enhancement.id).where(
            Enhancement.ledger_id == self.ledger_id, Enhancement.id.in_(ids)
        )
        return set((await self.session.execute(stmt)).scalars())

    async def list_page(
        self,
        *,
        priority: str | None,
        status: str | None,
        target_quarter: str | None,
        limit: int,
        offset: int,
    ) -> tuple[list[Enhancement], int]:
        conditions: list[ColumnElement[bool]] = [Enhancement.ledger_id == self.ledger_id]
        if priority is not None:
            conditions.append(Enhancement.priority == priority)
        if status is not None:
            conditions.append(Enhancement.status == status)
        if target_quarter is not None:
            conditions.append(Enhancement.target_quarter == target_quarter)
        total = await self.session.scalar(select(func.count(Enhancement.id)).where(*conditions))
        stmt = (
            select(Enhancement)
            .where(*conditions)
            .order_by(*PLANNING_ORDER)
            .offset(offset)
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars()), int(total or 0)

    async def pending(self) -> list[Enhancement]:
        """Everything not completed: most urgent first, then by quarter."""
        stmt = (
            select(Enhancement)
            .where(Enhancement.ledger_id == self.ledger_id, Enhancement.status != "completed")
            .order_by(*PLANNING_ORDER)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def depends_on(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
        found: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        if not ids:
            return found
        stmt = (
            select(EnhancementDependency.enhancement_id, EnhancementDependency.depends_on_id)
            .where(EnhancementDependency.enhancement_id.in_(ids))
            .order_by(EnhancementDependency.depends_on_id)
        )
        for enhancement_id, depends_on_id in await self.session.execute(stmt):
            found[enhancement_id].append(depends_on_id)
        return found

    async def replace_depends_on(
        self, enhancement_id: uuid.UUID, targets: Sequence[uuid.UUID]
    ) -> None:
        was = (await self.depends_on([enhancement_id]))[enhancement_id]
        history.note(self.session, Enhancement, enhancement_id, depends_on=(was, sorted(targets)))
        await self.session.execute(
            delete(EnhancementDependency).where(
                EnhancementDependency.enhancement_id == enhancement_id
            )
        )
        self.session.add_all(
            EnhancementDependency(enhancement_id=enhancement_id, depends_on_id=t) for t in targets
        )

    async def reaches(self, *, starts: Sequence[uuid.UUID], target: uuid.UUID) -> bool:
        """Whether following ``depends_on`` edges from ``starts`` arrives at ``target``."""
        return await reaches(
            self.session,
            EnhancementDependency.__table__,
            source="enhancement_id",
            target_column="depends_on_id",
            starts=starts,
            target=target,
        )

    def add(self, enhancement: Enhancement) -> None:
        self.session.add(enhancement)

    async def remove(self, enhancement: Enhancement) -> None:
        await self.session.delete(enhancement)

    async def flush(self) -> None:
        await self.session.flush()
