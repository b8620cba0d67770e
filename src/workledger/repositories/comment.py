"""Comments on work items."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from workledger.models import Comment
from workledger.repositories.base import LedgerScopedRepository
from workledger.repositories.paging import Keyset, as_datetime, as_uuid

OLDEST_FIRST = Keyset(
    name="comments",
    columns=(Comment.__table__.c.created_at, Comment.__table__.c.id),
    decoders=(as_datetime, as_uuid),
    descending=False,
)


class CommentRepository(LedgerScopedRepository):
    async def get(self, comment_id: uuid.UUID, *, lock: bool = False) -> Comment | None:
        stmt = select(Comment).where(Comment.id == comment_id, Comment.ledger_id == self.ledger_id)
        if lock and self.dialect.locks:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def of_item(
        self, work_item_id: uuid.UUID, *, cursor: str | None, limit: int | None
    ) -> tuple[list[Comment], int]:
        """A page of the item's comments, oldest first (``limit`` None: all of them), and
        how many it has."""
        where = [Comment.ledger_id == self.ledger_id, Comment.work_item_id == work_item_id]
        total = (await self.session.execute(select(func.count()).where(*where))).scalar_one()
        stmt = OLDEST_FIRST.order(select(Comment).where(*where)).limit(limit)
        if cursor is not None:
            stmt = OLDEST_FIRST.after(stmt, cursor)
        return list((await self.session.execute(stmt)).scalars()), int(total)

    def add(self, comment: Comment) -> None:
        self.session.add(comment)

    async def remove(self, comment: Comment) -> None:
        await self.session.delete(comment)

    async def flush(self) -> None:
        await self.session.flush()
