from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import TypeVar

from sqlalchemy import FromClause, exists, literal, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from workledger.db.dialect import Dialect

T = TypeVar("T")

# What a constraint refusing a row raises, at a flush or at commit (a unique index, for
# the services that catch it by this name to say which record already exists).
ConstraintViolation = IntegrityError


class LedgerScopedRepository:
    """Built for one account; another account's rows are invisible through it."""

    def __init__(self, session: AsyncSession, *, ledger_id: uuid.UUID) -> None:
        self.session = session
        self.ledger_id = ledger_id
        self.dialect: Dialect = session.info["dialect"]  # set by the Database


# Values bound into one ``IN (…)``: well below SQLite's and asyncpg's parameter limits.
IN_CHUNK = 1000


def chunks(values: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """``values`` in slices of at most ``size``, for ``IN`` lists of any length."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


async def reaches(
    session: AsyncSession,
    edges: FromClause,
    *,
    source: str,
    target_column: str,
    starts: Sequence[uuid.UUID],
    target: uuid.UUID,
) -> bool:
    """Whether following the ``edges`` table's rows (``source`` depends on
    ``target_column``) from ``starts`` arrives at ``target``: what makes a new dependency
    close a cycle. One recursive query."""
    reach = (
        select(edges.c[target_column].label("id"))
        .where(edges.c[source].in_(starts))
        .cte("reach", recursive=True)
    )
    edge = edges.alias("edge")
    reach = reach.union(select(edge.c[target_column]).join(reach, edge.c[source] == reach.c.id))
    stmt = select(or_(literal(target in starts), exists().where(reach.c.id == target)))
    return bool((await session.execute(stmt)).scalar())
