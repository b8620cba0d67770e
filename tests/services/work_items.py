"""Shorthands the work item tests share."""

from __future__ import annotations

from typing import Any

from workledger.container import Container
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
