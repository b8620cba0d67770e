"""Tasks for the todo API: the account's work items of type ``task``, seen as todos.

Completion is the work item's status: ``completed``, or else ``active`` (a ``blocked``
task counts as pending too). Preconditions are optional here: without one, a change
applies to the current version, re-read and retried if another writer got in between."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from workledger.db.types import utcnow
from workledger.db.unit_of_work import Database
from workledger.errors import NotFound, VersionConflict
from workledger.models import WorkItem
from workledger.repositories.work_item import WorkItemRepository
from workledger.repositories.work_item_listing import WorkItemListing
from workledger.schemas.common import MAX_PAGE, Actor
from workledger.schemas.item_type import ItemType
from workledger.schemas.task import (
    TaskCreate,
    TaskListQuery,
    TaskRead,
    TaskReplace,
    TaskSort,
    TaskStatusFilter,
)
from workledger.schemas.work_item import (
    ItemStatus,
    WorkItemCreate,
    WorkItemListQuery,
    WorkItemRead,
    WorkItemSort,
    WorkItemUpdate,
)
from workledger.services.common import Service
from workledger.services.work_item import WorkItemService

RESOURCE = "task"
# Unconditional changes retried this many times when other writers keep winning.
ATTEMPTS = 3
SORTS = {
    TaskSort.created: WorkItemSort.created,
    TaskSort.title: WorkItemSort.title,
    TaskSort.due_date: WorkItemSort.due_date,
}


def task_from(item: WorkItem | WorkItemRead, *, user_id: uuid.UUID) -> TaskRead:
    return TaskRead(
        id=item.id,
        user_id=user_id,
        title=item.title,
        description=item.description,
        completed=item.status == ItemStatus.completed,
        due_date=item.due_date,
        created_at=item.created_at,
        updated_at=item.updated_at,
        version=item.version,
    )


def status_for(completed: bool) -> ItemStatus:
    return ItemStatus.completed if completed else ItemStatus.active


# The work item fields a change of a task sets, given the task as it is now.
Changes = Callable[[TaskRead], dict[str, object]]


class TaskService(Service):
    def __init__(self, db: Database, *, work_items: WorkItemService) -> None:
        super().__init__(db)
        self._work_items = work_items

    async def list(self, *, actor: Actor, query: TaskListQuery) -> list[TaskRead]:
        """Every live task of the account, filtered and sorted, read in one transaction."""
        status = ItemStatus.completed if query.status is TaskStatusFilter.completed else None
        page = WorkItemListQuery(
            item_type=ItemType.task,
            status=status,
            sort=SORTS[query.sort],
            order=query.order,
            limit=MAX_PAGE,
        )
        found: list[TaskRead] = []
        async with self.db.transaction(write=False) as session:
            repo = WorkItemRepository(session, ledger_id=actor.ledger_id)
            listing = WorkItemListing(session, ledger_id=actor.ledger_id)
            while True:
                result = await listing.page(
                    page, client=actor.client, account=actor.account, now=utcnow()
                )
                rows = {item.id: item for item in await repo.get_many(r.id for r in result.rows)}
                found += [task_from(rows[r.id], user_id=actor.account_id) for r in result.rows]
                if not result.has_more:
                    break
                page = page.model_copy(update={"cursor": result.next_cursor})
        if query.status is TaskStatusFilter.pending:
            found = [task for task in found if not task.completed]
        return found

    async def create(self, *, actor: Actor, data: TaskCreate) -> TaskRead:
        item = await self._work_items.create(
            actor=actor,
            data=WorkItemCreate(item_type=ItemType.task, **data.model_dump()),
        )
        return task_from(item, user_id=actor.account_id)

    async def get(self, *, actor: Actor, task_id: uuid.UUID) -> TaskRead:
        return task_from(await self._item(actor, task_id), user_id=actor.account_id)

    async def replace(
        self, *, actor: Actor, task_id: uuid.UUID, data: TaskReplace, version: int | None
    ) -> TaskRead:
        """Set the title, and the description, due date and completion that were sent."""
        sent = data.model_dump(include=data.model_fields_set - {"version"})
        completed = sent.pop("completed", None)

        def changes(current: TaskRead) -> dict[str, object]:
            if completed is None or completed == current.completed:
                return sent
            return {**sent, "status": status_for(completed)}

        return await self._change(actor, task_id, version, changes)

    async def set_completed(
        self, *, actor: Actor, task_id: uuid.UUID, completed: bool | None, version: int | None
    ) -> TaskRead:
        """Mark the task completed or not; ``None`` toggles it."""

        def changes(current: TaskRead) -> dict[str, object]:
            wanted = not current.completed if completed is None else completed
            return {"status": status_for(wanted)} if wanted != current.completed else {}

        return await self._change(actor, task_id, version, changes)

    async def delete(self, *, actor: Actor, task_id: uuid.UUID, version: int | None) -> None:
        """Soft delete (refused while the task has live sub-items)."""
        await self._change(actor, task_id, version, lambda _current: {"deleted": True})

    async def _change(
        self, actor: Actor, task_id: uuid.UUID, version: int | None, changes: Changes
    ) -> TaskRead:
        attempt = 1
        while True:
            current = await self.get(actor=actor, task_id=task_id)
            wanted = changes(current)
            if not wanted and version in (None, current.version):
                return current  # already so: nothing to write, no new version
            expected = current.version if version is None else version
            data = WorkItemUpdate.load({**wanted, "version": expected})
            try:
                item = await self._work_items.update(actor=actor, item_id=task_id, data=data)
            except VersionConflict as stale:
                if version is not None or attempt == ATTEMPTS:
                    raise stale.of_resource(RESOURCE) from None
                attempt += 1
                continue
            except NotFound:
                raise NotFound(RESOURCE, task_id) from None
            return task_from(item, user_id=actor.account_id)

    async def _item(self, actor: Actor, task_id: uuid.UUID) -> WorkItemRead:
        try:
            item = await self._work_items.get(actor=actor, item_id=task_id)
        except NotFound:
            raise NotFound(RESOURCE, task_id) from None
        if item.item_type != ItemType.task:
            raise NotFound(RESOURCE, task_id)  # other work items are not tasks here
        return item
