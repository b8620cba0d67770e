"""``workledger items``: the work items at a terminal, acting as WORKLEDGER_ACCOUNT
(docs/reference/cli.md). IDs may be the report's short ids. What these commands need beyond click
is imported when they run, so that ``--help`` stays fast."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from workledger.cli.claims import claim, log, next_item, release
from workledger.cli.history import comment, history
from workledger.cli.runtime import WholeHelp, acting, counted, open_container, run_async
from workledger.errors import who

if TYPE_CHECKING:
    from workledger.container import Container
    from workledger.schemas.common import Actor
    from workledger.schemas.work_item import WorkItemBrief, WorkItemRead, WorkItemSummary

# FIELD=VALUE fields that take a list: comma-separated.
LIST_FIELDS = ("tags", "dependencies")


@click.group(cls=WholeHelp)
def items() -> None:
    """Work items of the current account (WORKLEDGER_ACCOUNT). IDs may be short ids."""


@items.command("list", short_help="List work items, newest first, or the ready queue.")
@click.option("--ready", is_flag=True, help="Only what is ready to work on, best first.")
@click.option("--status", help="active, completed or blocked.")
@click.option("--type", "item_type", help="project, session, task or research.")
@click.option("--assignee", help="Only the items this client name has claimed.")
@click.option("--tag", help="Only the items with this tag.")
@click.option("--search", help="A word in the title.")
@click.option(
    "--limit", default=50, show_default=True, type=click.IntRange(1), help="How many at most."
)
@click.option("--cursor", help="Go on where a listing stopped (the cursor it named).")
@click.option("--all", "everything", is_flag=True, help="Every matching item, however many.")
@click.option("--json", "as_json", is_flag=True, help="Print the records as JSON.")
@run_async
async def list_items(
    as_json: bool, limit: int, cursor: str | None, everything: bool, **filters: object
) -> None:
    """List work items (newest first; with --ready, in picking order). On a terminal, a
    table; piped, one line per item with tab-separated fields (ID, type, status,
    priority, title, assignee, state), never wrapped. How many there are, and the cursor
    that goes on, follow the table, or go to standard error when piped."""
    wanted = {k: v for k, v in filters.items() if v not in (None, False)}
    async with open_container() as container:
        actor = await acting(container)
        found, total, more = await _pages(
            container, actor, wanted, cursor=cursor, limit=None if everything else limit
        )
    if as_json:
        click.echo(json.dumps([item.model_dump(mode="json") for item in found], indent=2))
        if more:
            click.echo(f"more: --cursor {more}", err=True)
        return
    _table(found, total=total, more=more)


@items.command("show", short_help="Every field of one item, and its comments.")
@click.argument("item_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print the record as JSON.")
@run_async
async def show(item_id: str, as_json: bool) -> None:
    """Every field of one item, its dependencies with their state, who changed it, and
    its comments."""
    from workledger.cli.history import comment_lines

    async with open_container() as container:
        actor = await acting(container)
        item = await container.work_items.get(
            actor=actor, item_id=ref(item_id), include_deleted=True
        )
        linked = await container.work_items.dependencies(actor=actor, item=item)
        comments = (await container.comments.all(actor=actor, work_item_id=item.id)).items
    if as_json:
        record = item.model_dump(mode="json")
        record["comments"] = [said.model_dump(mode="json") for said in comments]
        click.echo(json.dumps(record, indent=2))
        return
    _details(item, linked)
    if comments:
        click.echo("")
        for line in comment_lines(comments):
            click.echo(line)


@items.command("add", short_help="Create a work item; prints its id.")
@click.argument("item_type", metavar="TYPE")
@click.argument("title")
@click.option("--parent", "parent_id", metavar="ID", help="The item to nest it under.")
@click.option("--priority", help="low, medium (default), high or critical.")
@click.option("--status", help="active (default), completed or blocked.")
@click.option("--due", "due_date", metavar="DATE", help="Due date, YYYY-MM-DD.")
@click.option("--tag", "tags", multiple=True, help="A tag; repeat for more.")
@click.option("--description", help="Longer text.")
@run_async
async def add(item_type: str, title: str, tags: tuple[str, ...], **fields: object) -> None:
    """Create a work item of TYPE (project, session, task or research); prints its id."""
    from workledger.schemas.work_item import WorkItemCreate

    given = {k: v for k, v in fields.items() if v is not None}
    data = WorkItemCreate.load(
        {"item_type": item_type, "title": title, "tags": tags, **given}, text=True
    )
    async with open_container() as container:
        actor = await acting(container)
        created = await container.work_items.create(actor=actor, data=data)
    click.echo(str(created.id))


@items.command("edit", short_help="Change fields of an item (--set FIELD=VALUE).")
@click.argument("item_id", metavar="ID")
@click.option(
    "--set",
    "changes",
    metavar="FIELD=VALUE",
    multiple=True,
    required=True,
    help="A field to change (FIELD= clears it; tags and dependencies take commas).",
)
@run_async
async def edit(item_id: str, changes: tuple[str, ...]) -> None:
    """Change fields of an item: for example --set status=blocked --set tags=api,docs.
    --set deleted=true deletes it and --set deleted=false restores it, as `items delete`
    and `items restore` do."""
    fields = dict(_assignment(change) for change in changes)
    async with open_container() as container:
        actor = await acting(container)
        changed = await _update(container, actor, item_id, fields)
    click.echo(item_line(changed))


@items.command("done", short_help="Complete an item and release it.")
@click.argument("item_id", metavar="ID")
@run_async
async def done(item_id: str) -> None:
    """Complete an item and release it (status completed, no assignee)."""
    async with open_container() as container:
        actor = await acting(container)
        changed = await _update(
            container, actor, item_id, {"status": "completed", "assignee": None}
        )
    click.echo(item_line(changed))


@items.command("delete", short_help="Delete an item; items restore brings it back.")
@click.argument("item_id", metavar="ID")
@click.option("--cascade", is_flag=True, help="Delete its live descendants with it.")
@run_async
async def delete(item_id: str, cascade: bool) -> None:
    """Delete an item (a soft delete: `items restore` brings it back). An item with live
    children is refused unless --cascade deletes them along with it."""
    async with open_container() as container:
        actor = await acting(container)
        current = await container.work_items.get(actor=actor, item_id=ref(item_id))
        deleted = await container.work_items.delete(
            actor=actor, item_id=current.id, version=current.version, cascade=cascade
        )
    click.echo(item_line(deleted))


@items.command("restore", short_help="Bring back a deleted or archived item.")
@click.argument("item_id", metavar="ID")
@run_async
async def restore(item_id: str) -> None:
    """Bring back a deleted item, with the descendants deleted along with it; or an
    archived one, with what was archived below it."""
    async with open_container() as container:
        actor = await acting(container)
        restored = await container.work_items.restore(actor=actor, item_id=ref(item_id))
    click.echo(item_line(restored))


for command in (claim, release, next_item, log, history, comment):
    items.add_command(command)


# --- helpers ------------------------------------------------------------------------------


def ref(text: str) -> uuid.UUID | str:
    """An ID argument: an id or a short id, or a clear refusal."""
    from workledger.errors import ValidationError
    from workledger.schemas.work_item import item_ref

    try:
        return item_ref(text)
    except ValueError as exc:
        raise ValidationError.single("id", str(exc)) from None


def _assignment(text: str) -> tuple[str, object]:
    field, sep, value = text.partition("=")
    if not sep or not field.strip():
        raise click.UsageError(f"--set {text!r}: write FIELD=VALUE (FIELD= clears it)")
    field = field.strip()
    if field in LIST_FIELDS:
        parts = [part.strip() for part in value.split(",") if part.strip()]
        if field == "dependencies":
            return field, [{"depends_on_id": part} for part in parts]
        return field, parts
    return field, value if value != "" else None


async def _update(
    container: Container, actor: Actor, item_id: str, fields: dict[str, object]
) -> WorkItemRead:
    """``fields`` applied to the item as it is now (its current version)."""
    from workledger.schemas.work_item import WorkItemUpdate

    current = await container.work_items.get(
        actor=actor, item_id=ref(item_id), include_deleted=True
    )
    data = WorkItemUpdate.load({**fields, "version": current.version}, text=True)
    return await container.work_items.update(actor=actor, item_id=current.id, data=data)


def _short(item_id: uuid.UUID) -> str:
    from workledger.models.work_item import short_id

    return short_id(item_id)


def _state(item: WorkItemBrief) -> str:
    if item.ready:
        return "ready"
    if item.blocked_by:
        return "waits on " + ", ".join(_short(i) for i in item.blocked_by)
    return ""


def item_line(item: WorkItemRead) -> str:
    """One item in one line: short id, type, status, priority, who holds it, title, and
    whether it is deleted."""
    who = f" · {item.assignee}" if item.assignee else ""
    deleted = "  (deleted)" if item.deleted_at else ""
    return (
        f"{_short(item.id)}  {item.item_type} · {item.status} · {item.priority}{who}  "
        f"{item.title}{deleted}"
    )


async def _pages(
    container: Container,
    actor: Actor,
    filters: dict[str, object],
    *,
    cursor: str | None,
    limit: int | None,
) -> tuple[list[WorkItemSummary], int, str | None]:
    """Up to ``limit`` items (None: all), read a page at a time from ``cursor``; the
    total that match, and the cursor to go on from when more remain."""
    from workledger.schemas.common import MAX_PAGE
    from workledger.schemas.work_item import WorkItemListQuery

    found: list[WorkItemSummary] = []
    total = 0
    while True:
        size = MAX_PAGE if limit is None else min(MAX_PAGE, limit - len(found))
        query = WorkItemListQuery.load({**filters, "limit": size, "cursor": cursor})
        page = await container.work_items.list(actor=actor, query=query)
        found += page.items
        total = max(total, page.total_count)
        cursor = page.next_cursor if page.has_more else None
        if cursor is None or (limit is not None and len(found) >= limit):
            return found, total, cursor


def _table(rows: Sequence[WorkItemBrief], *, total: int, more: str | None) -> None:
    """A table on a terminal; piped, a line per item (tab-separated), and what is left
    to read on standard error."""
    cells = [
        (
            _short(item.id),
            item.item_type,
            item.status,
            item.priority,
            item.title,
            item.assignee or "",
            _state(item),
        )
        for item in rows
    ]
    said = f"{len(rows):,} of {counted(total, 'work item')}"
    if more:
        said += f"; more: --cursor {more} (or --all)"
    if not sys.stdout.isatty():
        for row in cells:
            click.echo("\t".join(" ".join(cell.split()) for cell in row))
        click.echo(said, err=True)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("ID", "TYPE", "STATUS", "PRIORITY", "TITLE", "ASSIGNEE", "STATE"):
        table.add_column(column, overflow="fold")
    for row in cells:
        table.add_row(*row)
    console = Console(soft_wrap=True)
    if rows:
        console.print(table)
    console.print(said, style="dim", highlight=False)


def _details(item: WorkItemRead, linked: dict[uuid.UUID, WorkItemRead]) -> None:
    from rich.console import Console

    console = Console(soft_wrap=True, highlight=False)
    console.print(f"[bold]{item.title}[/bold]  ({_short(item.id)})", markup=True)
    state = _state(item) or ("deleted" if item.deleted_at else "")
    created_by = who(item.created_by, item.created_by_account)
    updated_by = who(item.updated_by, item.updated_by_account)
    rows = [
        ("id", str(item.id)),
        ("type", item.item_type),
        ("status", f"{item.status}{f' ({state})' if state else ''}"),
        ("priority", item.priority),
        ("assignee", item.assignee and who(item.assignee, item.assignee_account)),
        ("parent", _short(item.parent_id) if item.parent_id else None),
        ("due", item.due_date.isoformat() if item.due_date else None),
        ("tags", ", ".join(item.tags) or None),
        ("branch", item.branch_name),
        ("commit", item.commit_hash),
        ("pull request", f"#{item.pr_number}" if item.pr_number else None),
        ("version", str(item.version)),
        ("created", f"{item.created_at:%Y-%m-%d %H:%M} UTC by {created_by}"),
        ("updated", f"{item.updated_at:%Y-%m-%d %H:%M} UTC by {updated_by}"),
    ]
    for name, value in rows:
        if value:
            console.print(f"  {name:<13}{value}", markup=False)
    for key, kept in item.metadata.items():
        console.print(f"  {key:<13}{kept}", markup=False)
    if item.dependencies:
        console.print("  depends on", markup=False)
        for edge in item.dependencies:
            kind = " (blocks)" if edge.dependency_type == "blocks" else ""
            other = linked.get(edge.depends_on_id)
            status, title = (other.status, other.title) if other else ("archived", "")
            console.print(
                f"    {_short(edge.depends_on_id)}  {status:<10} {title}{kind}", markup=False
            )
    if item.description:
        console.print(f"\n{item.description}", markup=False)
