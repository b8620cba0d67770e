"""The report's tree of work items: created whole, parents and dependencies first, each
keeping its short id; checked against the bullets of the tree, by short id."""

from __future__ import annotations

import graphlib
import secrets
import uuid

from workledger.models import ids_ending_in
from workledger.repositories.holdings import HoldingsRepository
from workledger.schemas.spend import MICROS
from workledger.schemas.work_item import WorkItemCreate, WorkItemUpdate
from workledger.schemas.work_log import WorkLogCreate
from workledger.services.importer.result import Check, unread
from workledger.services.importer.run import Entry, Run
from workledger.services.work_log import Author
from workledger.status_file.document import SourceWorkItem, StatusDocument


async def write_work_items(run: Run) -> None:
    """Creates the file's work items; ``run.work_item_ids`` then holds the new id of each
    short id created.

    Parents and the items depended on are created first, so that each item is created
    whole (version 1); ids are chosen up front, in document order, so the tree keeps its
    order and the report's items their short ids."""
    listed: dict[int, SourceWorkItem] = {}  # by line
    shown: dict[str, int] = {}  # the line of each short id
    for item in run.document.work_items:
        if item.short_id is None:
            listed[item.line] = item
        elif item.short_id in shown:
            run.warn(item.line, f"skipped: short id `{item.short_id}` is listed twice")
        else:
            listed[item.line] = item
            shown[item.short_id] = item.line
    new_ids = _ids(list(listed.values()))
    order, link_later = _creation_order(list(listed.values()), shown)
    entries = []
    for item in order:
        if item.parent_line is not None and item.parent_line not in listed:
            run.warn(item.line, "skipped: its parent was not imported")
            continue
        data = {
            "item_type": item.item_type,
            "title": item.title,
            "status": item.status,
            "priority": item.priority,
            "assignee": item.assignee,
            "parent_id": new_ids.get(item.parent_line or 0),
            "dependencies": [] if link_later else _dependencies(run, item, shown, new_ids),
            "description": item.description,
            "due_date": item.due_date,
            "tags": item.tags,
            "metadata": item.metadata,
            "branch_name": item.branch_name,
            "commit_hash": item.commit_hash,
            "pr_number": item.pr_number,
        }
        given = {key: value for key, value in data.items() if value is not None}
        entries.append(Entry(item.line, given, id=new_ids[item.line]))
    made = await run.write("work_items", WorkItemCreate, entries, run.ledger.work_items.create_many)
    created = {entry.line: record.id for entry, record in made}
    run.work_item_ids = {short: created[line] for short, line in shown.items() if line in created}
    for item in order if link_later else ():
        if item.line in created and item.dependencies:
            async with run.entry(item.line):
                await _link(run, created[item.line], _dependencies(run, item, shown, created))
    for item in order:
        if item.line in created and (item.spent_by or item.spent is not None):
            async with run.entry(item.line):
                await _log_spent(run, created[item.line], item)


def _ids(items: list[SourceWorkItem]) -> dict[int, uuid.UUID]:
    """A fresh id for each item by line, in document order: the report's items end in
    the short ids they had, the others in random digits."""
    tails = [item.short_id or f"{secrets.randbits(32):08x}" for item in items]
    return {item.line: new for item, new in zip(items, ids_ending_in(tails), strict=True)}


async def _log_spent(run: Run, item_id: uuid.UUID, item: SourceWorkItem) -> None:
    """What the file says was spent on an item: as many work log entries by each person
    or agent as its "spent by" line says, their sums on the first (the file does not
    split them); without that line, one entry by the person importing."""
    note = f"carried over from {run.document.source}"

    def entry(spent: tuple[int, int, int]) -> WorkLogCreate:
        minutes, tokens, micros = spent
        return WorkLogCreate.load(
            {"minutes": minutes, "tokens": tokens, "cost_usd": micros / MICROS, "note": note}
        )

    entries: list[tuple[WorkLogCreate, Author | None]] = []
    if not item.spent_by:
        entries.append((entry(item.spent or (0, 0, 0)), None))
    for share in item.spent_by:
        author = (share.client, share.account)
        entries.append((entry(share.spent), author))
        entries += [(entry((0, 0, 0)), author)] * (share.entries - 1)
    await run.ledger.work_logs.log_many(actor=run.actor, work_item_id=item_id, entries=entries)


async def _link(run: Run, item_id: uuid.UUID, links: list[dict[str, object]]) -> None:
    """Gives a created item its dependencies, in a second pass."""
    service = run.ledger.work_items
    current = await service.get(actor=run.actor, item_id=item_id)
    change = {"version": current.version, "dependencies": links}
    await service.update(actor=run.actor, item_id=item_id, data=WorkItemUpdate.load(change))


def _creation_order(
    items: list[SourceWorkItem], shown: dict[str, int]
) -> tuple[list[SourceWorkItem], bool]:
    """Items ordered so parents and dependencies come first, and whether dependencies
    must instead be linked in a second pass (a parent that depends on its own child
    leaves no such order)."""
    listed = {item.line: item for item in items}
    graph = {
        item.line: {
            *([item.parent_line] if item.parent_line else []),
            *(shown[target] for target, _ in item.dependencies if target in shown),
        }
        for item in items
    }
    try:
        order = graphlib.TopologicalSorter(graph).static_order()
        return [listed[line] for line in order if line in listed], False
    except graphlib.CycleError:
        return items, True


def _dependencies(
    run: Run, item: SourceWorkItem, shown: dict[str, int], ids: dict[int, uuid.UUID]
) -> list[dict[str, object]]:
    links: list[dict[str, object]] = []
    for target, kind in item.dependencies:
        if shown.get(target) in ids:
            links.append({"depends_on_id": ids[shown[target]], "dependency_type": kind})
        else:
            run.warn(item.line, f"dependency on `{target}` dropped: that item was not imported")
    return links


async def check_work_item_count(
    holdings: HoldingsRepository, document: StatusDocument
) -> Check | None:
    """Every item of the report's tree stored under its short id, and as many tasks
    besides as the file's hand-kept lists hold; no check without work items."""
    census = document.census
    if not census.work_items:
        return None
    stored = await holdings.work_item_types()
    tree = [(line, short) for line, short in census.work_items if short is not None]
    shown = {short for _, short in tree}
    in_lists = [line for line, short in census.work_items if short is None]
    # The ledger was empty: what is neither the tree's nor a session prompt came from a list.
    from_lists = sum(short not in shown and kind != "session" for short, kind in stored.items())
    missing = [line for line, short in tree if short not in stored]
    problems = [f"line {line}: work item not imported" for line in missing]
    if from_lists < len(in_lists):
        read = {item.line for item in document.work_items}
        problems += unread(in_lists, read, "list item not read as a work item") or [
            f"{len(in_lists) - from_lists} of the {len(in_lists)} list items not imported "
            "(see the warnings)"
        ]
    return Check(
        "work item count",
        len(census.work_items),
        len(tree) - len(missing) + min(from_lists, len(in_lists)),
        problems,
    )
