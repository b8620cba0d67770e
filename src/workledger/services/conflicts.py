"""The conflicts of this process's journal, per ledger (docs/reference/outage.md)."""

from __future__ import annotations

import uuid
from dataclasses import asdict

from workledger.db.unit_of_work import Database
from workledger.errors import NotFound
from workledger.schemas.common import Actor, Page
from workledger.schemas.conflict import ConflictListQuery, ConflictRead

RESOURCE = "conflict"


class ConflictService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def list(self, *, actor: Actor, query: ConflictListQuery) -> Page[ConflictRead]:
        """Oldest first. Without a journal (SQLite needs none) there are none."""
        journal = self.db.outage.journal
        if journal is None:
            return Page[ConflictRead](items=[], total_count=0, has_more=False)
        after = int(query.cursor or 0)
        found, total = await journal.conflicts_of(
            actor.ledger_id, limit=query.limit + 1, after=after
        )
        page = found[: query.limit]
        has_more = len(found) > query.limit
        return Page[ConflictRead](
            items=[ConflictRead.model_validate(asdict(conflict)) for _, conflict in page],
            total_count=total,
            has_more=has_more,
            next_cursor=str(page[-1][0]) if has_more else None,
        )

    async def dismiss(self, *, actor: Actor, conflict_id: uuid.UUID) -> None:
        """Forget a conflict: a change to the ledger's record of what happened, so a
        reader may not."""
        actor.require("member")
        journal = self.db.outage.journal
        if journal is None or not await journal.dismiss(actor.ledger_id, conflict_id):
            raise NotFound(RESOURCE, conflict_id)
