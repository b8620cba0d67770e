"""``workledger items history`` and ``workledger items comment``: what happened to an item,
and what people said about it (docs/reference/cli.md). ``items show`` lists the comments
with ``comment_lines``. What the commands need beyond click is imported when they run."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import click

from workledger.cli.runtime import acting, open_container, run_async, standard_input

if TYPE_CHECKING:
    from workledger.schemas.history import CommentRead, EventRead

# A value longer than this is shortened (with …) in a history line.
SHOWN_VALUE = 60
# The fields a history line names first; the others follow in alphabetical order.
FIRST_FIELDS = ("title", "item_type", "status", "priority", "assignee")


@click.command("history", short_help="Every change to an item, by who made it.")
@click.argument("item_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print the events as a JSON array.")
@run_async
async def history(item_id: str, as_json: bool) -> None:
    """Every change to an item, oldest first, by who made it (deleted and archived too)."""
    from workledger.cli.items import ref

    async with open_container() as container:
        actor = await acting(container)
        events = (await container.history.all_of_work_item(actor=actor, item_id=ref(item_id))).items
    if as_json:
        click.echo(json.dumps([event.model_dump(mode="json") for event in events], indent=2))
        return
    for line in history_lines(events):
        click.echo(line)


@click.command("comment", short_help="Comment on an item (markdown).")
@click.argument("item_id", metavar="ID")
@click.argument("text", metavar="TEXT")
@run_async
async def comment(item_id: str, text: str) -> None:
    """Comment on an item (markdown; TEXT '-' reads it from standard input); prints its id."""
    from workledger.cli.items import ref
    from workledger.errors import FieldError, ValidationError
    from workledger.schemas.history import CommentCreate

    if text == "-":
        text = standard_input().rstrip("\r\n")
    if not text.strip():
        raise ValidationError.single("TEXT", "a comment needs some text (it is empty)")
    try:
        data = CommentCreate.load({"body": text})
    except ValidationError as exc:  # the command line calls the body TEXT
        raise ValidationError([FieldError("TEXT", e.message) for e in exc.errors]) from None
    async with open_container() as container:
        actor = await acting(container)
        made = await container.comments.add(actor=actor, work_item_id=ref(item_id), body=data.body)
    click.echo(str(made.id))


# --- what a person reads -------------------------------------------------------------------


def history_lines(events: Sequence[EventRead]) -> Iterator[str]:
    """A heading per run of events by one person and client in one minute (UTC), then a
    line per event: its action and what it changed."""
    from workledger.schemas.history import grouped

    if not events:
        yield "no history"
        return
    for number, group in enumerate(grouped(events)):
        if number:
            yield ""
        yield f"{group.minute:%Y-%m-%d %H:%M} UTC  {group.who}"
        for event in group.events:
            yield f"  {event.action}  {_changes(event)}".rstrip()


def _changes(event: EventRead) -> str:
    if "comment" in event.changes and event.action.startswith("comment"):
        old, new = (_said(side) for side in event.changes["comment"])
        if old is not None and new is not None:
            return f"{old} → {new}"
        return old or new or ""
    parts = []
    for name in _ordered(event.changes):
        old, new = event.changes[name]
        if event.action == "create":
            if new in (None, "", [], {}):
                continue  # a new item's empty fields say nothing
            parts.append(f"{name}: {_value(new)}")
        else:
            parts.append(f"{name}: {_value(old)} → {_value(new)}")
    return ", ".join(parts)


def _ordered(fields: Iterable[str]) -> list[str]:
    return sorted(
        fields, key=lambda f: (FIRST_FIELDS.index(f) if f in FIRST_FIELDS else len(FIRST_FIELDS), f)
    )


def _said(side: Any) -> str | None:
    """A comment as a history line shows it: its body, quoted and shortened."""
    if not isinstance(side, dict):
        return None
    return _value(side.get("body"))


def _value(value: Any) -> str:
    """One value on one line: text quoted, none for nothing, long values shortened."""
    if value is None:
        return "none"
    text = json.dumps(value, ensure_ascii=False, default=str)
    if len(text) <= SHOWN_VALUE:
        return text
    cut = text[: SHOWN_VALUE - 1].rstrip(" \\")  # not in the middle of an escape
    return f'{cut}…"' if isinstance(value, str) else f"{cut}…"


def comment_lines(comments: Sequence[CommentRead]) -> Iterator[str]:
    """The comments as ``items show`` ends with them: who and when, then the body."""
    from workledger.errors import who

    yield f"comments ({len(comments)})"
    for said in comments:
        edited = ""
        if said.updated_at != said.created_at:
            edited = f", edited {said.updated_at:%Y-%m-%d %H:%M} UTC"
        yield (
            f"  {said.created_at:%Y-%m-%d %H:%M} UTC  {who(said.author, said.author_account)}"
            f"{edited}  ({said.id})"
        )
        for line in said.body.splitlines() or [""]:
            yield f"    {line}".rstrip()
