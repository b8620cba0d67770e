"""Work items: the service every door calls (docs/reference/work-items.md).

Its writes are in ``commands``, with the rules they apply in ``rules``; its reads in
``queries``; ``read_model`` builds the answers both give."""

from __future__ import annotations

from workledger.db.unit_of_work import Database
from workledger.services.read_cache import ReadCache
from workledger.services.work_item.commands import WorkItemCommands
from workledger.services.work_item.queries import WorkItemQueries

__all__ = ["WorkItemService"]


class WorkItemService(WorkItemCommands, WorkItemQueries):
    """The tree of items, their dependencies, soft delete, claims and listing."""

    def __init__(self, db: Database, *, read_cache: ReadCache) -> None:
        super().__init__(db, read_cache=read_cache)
