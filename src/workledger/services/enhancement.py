"""Enhancements: planned future work, with dependencies between them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from itertools import zip_longest
from typing import Any

from workledger.db.types import utcnow
from workledger.errors import Conflict, NotFound, ValidationError, WorkledgerError
from workledger.fallback import commands
from workledger.fallback.journaling import journaled
from workledger.models import Enhancement, new_id
from workledger.repositories.enhancement import EnhancementRepository
from workledger.repositories.paging import decode_offset, encode_offset
from workledger.schemas.common import PRIORITY_RANK, Actor, Page
from workledger.schemas.enhancement import (
    EnhancementCreate,
    EnhancementListQuery,
    EnhancementRead,
    EnhancementUpdate,
)
from workledger.services.common import Service, authored, check_version, stamp, the_one

RESOURCE = "enhancement"


class EnhancementService(Service):
    @journaled(commands.CreateEnhancement)
    async def create(
        self, *, actor: Actor, data: EnhancementCreate, enhancement_id: uuid.UUID | None = None
    ) -> EnhancementRead:
        """A new enhancement; ``enhancement_id`` chooses its (fresh, v7) id."""
        return the_one(await self.create_many(actor=actor, items=[data], ids=[enhancement_id]))

    async def create_many(
        self,
        *,
        actor: Actor,
        items: Sequence[EnhancementCreate],
        ids: Sequence[uuid.UUID | None] = (),
    ) -> list[EnhancementRead | WorkledgerError]:
        """Many enhancements in one transaction and a few statements (for imports):
        each is created as ``create`` would, or answered with the error that refused
        it. A new enhancement can only depend on existing ones, so none closes a cycle."""
        async with self.writing(actor) as session:
            repo = EnhancementRepository(session, ledger_id=actor.ledger_id)
            found = await repo.existing_ids(list({t for data in items for t in data.depends_on}))
            now = utcnow()
            made: list[tuple[Enhancement, EnhancementCreate] | WorkledgerError] = []
            for data, given in zip_longest(items, ids):
                try:
                    _check_targets(data.depends_on, found)
                except WorkledgerError as refused:
                    made.append(refused)
                    continue
                enhancement = _new_enhancement(actor, data, at=now, enhancement_id=given)
                made.append((enhancement, data))
                repo.add(enhancement)
            await repo.flush()
            for entry in made:
                if not isinstance(entry, WorkledgerError) and entry[1].depends_on:
                    await repo.replace_depends_on(entry[0].id, entry[1].depends_on)
            return [
                entry
                if isinstance(entry, WorkledgerError)
                else enhancement_read(entry[0], entry[1].depends_on)
                for entry in made
            ]

    async def current(self, *, actor: Actor, record_id: uuid.UUID) -> EnhancementRead:
        return await self.get(actor=actor, enhancement_id=record_id)

    async def get(self, *, actor: Actor, enhancement_id: uuid.UUID) -> EnhancementRead:
        async with self.db.transaction(write=False) as session:
            repo = EnhancementRepository(session, ledger_id=actor.ledger_id)
            enhancement = await _found(repo, enhancement_id)
            return enhancement_read(
                enhancement, (await repo.depends_on([enhancement.id]))[enhancement.id]
            )

    @journaled(commands.UpdateEnhancement)
    async def update(
        self, *, actor: Actor, enhancement_id: uuid.UUID, data: EnhancementUpdate
    ) -> EnhancementRead:
        changes = data.changes()
        async with self.writing(actor) as session:
            repo = EnhancementRepository(session, ledger_id=actor.ledger_id)
            enhancement = await _found(repo, enhancement_id, lock=True)
            check_version(enhancement, requested=data.version, resource=RESOURCE)
            if "depends_on" in changes:
                await _set_depends_on(repo, enhancement.id, changes.pop("depends_on"))
            _apply(enhancement, changes)
            stamp(enhancement, actor, at=utcnow())
            await repo.flush()
            return enhancement_read(
                enhancement, (await repo.depends_on([enhancement.id]))[enhancement.id]
            )

    @journaled(commands.DeleteEnhancement)
    async def delete(self, *, actor: Actor, enhancement_id: uuid.UUID, version: int) -> None:
        async with self.writing(actor) as session:
            repo = EnhancementRepository(session, ledger_id=actor.ledger_id)
            enhancement = await _found(repo, enhancement_id, lock=True)
            check_version(enhancement, requested=version, resource=RESOURCE)
            stamp(enhancement, actor, at=utcnow())  # who deleted it, in its history
            await repo.remove(enhancement)

    async def list(self, *, actor: Actor, query: EnhancementListQuery) -> Page[EnhancementRead]:
        async with self.db.transaction(write=False) as session:
            repo = EnhancementRepository(session, ledger_id=actor.ledger_id)
            offset = decode_offset(query.cursor) if query.cursor else query.offset
            rows, total = await repo.list_page(
                priority=query.priority.value if query.priority else None,
                status=query.status.value if query.status else None,
                target_quarter=query.target_quarter,
                limit=query.limit,
                offset=offset,
            )
            edges = await repo.depends_on([e.id for e in rows])
            has_more = offset + len(rows) < total
            return Page[EnhancementRead](
                items=[enhancement_read(e, edges[e.id]) for e in rows],
                total_count=total,
                has_more=has_more,
                next_cursor=encode_offset(offset + len(rows)) if has_more else None,
            )


async def _found(
    repo: EnhancementRepository, enhancement_id: uuid.UUID, *, lock: bool = False
) -> Enhancement:
    enhancement = await repo.get(enhancement_id, lock=lock)
    if enhancement is None:
        raise NotFound(RESOURCE, enhancement_id)
    return enhancement


def _new_enhancement(
    actor: Actor, data: EnhancementCreate, *, at: datetime, enhancement_id: uuid.UUID | None
) -> Enhancement:
    enhancement = Enhancement(
        id=enhancement_id or new_id(),
        ledger_id=actor.ledger_id,
        version=1,
        created_at=at,
        updated_at=at,
        **authored(actor),
    )
    _apply(enhancement, data.model_dump(exclude={"depends_on"}))
    return enhancement


def _check_targets(
    targets: Sequence[uuid.UUID], found: set[uuid.UUID], *, itself: uuid.UUID | None = None
) -> None:
    """The enhancements depended on are listed once each, other than ``itself``, and exist."""
    if len(set(targets)) != len(targets):
        raise ValidationError.single("depends_on", "lists the same enhancement twice")
    if itself in targets:
        raise ValidationError.single("depends_on", "an enhancement cannot depend on itself")
    missing = [str(t) for t in targets if t not in found]
    if missing:
        raise NotFound(RESOURCE, ", ".join(missing), field="depends_on", missing=missing)


async def _set_depends_on(
    repo: EnhancementRepository, enhancement_id: uuid.UUID, targets: Sequence[uuid.UUID]
) -> None:
    _check_targets(targets, await repo.existing_ids(targets), itself=enhancement_id)
    if targets and await repo.reaches(starts=targets, target=enhancement_id):
        raise Conflict(
            "these dependencies would close a cycle: an enhancement they lead to already "
            "depends on this one",
            field="depends_on",
        )
    await repo.replace_depends_on(enhancement_id, targets)


def _apply(enhancement: Enhancement, changes: dict[str, Any]) -> None:
    for name in ("title", "description", "target_quarter"):
        if name in changes:
            setattr(enhancement, name, changes[name])
    if "constitutional_principles" in changes:
        enhancement.constitutional_principles = list(changes["constitutional_principles"])
    if "status" in changes:
        enhancement.status = str(changes["status"])
    if "priority" in changes:
        enhancement.priority = str(changes["priority"])
        enhancement.priority_rank = PRIORITY_RANK[changes["priority"]]


def enhancement_read(enhancement: Enhancement, depends_on: Sequence[uuid.UUID]) -> EnhancementRead:
    return EnhancementRead(
        id=enhancement.id,
        title=enhancement.title,
        description=enhancement.description,
        priority=enhancement.priority,
        status=enhancement.status,
        target_quarter=enhancement.target_quarter,
        constitutional_principles=enhancement.constitutional_principles,
        depends_on=sorted(depends_on),
        version=enhancement.version,
        created_at=enhancement.created_at,
        updated_at=enhancement.updated_at,
        created_by=enhancement.created_by,
        updated_by=enhancement.updated_by,
        created_by_account=enhancement.created_by_account,
        updated_by_account=enhancement.updated_by_account,
    )
