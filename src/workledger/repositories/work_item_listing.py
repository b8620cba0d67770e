"""The work item list: its filters, its sort orders and keyset cursors, and its totals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, func, null, select, union_all
from sqlalchemy.sql.expression import FromClause

from workledger.db.dialect import like_contains
from workledger.models import ArchivedWorkItem, WorkItem
from workledger.models.work_item import due_or_last
from workledger.repositories.base import LedgerScopedRepository
from workledger.repositories.paging import (
    Decoder,
    Keyset,
    as_date,
    as_datetime,
    as_int,
    as_str,
    as_uuid,
)
from workledger.repositories.readiness import Readied, ready_sql
from workledger.repositories.work_item_count import WorkItemCountRepository
from workledger.schemas.work_item import WorkItemListQuery, WorkItemSort

# Summary columns a list returns; shared by the live and the archive table.
SUMMARY_COLUMNS = (
    "id",
    "item_type",
    "title",
    "status",
    "priority",
    "priority_rank",
    "parent_id",
    "depth",
    "due_date",
    "tags",
    "assignee",
    "assignee_account",
    "claimed_until",
    "version",
    "created_at",
    "updated_at",
    "deleted_at",
)


class SummaryRow(Readied, Protocol):
    """A row of a list: the ``SUMMARY_COLUMNS``, and when it was archived (if it was)."""

    @property
    def archived_at(self) -> datetime | None: ...
    @property
    def _mapping(self) -> Mapping[str, object]: ...


@dataclass(frozen=True)
class ListResult:
    rows: Sequence[SummaryRow]
    total_count: int
    has_more: bool
    next_cursor: str | None


class WorkItemListing(LedgerScopedRepository):
    """Pages of the account's work items, live and (when asked) archived."""

    async def page(
        self, query: WorkItemListQuery, *, client: str, account: str | None, now: datetime
    ) -> ListResult:
        """One page of ``query``; ``client`` is who asks (their claimed items are ready
        for them), ``now`` when (a lease that ran out by then holds nothing)."""
        source = _source(include_archived=query.include_archived and not query.ready)
        conditions = self._conditions(source, query, client=client, account=account, now=now)
        c = source.c
        archived_at = c.archived_at if "archived_at" in c else null().label("archived_at")
        keyset = _keyset(source, query)
        stmt: Select[Any] = (
            select(*(c[name] for name in SUMMARY_COLUMNS), archived_at)
            .select_from(source)
            .where(*conditions)
        )
        total = await self._total(query, source, conditions)
        if query.cursor is not None:
            stmt = keyset.after(stmt, query.cursor)
        stmt = keyset.order(stmt).offset(query.offset).limit(query.limit + 1)
        stmt = stmt.add_columns(*(col.label(f"_k{i}") for i, col in enumerate(keyset.columns)))
        rows = list(await self.session.execute(stmt))
        has_more = len(rows) > query.limit
        rows = rows[: query.limit]
        next_cursor = None
        if has_more:
            last = rows[-1]._mapping
            next_cursor = keyset.encode([last[f"_k{i}"] for i in range(len(keyset.columns))])
        return ListResult(rows, total, has_more, next_cursor)

    def _conditions(
        self,
        source: FromClause,
        query: WorkItemListQuery,
        *,
        client: str,
        account: str | None,
        now: datetime,
    ) -> list[ColumnElement[bool]]:
        c = source.c
        conditions: list[ColumnElement[bool]] = [c.ledger_id == self.ledger_id]
        if not query.include_deleted:
            conditions.append(c.deleted_at.is_(None))
        if query.item_type is not None:
            conditions.append(c.item_type == query.item_type.value)
        if query.status is not None:
            conditions.append(c.status == query.status.value)
        if query.parent_id is not None:
            conditions.append(c.parent_id == query.parent_id)
        if query.root_only:
            conditions.append(c.parent_id.is_(None))
        if query.tag is not None:
            conditions.append(self.dialect.json_array_contains(c.tags, query.tag))
        if query.search is not None:
            conditions.append(c.title.ilike(like_contains(query.search), escape="\\"))
        if query.assignee is not None:
            conditions.append(c.assignee == query.assignee)
        if query.ready:
            conditions += ready_sql(source, client=client, account=account, now=now)
        return conditions

    async def _total(
        self, query: WorkItemListQuery, source: FromClause, conditions: list[ColumnElement[bool]]
    ) -> int:
        """From the tallies when the filters are ones they keep; else counted."""
        counted = query.include_archived or query.tag or query.search or query.parent_id
        if not (counted or query.ready or query.assignee):
            tallies = WorkItemCountRepository(self.session, ledger_id=self.ledger_id)
            return await tallies.total(
                item_type=query.item_type.value if query.item_type else None,
                status=query.status.value if query.status else None,
                root_only=query.root_only,
                include_deleted=query.include_deleted,
            )
        stmt = select(func.count()).select_from(source).where(*conditions)
        return int((await self.session.execute(stmt)).scalar_one())


def _source(*, include_archived: bool) -> FromClause:
    live = WorkItem.__table__
    if not include_archived:
        return live
    archived = ArchivedWorkItem.__table__
    names = [*SUMMARY_COLUMNS, "ledger_id"]
    return union_all(
        select(*(live.c[n] for n in names), null().label("archived_at")),
        select(*(archived.c[n] for n in names), archived.c.archived_at),
    ).subquery("items")


def ready_order(items: FromClause) -> tuple[ColumnElement[Any], ...]:
    """The picking order, which ix_work_items_ready holds: most urgent, soonest due,
    oldest."""
    c = items.c
    return (c.priority_rank, due_or_last(c.due_date), c.created_at, c.id)


def _keyset(source: FromClause, query: WorkItemListQuery) -> Keyset:
    c = source.c
    if query.sort is None and query.ready:
        return Keyset(
            name="ready",
            columns=ready_order(source),
            decoders=(as_int, as_date, as_datetime, as_uuid),
            descending=query.order == "desc",
        )
    sort = query.sort or WorkItemSort.created
    natural_desc = sort in (WorkItemSort.created, WorkItemSort.updated)
    descending = natural_desc if query.order is None else query.order == "desc"
    key: tuple[ColumnElement[Any], Decoder]
    if sort is WorkItemSort.created:
        key = (c.created_at, as_datetime)
    elif sort is WorkItemSort.updated:
        key = (c.updated_at, as_datetime)
    elif sort is WorkItemSort.title:
        key = (func.lower(c.title), as_str)
    elif sort is WorkItemSort.due_date:
        key = (due_or_last(c.due_date), as_date)
    else:
        # "desc" means most urgent first, which is the lowest rank.
        key = (c.priority_rank, as_int)
        descending = not descending if query.order is not None else False
    return Keyset(
        name=sort.value,
        columns=(key[0], c.id),
        decoders=(key[1], as_uuid),
        descending=descending,
    )
