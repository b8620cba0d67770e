"""What an item's page shows of its comments and its history: the comments, and the
history grouped for reading (``grouped``: one group per person, client and minute),
oldest first, each value cut short."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from workledger.container import Container
from workledger.errors import NotFound, StorageUnavailable
from workledger.fallback.provenance import served_now
from workledger.schemas.common import Actor
from workledger.schemas.history import CommentRead, EventRead, grouped
from workledger.schemas.work_item import WorkItemRead

# What the page shows of the history and of the comments, at most.
SHOWN = 1000
# A value in the history is cut to this many characters.
SHORT = 60
ACTIONS = {
    "create": "created the item",
    "update": "changed",
    "claim": "claimed it",
    "release": "released it",
    "claim_expired": "claim expired",
    "delete": "deleted it",
    "restore": "restored it",
    "archive": "archived it",
    "unarchive": "restored it from the archive",
    "comment": "commented",
    "comment_edited": "edited a comment",
    "comment_deleted": "deleted a comment",
    "work_log": "logged work",
}


async def comments_of(
    container: Container, actor: Actor, item: WorkItemRead
) -> tuple[list[CommentRead] | None, bool]:
    """The item's comments, oldest first, and whether there are more than the page shows.
    None: they cannot be read now (the database away, and no copy that has them)."""
    try:
        found = await container.comments.all(actor=actor, work_item_id=item.id, at_most=SHOWN)
    except StorageUnavailable:
        return None, False
    return found.items, found.has_more


@dataclass(frozen=True)
class Changed:
    """One field of an event: its value before (None: it had none) and after."""

    name: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class Entry:
    action: str
    changes: list[Changed]


@dataclass(frozen=True)
class Group:
    """What one person did through one client within one minute."""

    at: datetime
    who: str
    entries: list[Entry]


@dataclass(frozen=True)
class History:
    groups: list[Group]
    total: int
    shown: int
    # The history is read from the database only: None while it is away.
    available: bool = True


async def history_of(container: Container, actor: Actor, item: WorkItemRead) -> History:
    """The item's events, oldest first, in groups (the first ``SHOWN``)."""
    served = served_now()
    if served is not None and served.fallback:  # no waiting on a database away
        return History([], 0, 0, available=False)
    try:
        found = await container.history.all_of_work_item(
            actor=actor, item_id=item.id, at_most=SHOWN
        )
    except (StorageUnavailable, NotFound):
        return History([], 0, 0, available=False)
    groups = [
        Group(group.minute, group.who, [_entry(event) for event in group.events])
        for group in grouped(found.items)
    ]
    return History(groups, found.total_count, len(found.items))


def _entry(event: EventRead) -> Entry:
    """An event in words, each field it changed shortened."""
    changed = [
        Changed(name.replace("_", " "), _short(old), _short(new))
        for name, (old, new) in event.changes.items()
    ]
    return Entry(ACTIONS.get(event.action, event.action), changed)


def _short(value: Any) -> str | None:
    """A value of the history as a short line of text (a comment: its body)."""
    if value is None:
        return None
    if isinstance(value, dict) and "body" in value:
        value = value["body"]
    if isinstance(value, list):
        value = ", ".join(_short(v) or "none" for v in value)
    elif isinstance(value, dict):
        value = ", ".join(f"{k}: {_short(v) or 'none'}" for k, v in value.items())
    text = " ".join(str(value).split()) or "none"
    return text if len(text) <= SHORT else text[: SHORT - 1].rstrip() + "…"
