"""Taking the next items: the best ready ones nobody holds, found and locked in one
statement, and claimed in one more for any number of takers."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, select, update

from workledger.models import WorkItem
from workledger.repositories import history
from workledger.repositories.base import LedgerScopedRepository
from workledger.repositories.readiness import free_sql, workable_sql
from workledger.repositories.work_item import ItemRead
from workledger.repositories.work_item_listing import ready_order
from workledger.repositories.work_item_statements import edge_pairs, edges_json
from workledger.schemas.common import Actor

# What a claim sets, and shows in its event.
CLAIM_FIELDS = ("assignee", "assignee_account", "claimed_until")


@dataclass(frozen=True)
class Claim:
    """``item`` taken by ``actor`` at ``at``: the columns it sets (``CLAIM_FIELDS``)."""

    item: ItemRead
    actor: Actor
    at: datetime
    values: Mapping[str, Any]

    @property
    def version(self) -> int:
        return int(self.item.columns["version"]) + 1

    def columns(self) -> dict[str, Any]:
        """The item's columns once claimed."""
        return {
            **self.item.columns,
            **self.values,
            "version": self.version,
            "updated_at": self.at,
            "updated_by": self.actor.client,
            "updated_by_account": self.actor.account,
        }


class WorkItemClaims(LedgerScopedRepository):
    async def next_free(
        self,
        *,
        item_type: str | None,
        tag: str | None,
        parent_id: uuid.UUID | None,
        now: datetime,
        lock: bool,
        limit: int = 1,
    ) -> list[ItemRead]:
        """The first ``limit`` items of the ready order that nobody holds, in that order,
        with their dependencies; with ``lock``, locked for this transaction. On
        PostgreSQL rows another taker has locked are skipped, so that takers at once get
        different items; on SQLite the write lock already takes them in turn. They are
        ready: nothing holds them back."""
        items = WorkItem.__table__
        conditions = [
            items.c.ledger_id == self.ledger_id,
            *workable_sql(items),
            free_sql(items, now=now),
        ]
        if item_type is not None:
            conditions.append(items.c.item_type == item_type)
        if tag is not None:
            conditions.append(self.dialect.json_array_contains(items.c.tags, tag))
        if parent_id is not None:
            conditions.append(items.c.parent_id == parent_id)
        stmt = (
            select(items, edges_json(self.dialect, items).label("_edges"))
            .where(*conditions)
            .order_by(*ready_order(items))
            .limit(limit)
        )
        if lock and self.dialect.locks:
            stmt = stmt.with_for_update(skip_locked=True, of=items)
        rows = await self.session.execute(stmt)
        return [ItemRead(row, row._mapping, edge_pairs(row._edges), []) for row in rows]

    async def take(self, claims: Sequence[Claim]) -> None:
        """Write these claims, of items this transaction locked: one statement, and the
        ``claim`` event of each (its changes, as the ORM would tell them)."""
        if not claims:
            return
        items = WorkItem.__table__
        assert isinstance(items, Table)  # a mapped class's table: what UPDATE takes
        statement = update(items).where(items.c.id == bindparam("_id"))
        await self.session.execute(
            statement,
            [
                {
                    "_id": claim.item.columns["id"],
                    **claim.values,
                    "version": claim.version,
                    "updated_at": claim.at,
                    "updated_by": claim.actor.client,
                    "updated_by_account": claim.actor.account,
                }
                for claim in claims
            ],
        )
        for claim in claims:
            was = claim.item.columns
            history.record(
                self.session,
                ledger_id=self.ledger_id,
                record_type="work_item",
                record_id=was["id"],
                version=claim.version,
                action="claim",
                changes={
                    name: (was[name], value)
                    for name, value in claim.values.items()
                    if was[name] != value
                },
                client=claim.actor.client,
                account=claim.actor.account,
                at=claim.at,
            )
