"""``workledger items``: the work items at a terminal, acting as WORKLEDGER_ACCOUNT
(docs/reference/cli.md). IDs may be the report's short ids. What these commands need beyond click
is imported when they run, so that ``--help`` stays fast."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from workledger.cli.claims import claim, log, next_item, release
from workledger.cli.history import comment, history
from workledger.cli.runtime import acting, open_container, run_async
from workledger.errors import who

if TYPE_CHECKING:
    from workledger.container import Container
    from workledger.schemas.common import Actor
    from workledger.schemas.work_item import WorkItemBrief, WorkItemRead

# FIELD=VALUE fields that take a list: comma-separated.
LIST_FIELDS = ("tags", "dependencies")


@click.group()
def items() -> None:
    """Work items of the current account (WORKLEDGER_ACCOUNT). IDs may be short ids."""


@items.command("list")
@click.option("--ready", is_flag=True, help="Only what is ready to work on, best first.")
@click.option("--status", help="active, completed or blocked.")
@click.option("--type", "item_type", help="project, session, task or research.")
@click.option("--assignee", help="Only the items this client name has claimed.")
@click.option("--tag", help="Only the items with this tag.")
@click.option("--search", help="A word in the title.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100))
@click.option("--json", "as_json", is_flag=True, help="Print the records as JSON.")
@run_async
async def list_items(as_json: bool, **filters: object) -> None:
    """List work items as a table (newest first; with --ready, in picking order)."""
    from workledger.schemas.work_item import WorkItemListQuery

    query = WorkItemListQuery.load({k: v for k, v in filters.items() if v not in (None, False)})
    async with open_container() as container:
        actor = await acting(container)
        page = await container.work_items.list(actor=actor, query=query)
    if as_json:
        click.echo(json.dumps([item.model_dump(mode="json") for item in page.items], indent=2))
        return
    _table(page.items, shown=len(page.items), total=page.total_count)


@items.command("show")
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


@items.command("add")
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


@items.command("edit")
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
    """Change fields of an item, e.g. --set status=blocked --set tags=api,docs."""
    fields = dict(_assignment(change) for change in changes)
    async with open_container() as container:
        actor = await acting(container)
        changed = await _update(container, actor, item_id, fields)
    click.echo(item_line(changed))


@items.command("done")
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

    current = await container.work_items.get(actor=actor, item_id=ref(item_id))
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
    """One item in one line: short id, type, status, priority, who holds it, title."""
    who = f" · {item.assignee}" if item.assignee else ""
    return (
        f"{_short(item.id)}  {item.item_type} · {item.status} · {item.priority}{who}  {item.title}"
    )


def _table(rows: Sequence[WorkItemBrief], *, shown: int, total: int) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("ID", "TYPE", "STATUS", "PRIORITY", "TITLE", "ASSIGNEE", "STATE"):
        table.add_column(column, overflow="fold")
    for item in rows:
        table.add_row(
            _short(item.id),
            item.item_type,
            item.status,
            item.priority,
            item.title,
            item.assignee or "",
            _state(item),
        )
    console = Console(soft_wrap=True)
    if rows:
        console.print(table)
    console.print(f"{shown} of {total} work items", style="dim", highlight=False)


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
