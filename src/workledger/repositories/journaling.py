"""The two reads of replay and the mirror's catch-up (fallback/journaling.py)."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import FromClause, select
from sqlalchemy.ext.asyncio import AsyncSession

from workledger.models import AppliedOperation


async def applied_among(session: AsyncSession, ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
    """Which of the journal entries ``ids`` have been applied here, locked until commit."""
    found = await session.scalars(
        select(AppliedOperation.id).where(AppliedOperation.id.in_(ids)).with_for_update()
    )
    return set(found)


async def versions_of(
    session: AsyncSession, table: FromClause, ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """The version of each row of ``table`` (one with ``id`` and ``version`` columns) among
    ``ids`` that exists."""
    found = select(table.c.id, table.c.version).where(table.c.id.in_(ids))
    return {row.id: row.version for row in await session.execute(found)}
