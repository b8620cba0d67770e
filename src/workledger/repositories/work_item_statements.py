"""Statements of the work item repository that a request runs as they are, built once
per dialect: what differs per call (the item, its ledger) is bound, so a request builds
no column expression, alias, subquery or cache key of its own. And the JSON of an item's
dependencies, which these statements read beside its row."""

from __future__ import annotations

import functools
import json
import uuid
from dataclasses import fields
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Insert,
    Select,
    Table,
    bindparam,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.sql.expression import FromClause, ScalarSelect

from workledger.db.dialect import Dialect
from workledger.models import Event, WorkItem, WorkItemCount, WorkItemDependency
from workledger.repositories.history import creation_event
from workledger.repositories.pending_events import Pending
from workledger.repositories.readiness import holds_back_sql
from workledger.repositories.work_item_count import TALLY_KEY, count_key
from workledger.repositories.work_item_dependency import Edge
from workledger.repositories.work_item_new import ROW_COLUMNS, NewWorkItem

WORK_ITEMS = cast(Table, WorkItem.__table__)


@functools.cache
def read_statement(dialect: Dialect, *, include_deleted: bool) -> Select[Any]:
    """One item's row, its dependencies (``_edges``) and those that hold it back
    (``_blocking``): a read of one item in one round trip."""
    t, edge = WORK_ITEMS, WorkItemDependency.__table__
    target = t.alias("target")
    blocking = (
        select(_edge_json_rows(dialect))
        .select_from(edge.join(target, target.c.id == edge.c.depends_on_id))
        .where(edge.c.work_item_id == t.c.id, *holds_back_sql(target))
        .scalar_subquery()
    )
    stmt = select(t, edges_json(dialect, t).label("_edges"), blocking.label("_blocking")).where(
        t.c.id == bindparam("item_id"), t.c.ledger_id == bindparam("ledger_id")
    )
    return stmt if include_deleted else stmt.where(t.c.deleted_at.is_(None))


@functools.cache
def get_statement(
    dialect: Dialect, *, include_deleted: bool, lock: bool, with_edges: bool
) -> Select[Any]:
    """One item as a tracked record; ``lock``: row-locked as it is read (where the
    database locks rows); ``with_edges``: its dependencies beside it (``_edges``)."""
    columns: list[Any] = [WorkItem]
    if with_edges:
        columns.append(edges_json(dialect, WORK_ITEMS).label("_edges"))
    stmt = select(*columns).where(
        WorkItem.id == bindparam("item_id"), WorkItem.ledger_id == bindparam("ledger_id")
    )
    if not include_deleted:
        stmt = stmt.where(WorkItem.deleted_at.is_(None))
    return stmt.with_for_update(of=WORK_ITEMS) if lock and dialect.locks else stmt


def _edge_json_rows(dialect: Dialect) -> ColumnElement[Any]:
    edge = WorkItemDependency.__table__
    return dialect.json_rows(edge.c.depends_on_id, edge.c.dependency_type, edge.c.created_at)


def edges_json(dialect: Dialect, items: FromClause) -> ScalarSelect[Any]:
    """The dependencies of each row of ``items``, as one JSON value (``edge_pairs``)."""
    edge = WorkItemDependency.__table__
    return (
        select(_edge_json_rows(dialect)).where(edge.c.work_item_id == items.c.id).scalar_subquery()
    )


def edge_pairs(found: str | list[list[str]] | None) -> list[Edge]:
    """``json_rows`` of (depends_on_id, dependency_type, created_at), oldest first."""
    rows = json.loads(found) if isinstance(found, str) else found or []
    return [(uuid.UUID(str(target)), kind) for target, kind, _ in sorted(rows, key=lambda r: r[2])]


@functools.cache
def create_statement(dialect: Dialect) -> Insert:
    """A new item, its tally and its ``create`` event in one statement (two data-modifying
    CTEs and an insert): on PostgreSQL, where the database numbers the event as the
    statement commits, a create without links is one round trip. Binds: the item's row
    as ``item_<column>``, the tally's as ``tally_<column>``, the event's as
    ``event_<column>``."""
    counts, events = cast(Table, WorkItemCount.__table__), cast(Table, Event.__table__)
    item = insert(WORK_ITEMS).values(_bound(WORK_ITEMS, "item_", ROW_COLUMNS))
    tally = dialect.insert(counts).values(_bound(counts, "tally_", [*TALLY_KEY, "item_count"]))
    tally_upsert = tally.on_conflict_do_update(
        index_elements=TALLY_KEY,
        set_={"item_count": counts.c.item_count + tally.excluded.item_count},
    )
    columns = [f.name for f in fields(Pending)]
    return (
        insert(events)
        .values(_bound(events, "event_", columns))
        .add_cte(item.cte("new_item"), tally_upsert.cte("tally"))
    )


@functools.lru_cache(maxsize=256)
def edit_statement(dialect: Dialect, columns: frozenset[str]) -> Insert:
    """A change to ``columns`` of an item's own row and its ``update`` event in one
    statement: the update is a CTE guarded by the version the change was made against, and
    the event is inserted from the row it updated, so a change that came in between leaves
    both unwritten (the statement returns no row). Binds: the columns as ``item_<column>``,
    the event's as ``event_<column>``, and ``edited_id``, ``edited_ledger_id`` and
    ``read_version``.
    One statement per set of columns a change sets, as the ORM's own updates are."""
    t, events = WORK_ITEMS, cast(Table, Event.__table__)
    edited = (
        update(t)
        .where(
            t.c.id == bindparam("edited_id"),
            t.c.ledger_id == bindparam("edited_ledger_id"),
            t.c.version == bindparam("read_version"),
        )
        # (A column's name as a bind would be taken for a value to set; a literal 1 as
        # a bind would lose its value in the CTE.)
        .values(
            {**_bound(t, "item_", sorted(columns)), "version": t.c.version + literal_column("1")}
        )
        .returning(t.c.id)
        .cte("edited")
    )
    names = [f.name for f in fields(Pending)]
    event = select(*_bound(events, "event_", names).values()).select_from(edited)
    return insert(events).from_select(names, event).add_cte(edited).returning(events.c.version)


def create_values(item: NewWorkItem, *, slot: int) -> dict[str, Any]:
    """The binds of ``create_statement`` for ``item``, its tally counted in ``slot``."""
    row = item.row()
    tally = {"ledger_id": row["ledger_id"], **count_key(item)._asdict(), "slot": slot}
    values = {f"item_{k}": v for k, v in row.items()}
    values.update({f"tally_{k}": v for k, v in tally.items()}, tally_item_count=1)
    values.update({f"event_{k}": v for k, v in creation_event(WorkItem, row).row().items()})
    return values


def _bound(table: Table, prefix: str, columns: list[str]) -> dict[str, Any]:
    return {name: bindparam(prefix + name, type_=table.c[name].type) for name in columns}
