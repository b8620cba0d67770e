"""Work items: create, validation, typed metadata, the tree, dependencies, optimistic locking."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable
from typing import Any

import pytest

from tests.services.work_items import change, fetch, make
from workledger.container import Container
from workledger.errors import (
    Conflict,
    NotFound,
    ValidationError,
    VersionConflict,
    WorkledgerError,
)
from workledger.schemas.common import Actor
from workledger.schemas.work_item import (
    WorkItemListQuery,
    WorkItemRead,
)


async def stored(container: Container, actor: Actor) -> int:
    query = WorkItemListQuery.load({"include_deleted": True})
    return (await container.work_items.list(actor=actor, query=query)).total_count


async def chain(container: Container, actor: Actor, levels: int) -> list[WorkItemRead]:
    items: list[WorkItemRead] = []
    for level in range(levels):
        parent = str(items[-1].id) if items else None
        items.append(await make(container, actor, f"level {level}", parent_id=parent))
    return items


def dep(target: WorkItemRead, kind: str = "depends_on") -> dict[str, str]:
    return {"depends_on_id": str(target.id), "dependency_type": kind}


def deps_of(item: Any) -> set[tuple[uuid.UUID, str]]:
    return {(d.depends_on_id, d.dependency_type.value) for d in item.dependencies}


async def settle(call: Awaitable[WorkItemRead]) -> WorkItemRead | WorkledgerError:
    try:
        return await call
    except WorkledgerError as error:
        return error


def error_fields(error: ValidationError) -> set[str]:
    return {e.field for e in error.errors}


def ids(items: Any) -> list[uuid.UUID]:
    return [i.id for i in items]


# --- create -------------------------------------------------------------------------------


async def test_create_fills_in_the_defaults(container: Container, actor: Actor) -> None:
    item = await make(container, actor, "Write the spec")

    assert (item.status, item.priority, item.version, item.depth) == ("active", "medium", 1, 0)
    assert (item.tags, item.dependencies, item.parent_id, item.deleted_at) == ([], [], None, None)
    assert item.created_by == item.updated_by == actor.client


async def test_every_field_round_trips_through_get(container: Container, actor: Actor) -> None:
    parent = await make(container, actor, "parent", item_type="project")
    first, second = await make(container, actor, "first"), await make(container, actor, "second")
    payload = {
        "item_type": "session",
        "title": "Pairing session",
        "description": "long notes",
        "status": "blocked",
        "priority": "critical",
        "due_date": "2026-03-31",
        "tags": ["infra", "ui"],
        "parent_id": str(parent.id),
        "branch_name": "feat/ledger",
        "commit_hash": "0123456789ABCDEF0123456789abcdef01234567",
        "pr_number": 42,
        "metadata": {"token_budget": 200_000, "prompts_count": 3},
        "dependencies": [dep(first, "blocks"), dep(second)],
    }
    created = await make(container, actor, **payload)
    got = await container.work_items.get(actor=actor, item_id=created.id)

    assert got.model_dump(exclude={"dependencies"}) == created.model_dump(exclude={"dependencies"})
    assert deps_of(got) == deps_of(created) == {(first.id, "blocks"), (second.id, "depends_on")}
    dumped = got.model_dump(mode="json")
    for name, value in payload.items():
        if name != "dependencies":
            assert dumped[name] == (value.lower() if name == "commit_hash" else value), name
    assert got.depth == 1


async def test_values_at_the_limits_are_accepted(container: Container, actor: Actor) -> None:
    tags = [f"{n:02}" + "x" * 48 for n in range(20)]
    item = await make(container, actor, "t" * 200, description="d" * 10_000, tags=tags, pr_number=1)

    got = await fetch(container, actor, item)
    assert (got.title, got.description, got.tags) == ("t" * 200, "d" * 10_000, tags)


UNSTORABLE: dict[str, dict[str, Any]] = {
    "pr-number-2**31": {"pr_number": 2**31},
    "nul-in-title": {"title": "a\x00b"},
    "nul-in-description": {"description": "a\x00b"},
    "nul-in-tag": {"tags": ["a\x00b"]},
    "nul-in-metadata": {"metadata": {"blocked_reason": "a\x00b"}},
}


@pytest.mark.parametrize("fields", UNSTORABLE.values(), ids=UNSTORABLE.keys())
async def test_input_a_database_cannot_hold_is_kept_or_refused_never_a_driver_error(
    container: Container, actor: Actor, fields: dict[str, Any]
) -> None:
    ((name, value),) = fields.items()

    outcome = await settle(make(container, actor, **fields))

    if isinstance(outcome, ValidationError):
        assert any(f.startswith(name) for f in error_fields(outcome)), outcome.errors
        assert await stored(container, actor) == 0
    else:
        assert isinstance(outcome, WorkItemRead), outcome
        assert (await fetch(container, actor, outcome)).model_dump()[name] == value


# --- validation ---------------------------------------------------------------------------


def meta(item_type: str, **metadata: Any) -> dict[str, Any]:
    return {"item_type": item_type, "metadata": metadata}


BAD_CREATE: dict[str, tuple[dict[str, Any], str]] = {
    "blank-title": ({"title": "   "}, "title"),
    "title-201": ({"title": "x" * 201}, "title"),
    "description-10001": ({"description": "x" * 10_001}, "description"),
    "bad-item-type": ({"item_type": "epic"}, "item_type"),
    "bad-status": ({"status": "done"}, "status"),
    "bad-priority": ({"priority": "urgent"}, "priority"),
    "21-tags": ({"tags": [f"t{n}" for n in range(21)]}, "tags"),
    "tag-51": ({"tags": ["ok", "x" * 51]}, "tags.1"),
    "hash-41": ({"commit_hash": "a" * 41}, "commit_hash"),
    "hash-not-hex": ({"commit_hash": "g" * 40}, "commit_hash"),
    "pr-0": ({"pr_number": 0}, "pr_number"),
    "unknown-field": ({"colour": "red"}, "colour"),
    "session-key-on-task": (meta("task", token_budget=5000), "metadata.token_budget"),
    "budget-999": (meta("session", token_budget=999), "metadata.token_budget"),
    "budget-1000001": (meta("session", token_budget=1_000_001), "metadata.token_budget"),
    "frontmatter-no-schema-version": (
        meta("session", yaml_frontmatter={"a": 1}),
        "metadata.yaml_frontmatter",
    ),
    "quarter-q5": (meta("project", target_quarter="2026-Q5"), "metadata.target_quarter"),
    "hours-1001": (meta("task", estimated_hours=1001), "metadata.estimated_hours"),
    "findings-2001": (meta("research", findings_summary="x" * 2001), "metadata.findings_summary"),
}


@pytest.mark.parametrize(("fields", "field"), BAD_CREATE.values(), ids=BAD_CREATE.keys())
async def test_bad_create_input_is_refused_naming_the_field(
    container: Container, actor: Actor, fields: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        await make(container, actor, **fields)

    assert field in error_fields(refused.value)
    assert await stored(container, actor) == 0


BAD_UPDATE: dict[str, tuple[dict[str, Any], str]] = {
    "null-title": ({"title": None}, "title"),
    "unknown-field": ({"owner": "me"}, "owner"),
    "bad-priority": ({"priority": "urgent"}, "priority"),
    "foreign-metadata": ({"metadata": {"token_budget": 5000}}, "metadata.token_budget"),
}


@pytest.mark.parametrize(("fields", "field"), BAD_UPDATE.values(), ids=BAD_UPDATE.keys())
async def test_bad_update_is_refused_and_changes_nothing(
    container: Container, actor: Actor, fields: dict[str, Any], field: str
) -> None:
    item = await make(container, actor, "keep me", metadata={"estimated_hours": 2})

    with pytest.raises(ValidationError) as refused:
        await change(container, actor, item, **fields)

    assert field in error_fields(refused.value)
    assert await fetch(container, actor, item) == item


METADATA: dict[str, dict[str, Any]] = {
    "project": {
        "description": "d",
        "target_quarter": "2026-Q3",
        "constitutional_principles": ["x"],
    },
    "session": {
        "token_budget": 1_000,
        "prompts_count": 0,
        "yaml_frontmatter": {"schema_version": 1},
    },
    "task": {"estimated_hours": 1000, "actual_hours": 2.5, "blocked_reason": "waiting"},
    "research": {"research_questions": ["why?"], "findings_summary": "x" * 2000, "references": []},
}


@pytest.mark.parametrize("item_type", METADATA)
async def test_typed_metadata_is_accepted_and_returned(
    container: Container, actor: Actor, item_type: str
) -> None:
    metadata = METADATA[item_type]
    item = await make(container, actor, item_type=item_type, metadata=metadata)

    assert item.metadata == metadata
    assert (await fetch(container, actor, item)).metadata == metadata


# --- hierarchy ----------------------------------------------------------------------------


async def test_five_levels_nest_and_a_sixth_is_refused(container: Container, actor: Actor) -> None:
    items = await chain(container, actor, 5)
    assert [i.depth for i in items] == [0, 1, 2, 3, 4]
    assert [i.parent_id for i in items[1:]] == ids(items[:-1])

    with pytest.raises(Conflict) as refused:
        await make(container, actor, "too deep", parent_id=str(items[-1].id))

    assert refused.value.details["field"] == "parent_id"
    assert await stored(container, actor) == 5


async def test_leaf_hierarchy_lists_its_ancestors_root_first(
    container: Container, actor: Actor
) -> None:
    items = await chain(container, actor, 5)

    tree = await container.work_items.get_hierarchy(actor=actor, item_id=items[-1].id)

    assert ids(tree.ancestors) == ids(items[:4])
    assert [a.depth for a in tree.ancestors] == [0, 1, 2, 3]
    assert tree.descendants == []


async def build_tree(container: Container, actor: Actor) -> dict[str, WorkItemRead]:
    root = await make(container, actor, "root", item_type="project")
    a = await make(container, actor, "a", parent_id=str(root.id))
    b = await make(container, actor, "b", parent_id=str(root.id))
    b1 = await make(container, actor, "b1", parent_id=str(b.id))
    a1 = await make(container, actor, "a1", parent_id=str(a.id))
    a2 = await make(container, actor, "a2", parent_id=str(a.id), dependencies=[dep(b1, "blocks")])
    a1x = await make(container, actor, "a1x", parent_id=str(a1.id))
    return {"root": root, "a": a, "b": b, "b1": b1, "a1": a1, "a2": a2, "a1x": a1x}


async def test_root_hierarchy_lists_descendants_in_tree_order(
    container: Container, actor: Actor
) -> None:
    t = await build_tree(container, actor)

    tree = await container.work_items.get_hierarchy(actor=actor, item_id=t["root"].id)

    got = [(d.title, d.depth, d.parent_id) for d in tree.descendants]
    assert got == [
        ("a", 1, t["root"].id),
        ("a1", 2, t["a"].id),
        ("a1x", 3, t["a1"].id),
        ("a2", 2, t["a"].id),
        ("b", 1, t["root"].id),
        ("b1", 2, t["b"].id),
    ]
    dependencies = {d.title: deps_of(d) for d in tree.descendants}
    assert dependencies["a2"] == {(t["b1"].id, "blocks")}
    assert dependencies["a1"] == set()
    assert tree.ancestors == []


async def test_hierarchy_max_depth_one_gives_only_children(
    container: Container, actor: Actor
) -> None:
    t = await build_tree(container, actor)

    tree = await container.work_items.get_hierarchy(actor=actor, item_id=t["root"].id, max_depth=1)

    assert [d.title for d in tree.descendants] == ["a", "b"]


@pytest.mark.parametrize("max_depth", [0, 6])
async def test_hierarchy_max_depth_outside_one_to_five_is_refused(
    container: Container, actor: Actor, max_depth: int
) -> None:
    root = await make(container, actor)

    with pytest.raises(ValidationError) as refused:
        await container.work_items.get_hierarchy(actor=actor, item_id=root.id, max_depth=max_depth)

    assert error_fields(refused.value) == {"max_depth"}


# --- parents ------------------------------------------------------------------------------


def shape(error: Exception, item_id: uuid.UUID) -> str:
    assert isinstance(error, NotFound)
    return json.dumps(error.to_dict(), sort_keys=True, default=str).replace(str(item_id), "<id>")


async def test_parent_of_another_account_looks_exactly_missing(
    container: Container, actor: Actor, other_actor: Actor
) -> None:
    theirs = await make(container, other_actor, "theirs")
    missing = uuid.uuid4()

    with pytest.raises(NotFound) as foreign:
        await make(container, actor, parent_id=str(theirs.id))
    with pytest.raises(NotFound) as absent:
        await make(container, actor, parent_id=str(missing))

    assert shape(foreign.value, theirs.id) == shape(absent.value, missing)
    assert await stored(container, actor) == 0


async def test_deleted_parent_is_not_found(container: Container, actor: Actor) -> None:
    parent = await make(container, actor, "parent")
    await container.work_items.delete(actor=actor, item_id=parent.id, version=parent.version)

    with pytest.raises(NotFound):
        await make(container, actor, "orphan", parent_id=str(parent.id))

    assert await stored(container, actor) == 1


# --- re-parenting -------------------------------------------------------------------------


async def subtree(container: Container, actor: Actor) -> tuple[list[WorkItemRead], WorkItemRead]:
    """An old root with x → y → z below it, and a two-level chain to move them under."""
    old, x, y, z = await chain(container, actor, 4)
    target = await chain(container, actor, 2)
    return [old, x, y, z], target[-1]


async def test_moving_an_item_rehomes_its_whole_subtree(container: Container, actor: Actor) -> None:
    (old, x, y, z), target = await subtree(container, actor)

    moved = await change(container, actor, x, parent_id=str(target.id))

    assert (moved.parent_id, moved.depth) == (target.id, 2)
    leaf = await container.work_items.get_hierarchy(actor=actor, item_id=z.id)
    assert leaf.depth == 4
    assert ids(leaf.ancestors) == [target.parent_id, target.id, x.id, y.id]
    assert [a.depth for a in leaf.ancestors] == [0, 1, 2, 3]
    before = await container.work_items.get_hierarchy(actor=actor, item_id=old.id)
    assert before.descendants == []


async def test_moving_an_item_to_the_root(container: Container, actor: Actor) -> None:
    (_, x, y, z), _ = await subtree(container, actor)

    moved = await change(container, actor, x, parent_id=None)

    assert (moved.parent_id, moved.depth) == (None, 0)
    leaf = await container.work_items.get_hierarchy(actor=actor, item_id=z.id)
    assert (leaf.depth, ids(leaf.ancestors)) == (2, [x.id, y.id])


@pytest.mark.parametrize("under", ["itself", "its-child"])
async def test_moving_under_itself_or_a_descendant_is_a_cycle(
    container: Container, actor: Actor, under: str
) -> None:
    x, y, z = await chain(container, actor, 3)

    with pytest.raises(Conflict) as refused:
        await change(container, actor, x, parent_id=str((x if under == "itself" else y).id))

    assert refused.value.details["field"] == "parent_id"
    assert [await fetch(container, actor, i) for i in (x, y, z)] == [x, y, z]


async def test_a_move_pushing_the_deepest_item_to_a_sixth_level_is_refused(
    container: Container, actor: Actor
) -> None:
    (_, x, _, z), _ = await subtree(container, actor)
    deep = (await chain(container, actor, 3))[-1]

    with pytest.raises(Conflict) as refused:
        await change(container, actor, x, parent_id=str(deep.id))

    assert refused.value.details["field"] == "parent_id"
    assert await fetch(container, actor, x) == x
    assert (await fetch(container, actor, z)).depth == 3


# --- dependencies -------------------------------------------------------------------------


async def test_dependencies_come_back(container: Container, actor: Actor) -> None:
    a, b = await make(container, actor, "a"), await make(container, actor, "b")

    c = await make(container, actor, "c", dependencies=[dep(a, "blocks"), dep(b)])

    expected = {(a.id, "blocks"), (b.id, "depends_on")}
    assert deps_of(c) == deps_of(await fetch(container, actor, c)) == expected


async def test_a_self_dependency_is_refused(container: Container, actor: Actor) -> None:
    a = await make(container, actor, "a")

    with pytest.raises(ValidationError) as refused:
        await change(container, actor, a, dependencies=[dep(a)])

    assert error_fields(refused.value) == {"dependencies"}
    assert await fetch(container, actor, a) == a


async def test_a_dependency_on_a_missing_or_foreign_item_is_not_found(
    container: Container, actor: Actor, other_actor: Actor
) -> None:
    theirs = await make(container, other_actor, "theirs")
    missing = uuid.uuid4()

    with pytest.raises(NotFound) as foreign:
        await make(container, actor, dependencies=[dep(theirs)])
    with pytest.raises(NotFound) as absent:
        await make(container, actor, dependencies=[{"depends_on_id": str(missing)}])

    assert shape(foreign.value, theirs.id) == shape(absent.value, missing)
    assert await stored(container, actor) == 0


async def test_a_dependency_closing_a_cycle_is_refused(container: Container, actor: Actor) -> None:
    c = await make(container, actor, "c")
    b = await make(container, actor, "b", dependencies=[dep(c)])
    a = await make(container, actor, "a", dependencies=[dep(b)])

    with pytest.raises(Conflict) as refused:
        await change(container, actor, c, dependencies=[dep(a)])

    assert refused.value.details["field"] == "dependencies"
    assert await fetch(container, actor, c) == c


async def test_updating_dependencies_replaces_the_list(container: Container, actor: Actor) -> None:
    a, b = await make(container, actor, "a"), await make(container, actor, "b")
    c = await make(container, actor, "c", dependencies=[dep(a), dep(b)])

    updated = await change(container, actor, c, dependencies=[dep(b, "blocks")])

    assert deps_of(updated) == deps_of(await fetch(container, actor, c)) == {(b.id, "blocks")}


async def test_a_duplicated_dependency_target_is_refused(
    container: Container, actor: Actor
) -> None:
    a, c = await make(container, actor, "a"), await make(container, actor, "c")

    with pytest.raises(ValidationError) as on_create:
        await make(container, actor, dependencies=[dep(a), dep(a, "blocks")])
    with pytest.raises(ValidationError) as on_update:
        await change(container, actor, c, dependencies=[dep(a), dep(a)])

    assert error_fields(on_create.value) == error_fields(on_update.value) == {"dependencies"}
    assert await stored(container, actor) == 2
    assert await fetch(container, actor, c) == c


RACES = 3


@pytest.mark.parametrize("link", ["parent_id", "dependencies"])
async def test_two_opposite_links_at_once_one_wins_the_other_is_a_conflict(
    container: Container, actor: Actor, link: str
) -> None:
    def linking(item: WorkItemRead, to: WorkItemRead) -> Awaitable[WorkItemRead]:
        target = str(to.id) if link == "parent_id" else [dep(to)]
        return change(container, actor, item, **{link: target})

    for _ in range(RACES):
        a, b = await make(container, actor, "a"), await make(container, actor, "b")

        results = await asyncio.gather(linking(a, b), linking(b, a), return_exceptions=True)

        outcomes = sorted(type(r).__name__ for r in results)
        assert outcomes == ["Conflict", "WorkItemRead"], results
        a_now, b_now = await fetch(container, actor, a), await fetch(container, actor, b)
        if link == "parent_id":
            assert [a_now.parent_id, b_now.parent_id].count(None) == 1
        else:
            assert len(a_now.dependencies) + len(b_now.dependencies) == 1


# --- optimistic locking -------------------------------------------------------------------


@pytest.mark.parametrize("how", ["update", "delete"])
async def test_a_stale_version_is_refused_with_who_changed_it(
    container: Container, actor: Actor, how: str
) -> None:
    item = await make(container, actor, "shared")
    desktop = actor.as_client("claude-desktop")
    current = await change(container, desktop, item, title="from desktop")

    stale_call = (
        change(container, actor, item, title="from code")
        if how == "update"
        else container.work_items.delete(actor=actor, item_id=item.id, version=1)
    )
    with pytest.raises(VersionConflict) as stale:
        await stale_call

    details = stale.value.to_dict()
    assert details["error"] == "version_conflict"
    assert (details["current_version"], details["requested_version"]) == (2, 1)
    assert details["updated_by"] == "claude-desktop"
    assert details["updated_at"] == current.updated_at.isoformat()
    assert await fetch(container, actor, item) == current
