"""Shorthands the work item tests share."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from workledger.container import Container
from workledger.db.types import utcnow
from workledger.schemas.common import Actor
from workledger.schemas.work_item import WorkItemCreate, WorkItemRead, WorkItemUpdate


async def make(
    container: Container, actor: Actor, title: str = "item", **fields: Any
) -> WorkItemRead:
    payload = {"item_type": "task", "title": title, **fields}
    return await container.work_items.create(actor=actor, data=WorkItemCreate.load(payload))


async def change(
    container: Container, actor: Actor, item: WorkItemRead, **fields: Any
) -> WorkItemRead:
    data = WorkItemUpdate.load({"version": item.version, **fields})
    return await container.work_items.update(actor=actor, item_id=item.id, data=data)


async def fetch(container: Container, actor: Actor, item: WorkItemRead) -> WorkItemRead:
    return await container.work_items.get(actor=actor, item_id=item.id, include_deleted=True)


# Everything a test made is "untouched for a year" as of this moment.
A_YEAR_ON = timedelta(days=366)


async def archive(container: Container, actor: Actor | None = None, days: int = 365) -> int:
    """Run the archiver a year and a day from now, for ``actor``'s account (or all of
    them): how many items moved."""
    result = await container.archive.archive(
        older_than_days=days,
        ledger_id=actor.ledger_id if actor else None,
        now=utcnow() + A_YEAR_ON,
    )
    return result.work_items
