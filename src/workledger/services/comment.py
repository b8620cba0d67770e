"""Comments on work items: markdown, by a person through a client; each one, and each
edit and deletion of one, is an event in the item's history."""

from __future__ import annotations

import uuid
from typing import Any

from workledger.db.types import utcnow
from workledger.errors import Forbidden, NotFound
from workledger.models import Comment, new_id
from workledger.repositories import history
from workledger.repositories.comment import OLDEST_FIRST, CommentRepository
from workledger.repositories.work_item import WorkItemRepository
from workledger.schemas.common import Actor, Page
from workledger.schemas.history import CommentListQuery, CommentRead
from workledger.services.common import Service, authored, check_version, stamp
from workledger.services.work_item.read_model import ItemRef

RESOURCE = "comment"


def comment_read(comment: Comment) -> CommentRead:
    return CommentRead(
        id=comment.id,
        work_item_id=comment.work_item_id,
        body=comment.body,
        author=comment.created_by,
        author_account=comment.created_by_account,
        created_at=comment.created_at,
        updated_at=comment.updated_at,
        version=comment.version,
    )


class CommentService(Service):
    async def add(self, *, actor: Actor, work_item_id: ItemRef, body: str) -> CommentRead:
        """A comment on a live item, by the actor."""
        async with self.writing(actor) as session:
            items = WorkItemRepository(session, ledger_id=actor.ledger_id)
            [found] = await items.resolve([work_item_id], field="work_item_id")
            item = await items.get(found)
            if item is None:
                raise NotFound("work item", work_item_id, field="work_item_id")
            now = utcnow()
            comment = Comment(
                id=new_id(),
                ledger_id=actor.ledger_id,
                work_item_id=item.id,
                body=body,
                version=1,
                created_at=now,
                updated_at=now,
                **authored(actor),
            )
            repo = CommentRepository(session, ledger_id=actor.ledger_id)
            repo.add(comment)
            _said(session, actor, comment, "comment", item.version, old=None, new=body)
            await repo.flush()
            return comment_read(comment)

    async def get(self, *, actor: Actor, comment_id: uuid.UUID) -> CommentRead:
        async with self.db.transaction(write=False) as session:
            comment = await CommentRepository(session, ledger_id=actor.ledger_id).get(comment_id)
            if comment is None:
                raise NotFound(RESOURCE, comment_id)
            return comment_read(comment)

    async def list(
        self, *, actor: Actor, work_item_id: ItemRef, query: CommentListQuery
    ) -> Page[CommentRead]:
        """A page of the item's comments, oldest first (a deleted item's too, while it can
        be read)."""
        return await self._of_item(actor, work_item_id, cursor=query.cursor, limit=query.limit)

    async def all(
        self, *, actor: Actor, work_item_id: ItemRef, at_most: int | None = None
    ) -> Page[CommentRead]:
        """The item's comments in one read (the first ``at_most``, if given), for a person
        who reads them on one page."""
        return await self._of_item(actor, work_item_id, cursor=None, limit=at_most)

    async def _of_item(
        self, actor: Actor, work_item_id: ItemRef, *, cursor: str | None, limit: int | None
    ) -> Page[CommentRead]:
        async with self.db.transaction(write=False) as session:
            items = WorkItemRepository(session, ledger_id=actor.ledger_id)
            [found] = await items.resolve([work_item_id], field="work_item_id")
            if await items.get(found, include_deleted=True) is None:
                raise NotFound("work item", work_item_id, field="work_item_id")
            comments, total = await CommentRepository(session, ledger_id=actor.ledger_id).of_item(
                found, cursor=cursor, limit=None if limit is None else limit + 1
            )
        has_more = limit is not None and len(comments) > limit
        comments = comments[:limit]
        last = comments[-1] if comments else None
        return Page[CommentRead](
            items=[comment_read(c) for c in comments],
            total_count=total,
            has_more=has_more,
            next_cursor=OLDEST_FIRST.encode([last.created_at, last.id])
            if has_more and last
            else None,
        )

    async def edit(
        self, *, actor: Actor, comment_id: uuid.UUID, body: str, version: int
    ) -> CommentRead:
        """Change a comment's body: only its author (the person, through any client)."""
        async with self.writing(actor) as session:
            repo = CommentRepository(session, ledger_id=actor.ledger_id)
            comment = await _found(repo, comment_id)
            if comment.created_by_account != actor.account:
                raise Forbidden(
                    "only the author of a comment may edit it "
                    f"(this one is {comment.created_by_account or comment.created_by}'s)"
                )
            check_version(comment, requested=version, resource=RESOURCE)
            old = comment.body
            comment.body = body
            stamp(comment, actor, at=utcnow())
            await repo.flush()
            version_now = await _item_version(session, actor, comment.work_item_id)
            _said(session, actor, comment, "comment_edited", version_now, old=old, new=body)
            return comment_read(comment)

    async def delete(
        self, *, actor: Actor, comment_id: uuid.UUID, version: int | None = None
    ) -> None:
        """Remove a comment: its author, or an owner of the ledger. Its event keeps what
        it said."""
        async with self.writing(actor) as session:
            repo = CommentRepository(session, ledger_id=actor.ledger_id)
            comment = await _found(repo, comment_id)
            if comment.created_by_account != actor.account and not actor.may("owner"):
                raise Forbidden(
                    "only the author of a comment, or an owner of the ledger, may delete it"
                )
            check_version(comment, requested=version, resource=RESOURCE)
            version_now = await _item_version(session, actor, comment.work_item_id)
            _said(
                session, actor, comment, "comment_deleted", version_now, old=comment.body, new=None
            )
            await repo.remove(comment)


async def _found(repo: CommentRepository, comment_id: uuid.UUID) -> Comment:
    comment = await repo.get(comment_id, lock=True)
    if comment is None:
        raise NotFound(RESOURCE, comment_id)
    return comment


async def _item_version(session: Any, actor: Actor, item_id: uuid.UUID) -> int:
    item = await WorkItemRepository(session, ledger_id=actor.ledger_id).get(
        item_id, include_deleted=True
    )
    return item.version if item is not None else 0


def _said(
    session: Any,
    actor: Actor,
    comment: Comment,
    action: str,
    version: int,
    *,
    old: str | None,
    new: str | None,
) -> None:
    """The event in the item's history: the comment, as it was and as it is."""
    history.record(
        session,
        ledger_id=actor.ledger_id,
        record_type="work_item",
        record_id=comment.work_item_id,
        version=version,
        action=action,
        changes={
            "comment": (
                None if old is None else {"id": comment.id, "body": old},
                None if new is None else {"id": comment.id, "body": new},
            )
        },
        client=actor.client,
        account=actor.account,
    )
