"""The report's tree of work items: created whole, parents and dependencies first, each
keeping its short id; checked against the bullets of the tree, by short id."""

from __future__ import annotations

import graphlib
import uuid

from workledger.models import ids_ending_in
from workledger.repositories.holdings import HoldingsRepository
from workledger.schemas.spend import MICROS
from workledger.schemas.work_item import WorkItemCreate, WorkItemUpdate
from workledger.schemas.work_log import WorkLogCreate
from workledger.services.importer.result import Check
from workledger.services.importer.run import Entry, Run
from workledger.status_file.document import SourceWorkItem, StatusDocument


async def write_work_items(run: Run) -> None:
    """Creates the report's tree; ``run.work_item_ids`` then holds the new id of each
    short id created.

    Parents and the items depended on are created first, so that each item is created
    whole (version 1); ids are chosen up front, in document order, so the tree keeps its
    order and its short ids."""
    listed: dict[str, SourceWorkItem] = {}
    for item in run.document.work_items:
        if item.short_id in listed:
            run.warn(item.line, f"skipped: short id `{item.short_id}` is listed twice")
        else:
            listed[item.short_id] = item
    new_ids = dict(zip(listed, ids_ending_in(list(listed)), strict=True))
    order, link_later = _creation_order(list(listed.values()))
    entries = []
    for item in order:
        if item.parent_short_id is not None and item.parent_short_id not in new_ids:
            run.warn(item.line, "skipped: its parent was not imported")
            continue
        data = {
            "item_type": item.item_type,
            "title": item.title,
            "status": item.status,
            "priority": item.priority,
            "assignee": item.assignee,
            "parent_id": new_ids.get(item.parent_short_id or ""),
            "dependencies": [] if link_later else _dependencies(run, item, new_ids),
        }
        entries.append(Entry(item.line, data, id=new_ids[item.short_id]))
    by_line = {item.line: item for item in order}
    made = await run.write("work_items", WorkItemCreate, entries, run.ledger.work_items.create_many)
    created = run.work_item_ids = {by_line[entry.line].short_id: item.id for entry, item in made}
    for item in order if link_later else ():
        if item.short_id in created and item.dependencies:
            async with run.entry(item.line):
                await _link(run, created[item.short_id], item)
    for item in order:
        if item.short_id in created and item.spent is not None:
            async with run.entry(item.line):
                await _log_spent(run, created[item.short_id], item.spent)


async def _log_spent(run: Run, item_id: uuid.UUID, spent: tuple[int, int, int]) -> None:
    """What the file says was spent on an item: one entry of its work log, by the
    person importing (who logged it is in the ledger, not in the file)."""
    minutes, tokens, micros = spent
    entry = WorkLogCreate.load(
        {
            "minutes": minutes,
            "tokens": tokens,
            "cost_usd": micros / MICROS,
            "note": f"carried over from {run.document.source}",
        }
    )
    await run.ledger.work_logs.log(actor=run.actor, work_item_id=item_id, data=entry)


async def _link(run: Run, item_id: uuid.UUID, item: SourceWorkItem) -> None:
    """Gives a created item its dependencies, in a second pass."""
    service = run.ledger.work_items
    current = await service.get(actor=run.actor, item_id=item_id)
    change = {
        "version": current.version,
        "dependencies": _dependencies(run, item, run.work_item_ids),
    }
    await service.update(actor=run.actor, item_id=item_id, data=WorkItemUpdate.load(change))


def _creation_order(items: list[SourceWorkItem]) -> tuple[list[SourceWorkItem], bool]:
    """Items ordered so parents and dependencies come first, and whether dependencies
    must instead be linked in a second pass (a parent that depends on its own child
    leaves no such order)."""
    listed = {item.short_id: item for item in items}
    graph = {
        item.short_id: {
            *([item.parent_short_id] if item.parent_short_id else []),
            *(target for target, _ in item.dependencies if target in listed),
        }
        for item in items
    }
    try:
        return [
            listed[short]
            for short in graphlib.TopologicalSorter(graph).static_order()
            if short in listed
        ], False
    except graphlib.CycleError:
        return items, True


def _dependencies(
    run: Run, item: SourceWorkItem, created: dict[str, uuid.UUID]
) -> list[dict[str, object]]:
    links: list[dict[str, object]] = []
    for target, kind in item.dependencies:
        if target in created:
            links.append({"depends_on_id": created[target], "dependency_type": kind})
        else:
            run.warn(item.line, f"dependency on `{target}` dropped: that item was not imported")
    return links


async def check_work_item_count(
    holdings: HoldingsRepository, document: StatusDocument
) -> Check | None:
    """Every bullet of the tree stored under its short id; no check without a tree."""
    census = document.census
    if not census.work_items:
        return None
    stored = await holdings.work_item_short_ids()
    return Check(
        "work item count",
        len(census.work_items),
        sum(short in stored for _, short in census.work_items),
        [
            f"line {line}: work item not imported"
            for line, short in census.work_items
            if short not in stored
        ],
    )
