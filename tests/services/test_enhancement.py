"""Enhancements: planned work with priority, status, quarter and acyclic dependencies."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import pytest

from workledger.container import Container
from workledger.errors import Conflict, NotFound, ValidationError, VersionConflict
from workledger.schemas.common import Actor
from workledger.schemas.enhancement import (
    EnhancementCreate,
    EnhancementListQuery,
    EnhancementRead,
    EnhancementUpdate,
)


async def create(container: Container, actor: Actor, title: str, **fields: Any) -> EnhancementRead:
    return await container.enhancements.create(
        actor=actor, data=EnhancementCreate.load({"title": title, **fields})
    )


async def update(
    container: Container, actor: Actor, enhancement: EnhancementRead, **fields: Any
) -> EnhancementRead:
    return await container.enhancements.update(
        actor=actor,
        enhancement_id=enhancement.id,
        data=EnhancementUpdate.load({"version": enhancement.version, **fields}),
    )


async def get(container: Container, actor: Actor, enhancement: EnhancementRead) -> EnhancementRead:
    return await container.enhancements.get(actor=actor, enhancement_id=enhancement.id)


async def titles(container: Container, actor: Actor, **query: Any) -> list[str]:
    page = await container.enhancements.list(actor=actor, query=EnhancementListQuery.load(query))
    assert page.total_count >= len(page.items)
    return [e.title for e in page.items]


# --- create, read, update, delete ---------------------------------------------------------


async def test_an_enhancement_is_stored_as_given(container: Container, actor: Actor) -> None:
    created = await create(
        container,
        actor,
        "Streaming import",
        description="Import large files in chunks",
        priority="high",
        status="approved",
        target_quarter="2026-Q3",
        constitutional_principles=["small steps", "tests first"],
    )

    assert (created.title, created.description) == (
        "Streaming import",
        "Import large files in chunks",
    )
    assert (created.priority, created.status, created.target_quarter) == (
        "high",
        "approved",
        "2026-Q3",
    )
    assert created.constitutional_principles == ["small steps", "tests first"]
    assert (created.version, created.created_by, created.depends_on) == (1, actor.client, [])
    assert await get(container, actor, created) == created


async def test_a_new_enhancement_is_planned_at_medium_priority(
    container: Container, actor: Actor
) -> None:
    created = await create(container, actor, "Plain")

    assert (created.priority, created.status, created.target_quarter) == ("medium", "planned", None)


async def test_an_update_changes_only_what_was_sent(container: Container, actor: Actor) -> None:
    created = await create(container, actor, "Idea", priority="low", target_quarter="2026-Q1")
    agent = actor.as_client("claude-code")

    updated = await update(container, agent, created, status="implementing", priority="critical")

    assert (updated.status, updated.priority, updated.target_quarter) == (
        "implementing",
        "critical",
        "2026-Q1",
    )
    assert (updated.version, updated.updated_by, updated.title) == (2, "claude-code", "Idea")
    assert await get(container, actor, created) == updated


async def test_the_description_and_quarter_can_be_cleared(
    container: Container, actor: Actor
) -> None:
    created = await create(container, actor, "Idea", description="d", target_quarter="2026-Q2")

    updated = await update(container, actor, created, description=None, target_quarter=None)

    assert (updated.description, updated.target_quarter) == (None, None)


async def test_a_stale_version_is_refused_and_changes_nothing(
    container: Container, actor: Actor
) -> None:
    created = await create(container, actor, "Idea")
    desktop = actor.as_client("claude-desktop")
    winner = await update(container, desktop, created, title="Better idea")

    with pytest.raises(VersionConflict) as caught:
        await update(container, actor, created, title="Worse idea")

    details = caught.value.to_dict()
    assert (details["current_version"], details["requested_version"]) == (2, 1)
    assert details["updated_by"] == "claude-desktop"
    assert await get(container, actor, created) == winner


async def test_delete_removes_the_enhancement(container: Container, actor: Actor) -> None:
    keep = await create(container, actor, "Keep")
    gone = await create(container, actor, "Gone")

    await container.enhancements.delete(actor=actor, enhancement_id=gone.id, version=1)

    with pytest.raises(NotFound):
        await get(container, actor, gone)
    assert await titles(container, actor) == [keep.title]


async def test_a_delete_with_a_stale_version_keeps_the_enhancement(
    container: Container, actor: Actor
) -> None:
    created = await create(container, actor, "Idea")
    updated = await update(container, actor, created, status="approved")

    with pytest.raises(VersionConflict):
        await container.enhancements.delete(actor=actor, enhancement_id=created.id, version=1)

    assert await get(container, actor, created) == updated


async def test_deleting_a_dependency_drops_it_from_its_dependents(
    container: Container, actor: Actor
) -> None:
    base = await create(container, actor, "Base")
    other = await create(container, actor, "Other")
    top = await create(container, actor, "Top", depends_on=[str(base.id), str(other.id)])

    await container.enhancements.delete(actor=actor, enhancement_id=base.id, version=1)

    assert (await get(container, actor, top)).depends_on == [other.id]


# --- listing ------------------------------------------------------------------------------


async def test_the_list_puts_critical_first_then_by_quarter(
    container: Container, actor: Actor
) -> None:
    await create(container, actor, "low", priority="low")
    await create(container, actor, "medium", priority="medium")
    await create(container, actor, "high, no quarter", priority="high")
    await create(container, actor, "critical", priority="critical")
    await create(container, actor, "high, 2027-Q1", priority="high", target_quarter="2027-Q1")
    await create(container, actor, "high, 2026-Q4", priority="high", target_quarter="2026-Q4")

    assert await titles(container, actor) == [
        "critical",
        "high, 2026-Q4",
        "high, 2027-Q1",
        "high, no quarter",
        "medium",
        "low",
    ]


async def test_the_list_filters_by_priority_status_and_quarter(
    container: Container, actor: Actor
) -> None:
    await create(
        container, actor, "a", priority="high", status="approved", target_quarter="2026-Q3"
    )
    await create(container, actor, "b", priority="high", status="planned", target_quarter="2026-Q4")
    await create(container, actor, "c", priority="low", status="approved", target_quarter="2026-Q3")
    await create(container, actor, "d", priority="low", status="completed")

    assert await titles(container, actor, priority="high") == ["a", "b"]
    assert await titles(container, actor, status="approved") == ["a", "c"]
    assert await titles(container, actor, target_quarter="2026-Q3") == ["a", "c"]
    assert await titles(container, actor, priority="low", status="approved") == ["c"]
    assert await titles(container, actor, status="implementing") == []


async def test_the_list_pages_with_limit_and_offset(container: Container, actor: Actor) -> None:
    for n in range(5):
        await create(container, actor, f"idea {n}")

    first = await container.enhancements.list(
        actor=actor, query=EnhancementListQuery.load({"limit": 2})
    )
    last = await container.enhancements.list(
        actor=actor, query=EnhancementListQuery.load({"limit": 2, "offset": 4})
    )

    assert (len(first.items), first.total_count, first.has_more) == (2, 5, True)
    assert ([e.title for e in last.items], last.total_count, last.has_more) == (
        ["idea 4"],
        5,
        False,
    )


# --- dependencies -------------------------------------------------------------------------


async def test_dependencies_are_stored_and_replaced(container: Container, actor: Actor) -> None:
    first = await create(container, actor, "First")
    second = await create(container, actor, "Second")
    top = await create(container, actor, "Top", depends_on=[str(first.id)])

    replaced = await update(container, actor, top, depends_on=[str(second.id)])

    assert top.depends_on == [first.id]
    assert replaced.depends_on == [second.id]
    assert (await get(container, actor, top)).depends_on == [second.id]


async def test_depending_on_itself_is_refused(container: Container, actor: Actor) -> None:
    created = await create(container, actor, "Selfish")

    with pytest.raises(ValidationError) as caught:
        await update(container, actor, created, depends_on=[str(created.id)])

    assert [e.field for e in caught.value.errors] == ["depends_on"]
    assert await get(container, actor, created) == created


async def test_depending_on_a_missing_enhancement_is_not_found(
    container: Container, actor: Actor
) -> None:
    real = await create(container, actor, "Real")
    ghost = uuid.uuid4()

    with pytest.raises(NotFound) as caught:
        await create(container, actor, "Hopeful", depends_on=[str(real.id), str(ghost)])

    assert caught.value.to_dict()["missing"] == [str(ghost)]
    assert await titles(container, actor) == ["Real"]


@pytest.mark.parametrize("length", [2, 3])
async def test_a_dependency_closing_a_cycle_is_a_conflict(
    container: Container, actor: Actor, length: int
) -> None:
    chain = [await create(container, actor, "E0")]
    for n in range(1, length):
        chain.append(await create(container, actor, f"E{n}", depends_on=[str(chain[-1].id)]))
    first = chain[0]

    with pytest.raises(Conflict) as caught:
        await update(container, actor, first, depends_on=[str(chain[-1].id)], title="renamed")

    assert caught.value.to_dict()["field"] == "depends_on"
    assert await get(container, actor, first) == first
    for earlier, later in itertools.pairwise(chain):
        assert (await get(container, actor, later)).depends_on == [earlier.id]


async def test_the_same_dependency_twice_is_refused(container: Container, actor: Actor) -> None:
    base = await create(container, actor, "Base")

    with pytest.raises(ValidationError):
        await create(container, actor, "Twice", depends_on=[str(base.id), str(base.id)])

    assert await titles(container, actor) == ["Base"]


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"target_quarter": "2026-Q0"}, "target_quarter"),
        ({"target_quarter": "2026-Q5"}, "target_quarter"),
        ({"target_quarter": "26-Q1"}, "target_quarter"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "t" * 201}, "title"),
        ({"description": "d" * 5001}, "description"),
        ({"priority": "urgent"}, "priority"),
        ({"status": "dreaming"}, "status"),
        ({"owner": "me"}, "owner"),
    ],
)
async def test_bad_enhancement_input_names_the_field_and_stores_nothing(
    container: Container, actor: Actor, fields: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await container.enhancements.create(
            actor=actor, data=EnhancementCreate.load({"title": "Idea", **fields})
        )

    assert field in [e.field for e in caught.value.errors]
    assert await titles(container, actor) == []


@pytest.mark.parametrize("fields", [{"target_quarter": "2026-Q0"}, {"status": None}])
async def test_a_bad_update_leaves_the_enhancement_unchanged(
    container: Container, actor: Actor, fields: dict[str, Any]
) -> None:
    created = await create(container, actor, "Idea", target_quarter="2026-Q1")

    with pytest.raises(ValidationError) as caught:
        await update(container, actor, created, **fields)

    assert [e.field for e in caught.value.errors] == list(fields)
    assert await get(container, actor, created) == created


# --- isolation ----------------------------------------------------------------------------


async def test_another_accounts_enhancements_behave_as_missing(
    container: Container, actor: Actor, other_actor: Actor
) -> None:
    mine = await create(container, actor, "Mine", priority="critical")

    with pytest.raises(NotFound):
        await get(container, other_actor, mine)
    with pytest.raises(NotFound):
        await update(container, other_actor, mine, title="Stolen")
    with pytest.raises(NotFound):
        await container.enhancements.delete(actor=other_actor, enhancement_id=mine.id, version=1)
    with pytest.raises(NotFound):
        await create(container, other_actor, "Theirs", depends_on=[str(mine.id)])
    assert await titles(container, other_actor) == []
    assert await get(container, actor, mine) == mine
