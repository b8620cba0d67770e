"""What a caller sees of work items: lists, soft delete and restore, other accounts."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.services.work_items import change, fetch, make
from workledger.container import Container
from workledger.errors import Conflict, NotFound, ValidationError
from workledger.schemas.common import Actor, Page
from workledger.schemas.work_item import (
    WorkItemListQuery,
    WorkItemRead,
    WorkItemSummary,
    WorkItemUpdate,
)


async def listing(container: Container, actor: Actor, **query: Any) -> Page[WorkItemSummary]:
    return await container.work_items.list(actor=actor, query=WorkItemListQuery.load(query))


async def titles(container: Container, actor: Actor, **query: Any) -> list[str]:
    return [item.title for item in (await listing(container, actor, **query)).items]


def error_fields(error: ValidationError) -> set[str]:
    return {e.field for e in error.errors}


# --- filters ------------------------------------------------------------------------------


async def catalogue(container: Container, actor: Actor) -> dict[str, WorkItemRead]:
    project = await make(container, actor, "Alpha project", item_type="project", tags=["infra"])
    under = {"parent_id": str(project.id)}
    items = {
        "project": project,
        "task": await make(
            container, actor, "alpha task", status="blocked", tags=["infra", "ui"], **under
        ),
        "done": await make(container, actor, "Beta 100% done", status="completed", tags=["ui"]),
        "study": await make(
            container, actor, "beta_study", item_type="research", tags=["infrastructure"]
        ),
        "session": await make(container, actor, "Gamma session", item_type="session", **under),
        "gone": await make(container, actor, "gone alpha"),
    }
    await container.work_items.delete(actor=actor, item_id=items["gone"].id, version=1)
    return items


FILTERS: dict[str, tuple[dict[str, Any], set[str]]] = {
    "item-type": ({"item_type": "task"}, {"alpha task", "Beta 100% done"}),
    "status": ({"status": "completed"}, {"Beta 100% done"}),
    "root-only": ({"root_only": True}, {"Alpha project", "Beta 100% done", "beta_study"}),
    "tag-is-a-whole-tag": ({"tag": "infra"}, {"Alpha project", "alpha task"}),
    "search-ignores-case": ({"search": "ALPHA"}, {"Alpha project", "alpha task"}),
    "search-percent-is-literal": ({"search": "0%"}, {"Beta 100% done"}),
    "search-underscore-is-literal": ({"search": "a_s"}, {"beta_study"}),
    "filters-combine": ({"item_type": "task", "tag": "ui", "status": "blocked"}, {"alpha task"}),
    "include-deleted": (
        {"include_deleted": True, "search": "alpha"},
        {"Alpha project", "alpha task", "gone alpha"},
    ),
}


@pytest.mark.parametrize(("query", "expected"), FILTERS.values(), ids=FILTERS.keys())
async def test_list_filters(
    container: Container, actor: Actor, query: dict[str, Any], expected: set[str]
) -> None:
    await catalogue(container, actor)

    page = await listing(container, actor, **query)

    assert {item.title for item in page.items} == expected
    assert page.total_count == len(expected)


async def test_list_filters_by_parent(container: Container, actor: Actor) -> None:
    items = await catalogue(container, actor)

    children = await titles(container, actor, parent_id=str(items["project"].id))

    assert sorted(children) == ["Gamma session", "alpha task"]


async def test_deleted_items_are_left_out_unless_asked_for(
    container: Container, actor: Actor
) -> None:
    await catalogue(container, actor)

    live = await listing(container, actor)
    everything = await listing(container, actor, include_deleted=True)

    assert "gone alpha" not in {i.title for i in live.items}
    assert (live.total_count, everything.total_count) == (5, 6)
    deleted = [i.title for i in everything.items if i.deleted_at is not None]
    assert deleted == ["gone alpha"]


# --- sorting ------------------------------------------------------------------------------

SPECS = [
    ("delta", "low", "2026-01-10"),
    ("alpha", "critical", None),
    ("Charlie", "medium", "2026-01-05"),
    ("bravo", "high", "2026-02-01"),
]
DEFAULT_ORDER = {
    "created": ["bravo", "Charlie", "alpha", "delta"],
    "updated": ["Charlie", "bravo", "alpha", "delta"],
    "title": ["alpha", "bravo", "Charlie", "delta"],
    "due_date": ["Charlie", "delta", "bravo", "alpha"],
    "priority": ["alpha", "bravo", "Charlie", "delta"],
}
NATURAL_DIRECTION = {
    "created": "desc",
    "updated": "desc",
    "title": "asc",
    "due_date": "asc",
    "priority": "desc",
}


async def four_items(container: Container, actor: Actor) -> None:
    made = {}
    for title, priority, due in SPECS:
        made[title] = await make(container, actor, title, priority=priority, due_date=due)
    data = WorkItemUpdate.load({"version": 1, "description": "touched last"})
    await container.work_items.update(actor=actor, item_id=made["Charlie"].id, data=data)


@pytest.mark.parametrize("order", [None, "asc", "desc"])
@pytest.mark.parametrize("sort", DEFAULT_ORDER)
async def test_each_sort_orders_the_list(
    container: Container, actor: Actor, sort: str, order: str | None
) -> None:
    await four_items(container, actor)
    expected = DEFAULT_ORDER[sort]
    if order not in (None, NATURAL_DIRECTION[sort]):
        expected = expected[::-1]

    assert await titles(container, actor, sort=sort, order=order) == expected


async def test_limit_and_offset_page_through(container: Container, actor: Actor) -> None:
    await four_items(container, actor)

    middle = await listing(container, actor, sort="title", limit=2, offset=1)
    tail = await listing(container, actor, sort="title", limit=2, offset=3)

    assert [i.title for i in middle.items] == ["bravo", "Charlie"]
    assert (middle.total_count, middle.has_more) == (4, True)
    assert [i.title for i in tail.items] == ["delta"]
    assert (tail.total_count, tail.has_more, tail.next_cursor) == (4, False, None)
    exact = await listing(container, actor, limit=4)
    assert (len(exact.items), exact.has_more, exact.next_cursor) == (4, False, None)


# --- cursor paging ------------------------------------------------------------------------

CROWD = 23


async def crowd(container: Container, actor: Actor) -> dict[uuid.UUID, int]:
    """23 items with many ties in title, priority and due date; returns creation order."""
    order = {}
    for n in range(CROWD):
        item = await make(
            container,
            actor,
            ["same", "Same", "other"][n % 3],
            priority=["high", "high", "low"][n % 3],
            due_date=[None, "2026-05-01", "2026-05-01", "2026-04-01"][n % 4],
        )
        if n % 5 == 0:
            data = WorkItemUpdate.load({"version": 1, "tags": ["touched"]})
            item = await container.work_items.update(actor=actor, item_id=item.id, data=data)
        order[item.id] = n
    return order


KEY_RISES_BY_DEFAULT = {
    "created": False,
    "updated": False,
    "title": True,
    "due_date": True,
    "priority": True,
}


def sort_key(sort: str, created: dict[uuid.UUID, int]) -> Callable[[WorkItemSummary], Any]:
    return {
        "created": lambda i: created[i.id],
        "updated": lambda i: i.updated_at,
        "title": lambda i: i.title.lower(),
        "due_date": lambda i: (i.due_date is None, i.due_date),
        "priority": lambda i: ["critical", "high", "medium", "low"].index(i.priority),
    }[sort]


async def walk(container: Container, actor: Actor, **query: Any) -> list[WorkItemSummary]:
    seen: list[WorkItemSummary] = []
    cursor = None
    for _ in range(CROWD):
        page = await listing(container, actor, limit=5, cursor=cursor, **query)
        assert page.total_count == CROWD
        assert page.has_more == (page.next_cursor is not None)
        seen += page.items
        if not page.has_more:
            return seen
        assert len(page.items) == 5
        cursor = page.next_cursor
    raise AssertionError("the cursor never reached the end")


@pytest.mark.parametrize("sort", DEFAULT_ORDER)
async def test_cursor_paging_visits_every_item_once_in_order(
    container: Container, actor: Actor, sort: str
) -> None:
    created = await crowd(container, actor)
    key = sort_key(sort, created)

    for order in (None, "asc", "desc"):
        walked = await walk(container, actor, sort=sort, order=order)
        whole = (await listing(container, actor, sort=sort, order=order, limit=100)).items

        assert [i.id for i in walked] == [i.id for i in whole], order
        assert len({i.id for i in walked}) == CROWD
        keys = [key(i) for i in walked]
        natural = order in (None, NATURAL_DIRECTION[sort])
        assert keys == sorted(keys, reverse=natural != KEY_RISES_BY_DEFAULT[sort]), order


def forged_cursor(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


async def test_a_foreign_or_garbage_cursor_is_refused(container: Container, actor: Actor) -> None:
    for n in range(3):
        await make(container, actor, f"item {n}")
    created_cursor = (await listing(container, actor, limit=1)).next_cursor
    assert created_cursor is not None
    bad = [
        {"cursor": "not a cursor at all"},
        {"cursor": forged_cursor({"k": "created", "d": True, "v": ["yesterday", "x"]})},
        {"cursor": created_cursor, "sort": "title"},
        {"cursor": created_cursor, "order": "asc"},
    ]

    for query in bad:
        with pytest.raises(ValidationError) as refused:
            await listing(container, actor, limit=1, **query)
        assert error_fields(refused.value) == {"cursor"}, query


BAD_PAGING: dict[str, tuple[dict[str, Any], str]] = {
    "limit-0": ({"limit": 0}, "limit"),
    "limit-101": ({"limit": 101}, "limit"),
    "offset-and-cursor": ({"offset": 5, "cursor": "abc"}, "cursor"),
    "negative-offset": ({"offset": -1}, "offset"),
}


@pytest.mark.parametrize(("query", "field"), BAD_PAGING.values(), ids=BAD_PAGING.keys())
async def test_bad_paging_is_refused(
    container: Container, actor: Actor, query: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        await listing(container, actor, **query)

    assert error_fields(refused.value) == {field}


@pytest.mark.parametrize("query", [{"search": "a\x00"}, {"tag": "a\x00"}], ids=["search", "tag"])
async def test_a_nul_character_in_a_filter_finds_nothing_or_is_refused(
    container: Container, actor: Actor, query: dict[str, Any]
) -> None:
    await make(container, actor, "a")

    try:
        page = await listing(container, actor, **query)
    except ValidationError:
        return
    assert (page.items, page.total_count) == ([], 0)


async def test_summaries_leave_out_the_long_fields(container: Container, actor: Actor) -> None:
    await make(container, actor, "big", description="x" * 5000, metadata={"actual_hours": 3})

    (summary,) = (await listing(container, actor)).items

    assert summary.title == "big"
    assert not {"description", "metadata"} & set(summary.model_dump())


# --- soft delete --------------------------------------------------------------------------


async def family(container: Container, actor: Actor) -> dict[str, WorkItemRead]:
    """root → a → a1, and root → b."""
    root = await make(container, actor, "root", item_type="project")
    a = await make(container, actor, "a", parent_id=str(root.id))
    a1 = await make(container, actor, "a1", parent_id=str(a.id))
    b = await make(container, actor, "b", parent_id=str(root.id))
    return {"root": root, "a": a, "a1": a1, "b": b}


async def test_deleting_an_item_with_live_children_needs_cascade(
    container: Container, actor: Actor
) -> None:
    t = await family(container, actor)

    with pytest.raises(Conflict):
        await container.work_items.delete(actor=actor, item_id=t["a"].id, version=1)

    for item in t.values():
        assert await fetch(container, actor, item) == item


async def test_cascade_delete_hides_the_subtree_but_keeps_it_readable(
    container: Container, actor: Actor
) -> None:
    t = await family(container, actor)

    gone = await container.work_items.delete(
        actor=actor, item_id=t["root"].id, version=1, cascade=True
    )

    assert gone.deleted_at is not None
    for item in t.values():
        with pytest.raises(NotFound):
            await container.work_items.get(actor=actor, item_id=item.id)
        deleted = await fetch(container, actor, item)
        assert (deleted.deleted_at, deleted.version) == (gone.deleted_at, 2)
    live = await container.work_items.list(actor=actor, query=WorkItemListQuery())
    assert (live.items, live.total_count) == ([], 0)


async def test_restore_brings_back_what_was_deleted_with_the_item(
    container: Container, actor: Actor
) -> None:
    t = await family(container, actor)
    b = await container.work_items.delete(actor=actor, item_id=t["b"].id, version=1)
    await container.work_items.delete(actor=actor, item_id=t["root"].id, version=1, cascade=True)

    restored = await container.work_items.restore(actor=actor, item_id=t["root"].id)

    assert (restored.deleted_at, restored.version) == (None, 3)
    for name in ("a", "a1"):
        back = await container.work_items.get(actor=actor, item_id=t[name].id)
        assert (back.deleted_at, back.version) == (None, 3)
    assert await fetch(container, actor, t["b"]) == b
    tree = await container.work_items.get_hierarchy(actor=actor, item_id=t["root"].id)
    assert [d.title for d in tree.descendants] == ["a", "a1"]


async def test_restoring_a_child_of_a_deleted_parent_is_refused(
    container: Container, actor: Actor
) -> None:
    t = await family(container, actor)
    await container.work_items.delete(actor=actor, item_id=t["root"].id, version=1, cascade=True)
    child = await fetch(container, actor, t["a"])

    with pytest.raises(Conflict):
        await container.work_items.restore(actor=actor, item_id=child.id, version=child.version)

    assert await fetch(container, actor, t["a"]) == child


async def test_deleted_items_are_only_changed_through_restore(
    container: Container, actor: Actor
) -> None:
    item = await make(container, actor, "gone")
    gone = await container.work_items.delete(actor=actor, item_id=item.id, version=1)

    with pytest.raises(NotFound):
        await change(container, actor, gone, title="edited in the grave")

    restored = await change(container, actor, gone, deleted=False)
    assert (restored.deleted_at, restored.version, restored.title) == (None, 3, "gone")


# --- other accounts -----------------------------------------------------------------------

Attempt = Callable[[Container, Actor, uuid.UUID], Awaitable[object]]
ATTEMPTS: dict[str, Attempt] = {
    "get": lambda c, a, i: c.work_items.get(actor=a, item_id=i),
    "get-deleted-too": lambda c, a, i: c.work_items.get(actor=a, item_id=i, include_deleted=True),
    "hierarchy": lambda c, a, i: c.work_items.get_hierarchy(actor=a, item_id=i, max_depth=2),
    "update": lambda c, a, i: c.work_items.update(
        actor=a, item_id=i, data=WorkItemUpdate(version=1, title="mine now")
    ),
    "delete": lambda c, a, i: c.work_items.delete(actor=a, item_id=i, version=1, cascade=True),
    "restore": lambda c, a, i: c.work_items.restore(actor=a, item_id=i),
    "restore-at-version": lambda c, a, i: c.work_items.restore(actor=a, item_id=i, version=2),
}


def shape(error: NotFound, item_id: uuid.UUID) -> str:
    return json.dumps(error.to_dict(), sort_keys=True, default=str).replace(str(item_id), "<id>")


@pytest.mark.parametrize("attempt", ATTEMPTS)
async def test_another_account_cannot_tell_an_item_from_a_missing_one(
    container: Container, actor: Actor, other_actor: Actor, attempt: str
) -> None:
    item = await make(container, actor, "secret")
    if attempt.startswith("restore"):
        item = await container.work_items.delete(actor=actor, item_id=item.id, version=1)
    missing = uuid.uuid4()

    with pytest.raises(NotFound) as theirs:
        await ATTEMPTS[attempt](container, other_actor, item.id)
    with pytest.raises(NotFound) as absent:
        await ATTEMPTS[attempt](container, other_actor, missing)

    assert theirs.value.code == absent.value.code == "not_found"
    assert shape(theirs.value, item.id) == shape(absent.value, missing)
    assert await fetch(container, actor, item) == item


@pytest.mark.parametrize(
    "query", [{}, {"include_deleted": True}, {"search": "secret"}, {"sort": "title"}]
)
async def test_another_account_lists_nothing_of_mine(
    container: Container, actor: Actor, other_actor: Actor, query: dict[str, Any]
) -> None:
    item = await make(container, actor, "secret")
    await make(container, actor, "secret child", parent_id=str(item.id))
    await container.work_items.delete(actor=actor, item_id=item.id, version=1, cascade=True)
    await make(container, actor, "secret plan")

    page = await listing(container, other_actor, **query)

    assert (page.items, page.total_count, page.has_more) == ([], 0, False)
    assert (await listing(container, actor, include_deleted=True)).total_count == 3
