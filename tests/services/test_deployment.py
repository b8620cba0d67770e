"""Deployments: recorded once per PR and commit, with their links, listed newest first."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from workledger.container import Container
from workledger.errors import NotFound, ValidationError
from workledger.schemas.common import Actor
from workledger.schemas.deployment import DeploymentCreate, DeploymentListQuery, DeploymentRead
from workledger.schemas.vendor import VendorCreate, VendorRead
from workledger.schemas.work_item import WorkItemCreate, WorkItemRead, WorkItemUpdate

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def commit(n: int) -> str:
    return f"{n:040x}"


async def record(container: Container, actor: Actor, **fields: Any) -> DeploymentRead:
    raw = {"pr_number": 1, "pr_title": "Ship it", "commit_hash": commit(1), **fields}
    return await container.deployments.record(actor=actor, data=DeploymentCreate.load(raw))


async def listed(container: Container, actor: Actor, **query: Any) -> tuple[list[int], int]:
    """PR numbers of the page, in order, and the total count."""
    page = await container.deployments.list(actor=actor, query=DeploymentListQuery.load(query))
    return [d.pr_number for d in page.items], page.total_count


async def vendor(container: Container, actor: Actor, name: str, **fields: Any) -> VendorRead:
    return await container.vendors.create(
        actor=actor, data=VendorCreate.load({"name": name, **fields})
    )


async def task(container: Container, actor: Actor, title: str, **fields: Any) -> WorkItemRead:
    return await container.work_items.create(
        actor=actor, data=WorkItemCreate.load({"item_type": "task", "title": title, **fields})
    )


async def nothing_recorded(container: Container, actor: Actor) -> bool:
    return await listed(container, actor) == ([], 0)


# --- scenario 3 ---------------------------------------------------------------------------


async def test_a_deployment_is_stored_with_every_link_and_named_links(
    container: Container, actor: Actor
) -> None:
    vendors = [
        await vendor(container, actor, "acme"),
        await vendor(container, actor, "globex", status="broken"),
        await vendor(container, actor, "initech"),
    ]
    items = [
        await task(container, actor, "Fix parser"),
        await task(container, actor, "Add OCR", status="blocked"),
    ]

    deployment = await record(
        container,
        actor,
        pr_number=42,
        pr_title="Vendor fixes",
        commit_hash="ABCDEF0123456789ABCDEF0123456789ABCDEF01",
        deployed_at="2026-03-01T12:00:00Z",
        test_summary={"unit": 120, "integration": 30},
        constitutional_compliance=True,
        vendor_ids=[str(v.id) for v in vendors],
        work_item_ids=[str(i.id) for i in items],
    )

    assert deployment.created is True
    assert (deployment.pr_number, deployment.pr_title) == (42, "Vendor fixes")
    assert deployment.commit_hash == "abcdef0123456789abcdef0123456789abcdef01"
    assert deployment.deployed_at == T0
    assert deployment.test_summary == {"unit": 120, "integration": 30}
    assert deployment.constitutional_compliance is True
    assert {(v.id, v.name, v.status) for v in deployment.affected_vendors} == {
        (v.id, v.name, v.status) for v in vendors
    }
    assert {(i.id, i.title, i.status) for i in deployment.related_work_items} == {
        (i.id, i.title, i.status) for i in items
    }
    assert set(deployment.vendor_ids) == {v.id for v in vendors}
    assert set(deployment.work_item_ids) == {i.id for i in items}
    stored = await container.deployments.get(actor=actor, deployment_id=deployment.id)
    assert stored.model_dump(exclude={"created"}) == deployment.model_dump(exclude={"created"})


async def test_recording_the_same_pr_and_commit_again_returns_the_first_record(
    container: Container, actor: Actor
) -> None:
    acme = await vendor(container, actor, "acme")
    first = await record(container, actor, pr_number=7, pr_title="First", vendor_ids=[acme.id])

    again = await record(
        container,
        actor,
        pr_number=7,
        pr_title="Second attempt",
        commit_hash=commit(1).upper(),
        test_summary={"unit": 1},
    )

    assert again.created is False
    assert again.model_dump(exclude={"created"}) == first.model_dump(exclude={"created"})
    assert again.pr_title == "First"
    assert [v.name for v in again.affected_vendors] == ["acme"]
    assert await listed(container, actor) == ([7], 1)


async def test_ten_identical_recordings_at_once_store_one_deployment(
    container: Container, actor: Actor
) -> None:
    acme = await vendor(container, actor, "acme")
    item = await task(container, actor, "Shipped")

    # Ten clients at once, each on its own connection: on PostgreSQL they really race.
    results = await asyncio.gather(
        *(
            record(container, actor, pr_number=9, vendor_ids=[acme.id], work_item_ids=[item.id])
            for _ in range(10)
        ),
        return_exceptions=True,
    )

    failures = [r for r in results if isinstance(r, BaseException)]
    assert failures == []
    recorded = [r for r in results if isinstance(r, DeploymentRead)]
    assert sorted(r.created for r in recorded) == [False] * 9 + [True]
    assert len({r.id for r in recorded}) == 1
    assert all([v.name for v in r.affected_vendors] == ["acme"] for r in recorded)
    assert all([w.title for w in r.related_work_items] == ["Shipped"] for r in recorded)
    assert await listed(container, actor) == ([9], 1)


async def test_the_same_pr_with_another_commit_is_a_new_deployment(
    container: Container, actor: Actor
) -> None:
    first = await record(container, actor, pr_number=7, commit_hash=commit(1))
    second = await record(container, actor, pr_number=7, commit_hash=commit(2))

    assert second.created is True
    assert second.id != first.id
    assert (await listed(container, actor))[1] == 2


async def test_vendors_can_be_linked_by_name(container: Container, actor: Actor) -> None:
    acme = await vendor(container, actor, "acme")
    globex = await vendor(container, actor, "globex")

    deployment = await record(container, actor, vendor_names=["globex", "acme"])

    assert [(v.id, v.name) for v in deployment.affected_vendors] == [
        (acme.id, "acme"),
        (globex.id, "globex"),
    ]


# --- missing links ------------------------------------------------------------------------


async def test_an_unknown_vendor_id_is_not_found_and_nothing_is_stored(
    container: Container, actor: Actor
) -> None:
    real = await vendor(container, actor, "acme")
    ghost = uuid.uuid4()

    with pytest.raises(NotFound) as caught:
        await record(container, actor, vendor_ids=[real.id, ghost])

    assert caught.value.to_dict()["missing"] == [str(ghost)]
    assert str(ghost) in caught.value.message
    assert await nothing_recorded(container, actor)


async def test_an_unknown_vendor_name_is_not_found_and_nothing_is_stored(
    container: Container, actor: Actor
) -> None:
    await vendor(container, actor, "acme")

    with pytest.raises(NotFound) as caught:
        await record(container, actor, vendor_names=["acme", "ghost", "phantom"])

    assert caught.value.to_dict()["missing"] == ["ghost", "phantom"]
    assert await nothing_recorded(container, actor)


async def test_an_unknown_linked_item_is_not_found_and_nothing_is_stored(
    container: Container, actor: Actor
) -> None:
    real = await task(container, actor, "Real")
    ghost = uuid.uuid4()

    with pytest.raises(NotFound) as caught:
        await record(container, actor, work_item_ids=[ghost, real.id])

    assert caught.value.to_dict()["missing"] == [str(ghost)]
    assert caught.value.to_dict()["field"] == "work_item_ids"
    assert await nothing_recorded(container, actor)


async def test_another_accounts_vendor_or_item_is_not_found(
    container: Container, actor: Actor, other_actor: Actor
) -> None:
    theirs = await vendor(container, other_actor, "secret")
    their_task = await task(container, other_actor, "Their task")

    with pytest.raises(NotFound) as by_id:
        await record(container, actor, vendor_ids=[theirs.id])
    with pytest.raises(NotFound):
        await record(container, actor, vendor_names=["secret"])
    with pytest.raises(NotFound):
        await record(container, actor, work_item_ids=[their_task.id])

    assert by_id.value.to_dict()["missing"] == [str(theirs.id)]
    assert await nothing_recorded(container, actor)
    assert await nothing_recorded(container, other_actor)


async def test_a_deleted_item_cannot_be_linked(container: Container, actor: Actor) -> None:
    item = await task(container, actor, "Gone")
    await container.work_items.update(
        actor=actor, item_id=item.id, data=WorkItemUpdate.load({"version": 1, "deleted": True})
    )

    with pytest.raises(NotFound) as caught:
        await record(container, actor, work_item_ids=[item.id])

    assert caught.value.to_dict()["missing"] == [str(item.id)]
    assert await nothing_recorded(container, actor)


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"commit_hash": "abc123"}, "commit_hash"),
        ({"commit_hash": "g" * 40}, "commit_hash"),
        ({"commit_hash": "a" * 41}, "commit_hash"),
        ({"pr_number": 0}, "pr_number"),
        ({"pr_title": "   "}, "pr_title"),
        ({"pr_title": ""}, "pr_title"),
        ({"pr_title": "t" * 201}, "pr_title"),
        ({"test_summary": {"unit": -1}}, "test_summary.unit"),
        ({"shipped_by": "me"}, "shipped_by"),
    ],
)
async def test_bad_deployment_input_names_the_field_and_stores_nothing(
    container: Container, actor: Actor, fields: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await record(container, actor, **fields)

    assert field in [e.field for e in caught.value.errors]
    assert await nothing_recorded(container, actor)


async def test_the_same_vendor_twice_is_refused(container: Container, actor: Actor) -> None:
    acme = await vendor(container, actor, "acme")

    with pytest.raises(ValidationError) as caught:
        await record(container, actor, vendor_ids=[acme.id, acme.id])

    assert "vendor_ids" in [e.field for e in caught.value.errors]
    assert await nothing_recorded(container, actor)


async def test_the_same_linked_item_twice_is_refused(container: Container, actor: Actor) -> None:
    item = await task(container, actor, "Once")

    with pytest.raises(ValidationError) as caught:
        await record(container, actor, work_item_ids=[item.id, item.id])

    assert "work_item_ids" in [e.field for e in caught.value.errors]
    assert await nothing_recorded(container, actor)


# --- listing ------------------------------------------------------------------------------


async def test_the_list_is_newest_first_whatever_the_recording_order(
    container: Container, actor: Actor
) -> None:
    for pr, hours in [(1, 2), (2, 0), (3, 5), (4, 1)]:
        await record(container, actor, pr_number=pr, deployed_at=T0 + timedelta(hours=hours))

    assert await listed(container, actor) == ([3, 1, 4, 2], 4)


async def test_the_list_filters_by_vendor_and_by_linked_item(
    container: Container, actor: Actor
) -> None:
    acme = await vendor(container, actor, "acme")
    globex = await vendor(container, actor, "globex")
    item = await task(container, actor, "Linked")
    await record(container, actor, pr_number=1, vendor_ids=[acme.id], deployed_at=T0)
    await record(
        container,
        actor,
        pr_number=2,
        vendor_ids=[acme.id, globex.id],
        work_item_ids=[item.id],
        deployed_at=T0 + timedelta(hours=1),
    )
    await record(container, actor, pr_number=3, deployed_at=T0 + timedelta(hours=2))

    assert await listed(container, actor, vendor_id=acme.id) == ([2, 1], 2)
    assert await listed(container, actor, vendor_id=globex.id) == ([2], 1)
    assert await listed(container, actor, work_item_id=item.id) == ([2], 1)
    assert await listed(container, actor, vendor_id=globex.id, work_item_id=item.id) == ([2], 1)
    assert await listed(container, actor, vendor_id=uuid.uuid4()) == ([], 0)


async def test_the_list_filters_by_time_window_inclusively(
    container: Container, actor: Actor
) -> None:
    for day in range(5):
        await record(container, actor, pr_number=day + 1, deployed_at=T0 + timedelta(days=day))

    since = T0 + timedelta(days=1)
    until = T0 + timedelta(days=3)
    assert await listed(container, actor, since=since) == ([5, 4, 3, 2], 4)
    assert await listed(container, actor, until=until) == ([4, 3, 2, 1], 4)
    assert await listed(container, actor, since=since, until=until) == ([4, 3, 2], 3)
    assert await listed(container, actor, since="2026-03-02T13:00:00+01:00") == ([5, 4, 3, 2], 4)


async def test_cursor_paging_walks_every_deployment_exactly_once(
    container: Container, actor: Actor
) -> None:
    # Five share one timestamp, so the cursor must break ties consistently.
    times = [T0] * 5 + [T0 + timedelta(minutes=m) for m in (1, 2, 3, 4, 5, 6)]
    for pr, at in enumerate(times, start=1):
        await record(container, actor, pr_number=pr, deployed_at=at)
    everything, total = await listed(container, actor, limit=100)

    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        query = DeploymentListQuery.load({"limit": 3, "cursor": cursor})
        page = await container.deployments.list(actor=actor, query=query)
        pages += 1
        assert page.total_count == 11
        seen.extend(d.pr_number for d in page.items)
        if not page.has_more:
            assert page.next_cursor is None
            break
        cursor = page.next_cursor
        assert cursor is not None

    assert total == 11
    assert pages == 4
    assert seen == everything
    assert sorted(seen) == list(range(1, 12))
    assert seen[:6] == [11, 10, 9, 8, 7, 6]


async def test_a_forged_cursor_is_a_validation_error(container: Container, actor: Actor) -> None:
    await record(container, actor)

    with pytest.raises(ValidationError) as caught:
        await listed(container, actor, cursor="not-a-cursor")

    assert [e.field for e in caught.value.errors] == ["cursor"]


@pytest.mark.parametrize("limit", [0, 101])
async def test_the_page_limit_is_bounded(limit: int) -> None:
    with pytest.raises(ValidationError) as caught:
        DeploymentListQuery.load({"limit": limit})

    assert [e.field for e in caught.value.errors] == ["limit"]


async def test_another_account_sees_no_deployment(
    container: Container, actor: Actor, other_actor: Actor
) -> None:
    acme = await vendor(container, actor, "acme")
    mine = await record(container, actor, vendor_ids=[acme.id])

    assert await listed(container, other_actor) == ([], 0)
    assert await listed(container, other_actor, vendor_id=acme.id) == ([], 0)
    with pytest.raises(NotFound):
        await container.deployments.get(actor=other_actor, deployment_id=mine.id)


async def test_the_same_pr_and_commit_in_another_account_is_its_own_record(
    container: Container, actor: Actor, other_actor: Actor
) -> None:
    mine = await record(container, actor, pr_title="Mine")

    theirs = await record(container, other_actor, pr_title="Theirs")

    assert theirs.created is True
    assert theirs.id != mine.id
    assert theirs.pr_title == "Theirs"
    assert await listed(container, actor) == ([1], 1)
