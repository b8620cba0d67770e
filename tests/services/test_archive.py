"""Archiving moves whole closed subtrees out of every active query, and back on restore."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from tests.conftest import make_settings
from tests.services.work_items import A_YEAR_ON, archive, change, fetch, make
from workledger.container import Container
from workledger.db.advisory_lock import AdvisoryLock
from workledger.db.types import utcnow
from workledger.errors import Conflict, NotFound
from workledger.models import WorkItem
from workledger.schemas.common import Actor
from workledger.schemas.deployment import DeploymentCreate
from workledger.schemas.work_item import WorkItemListQuery, WorkItemRead
from workledger.services.archive import ARCHIVER_LOCK_KEY


async def listed(container: Container, actor: Actor, **query: object) -> dict[str, object]:
    page = await container.work_items.list(
        actor=actor, query=WorkItemListQuery.load({"limit": 100, **query})
    )
    return {item.title: item.archived_at for item in page.items}


async def closed_tree(container: Container, actor: Actor) -> tuple[WorkItemRead, ...]:
    """A completed project with a completed task and a completed subtask below it."""
    project = await make(container, actor, "Old project", item_type="project", status="completed")
    task = await make(container, actor, "Old task", parent_id=project.id, status="completed")
    subtask = await make(container, actor, "Old subtask", parent_id=task.id, status="completed")
    return project, task, subtask


async def test_a_closed_subtree_leaves_every_active_query_and_comes_back_whole(
    container: Container, actor: Actor
) -> None:
    project, task, subtask = await closed_tree(container, actor)
    await change(container, actor, subtask, dependencies=[{"depends_on_id": str(task.id)}])
    keeper = await make(container, actor, "Still open")

    assert await archive(container, actor) == 3

    for item in (project, task, subtask):
        with pytest.raises(NotFound):
            await container.work_items.get(actor=actor, item_id=item.id, include_deleted=True)
    assert await listed(container, actor) == {"Still open": None}
    everything = await listed(container, actor, include_archived=True)
    assert set(everything) == {"Still open", "Old project", "Old task", "Old subtask"}
    assert everything["Old task"] is not None
    assert everything["Still open"] is None
    report = await container.status.report(actor=actor)
    assert "Old project" not in report.markdown
    assert report.counts.work_items == 1

    restored = await container.work_items.restore(actor=actor, item_id=project.id)
    assert (restored.id, restored.version) == (project.id, project.version + 1)
    tree = await container.work_items.get_hierarchy(actor=actor, item_id=project.id)
    assert [(d.title, d.depth) for d in tree.descendants or []] == [
        ("Old task", 1),
        ("Old subtask", 2),
    ]
    back = await fetch(container, actor, subtask)
    assert [d.depends_on_id for d in back.dependencies] == [task.id]
    assert await listed(container, actor, include_archived=True) == dict.fromkeys(
        ["Old project", "Old task", "Old subtask", "Still open"]
    )
    assert (await container.status.report(actor=actor)).counts.work_items == 4
    assert keeper.id in {
        i.id
        for i in (
            await container.work_items.list(
                actor=actor, query=WorkItemListQuery.load({"status": "active"})
            )
        ).items
    }


async def test_only_subtrees_closed_throughout_and_untouched_long_enough_move(
    container: Container, actor: Actor
) -> None:
    parent = await make(container, actor, "Open parent", item_type="project")
    done = await make(container, actor, "Done below open", parent_id=parent.id, status="completed")
    mixed = await make(container, actor, "Done with open child", status="completed")
    await make(container, actor, "Open child", parent_id=mixed.id)
    await make(container, actor, "Done root", status="completed")

    assert await archive(container, actor, days=400) == 0  # not untouched for 400 days yet
    assert await archive(container, actor) == 2

    remaining = await listed(container, actor)
    assert set(remaining) == {"Open parent", "Done with open child", "Open child"}
    # The archived child of a live parent returns to it.
    await container.work_items.restore(actor=actor, item_id=done.id)
    tree = await container.work_items.get_hierarchy(actor=actor, item_id=parent.id)
    assert [d.title for d in tree.descendants or []] == ["Done below open"]


async def test_a_recently_closed_child_keeps_its_old_parent_out_of_the_archive(
    container: Container, actor: Actor
) -> None:
    project, task, _ = await closed_tree(container, actor)
    # Parent and task were closed a year ago; the subtask was completed just now.
    async with container.db.transaction() as session:
        await session.execute(
            update(WorkItem)
            .where(WorkItem.id.in_([project.id, task.id]))
            .values(updated_at=utcnow() - A_YEAR_ON)
        )

    result = await container.archive.archive(older_than_days=365, ledger_id=actor.ledger_id)

    assert result.work_items == 0
    assert set(await listed(container, actor)) == {"Old project", "Old task", "Old subtask"}
    assert await listed(container, actor, include_archived=True) == dict.fromkeys(
        ["Old project", "Old task", "Old subtask"]
    )


async def test_deleted_subtrees_are_archived_and_restore_live(
    container: Container, actor: Actor
) -> None:
    root = await make(container, actor, "Dropped", item_type="project")
    await make(container, actor, "Dropped child", parent_id=root.id)
    await container.work_items.delete(actor=actor, item_id=root.id, version=1, cascade=True)

    assert await archive(container, actor) == 2
    assert await listed(container, actor, include_deleted=True) == {}

    restored = await container.work_items.restore(actor=actor, item_id=root.id)
    assert restored.deleted_at is None
    assert set(await listed(container, actor)) == {"Dropped", "Dropped child"}


async def test_a_subtree_that_an_open_item_depends_on_stays(
    container: Container, actor: Actor
) -> None:
    needed = await make(container, actor, "Needed", status="completed")
    await make(container, actor, "Depends", dependencies=[{"depends_on_id": str(needed.id)}])
    # Two closed subtrees depending on each other go together.
    first = await make(container, actor, "First", status="completed")
    second = await make(
        container,
        actor,
        "Second",
        status="completed",
        dependencies=[{"depends_on_id": str(first.id)}],
    )

    assert await archive(container, actor) == 2
    assert set(await listed(container, actor)) == {"Needed", "Depends"}
    await container.work_items.restore(actor=actor, item_id=first.id)
    await container.work_items.restore(actor=actor, item_id=second.id)
    back = await fetch(container, actor, second)
    assert [d.depends_on_id for d in back.dependencies] == [first.id]


async def test_restoring_below_an_archived_parent_is_refused(
    container: Container, actor: Actor
) -> None:
    project, task, _ = await closed_tree(container, actor)
    await archive(container, actor)

    with pytest.raises(Conflict, match="restore the parent first"):
        await container.work_items.restore(actor=actor, item_id=task.id)
    assert await listed(container, actor) == {}
    await container.work_items.restore(actor=actor, item_id=project.id)
    assert set(await listed(container, actor)) == {"Old project", "Old task", "Old subtask"}


async def test_restoring_below_a_parent_moved_deeper_stops_at_the_depth_limit(
    container: Container, actor: Actor
) -> None:
    parent = await make(container, actor, "Parent", item_type="project")
    child = await make(container, actor, "Done child", parent_id=parent.id, status="completed")
    await make(container, actor, "Done grandchild", parent_id=child.id, status="completed")
    assert await archive(container, actor) == 2
    above = None
    for level in range(3):  # three levels above the parent's new place: it lands on level 4
        above = (await make(container, actor, f"Level {level}", parent_id=above)).id
    parent = await change(container, actor, await fetch(container, actor, parent), parent_id=above)
    assert parent.depth == 3

    with pytest.raises(Conflict, match="at most 5 levels"):
        await container.work_items.restore(actor=actor, item_id=child.id)

    archived = await listed(container, actor, include_archived=True)
    assert archived["Done child"] is not None
    assert archived["Done grandchild"] is not None
    assert "Done child" not in await listed(container, actor)


async def test_archiving_is_per_account_unless_asked_for_all(
    container: Container, actor: Actor, other_actor: Actor
) -> None:
    mine = await make(container, actor, "Mine", status="completed")
    await make(container, other_actor, "Theirs", status="completed")

    assert await archive(container, actor) == 1
    assert await listed(container, other_actor) == {"Theirs": None}
    with pytest.raises(NotFound):  # another account cannot restore it either
        await container.work_items.restore(actor=other_actor, item_id=mine.id)
    assert await archive(container) == 1
    assert await listed(container, other_actor) == {}


async def test_deployments_still_name_their_archived_work_items(
    container: Container, actor: Actor
) -> None:
    shipped = await make(container, actor, "Shipped", status="completed")
    deployment = await container.deployments.record(
        actor=actor,
        data=DeploymentCreate.load(
            {
                "pr_number": 7,
                "pr_title": "Ship it",
                "commit_hash": "a" * 40,
                "work_item_ids": [str(shipped.id)],
            }
        ),
    )
    await archive(container, actor)

    again = await container.deployments.get(actor=actor, deployment_id=deployment.id)
    assert [w.title for w in again.related_work_items] == ["Shipped"]


async def test_only_one_process_holds_the_archiver_lock_on_postgresql(
    container: Container, database_url: str, backend: str, tmp_path: Path
) -> None:
    # A second container stands for another server process on the same database.
    other_process = Container.from_settings(make_settings(database_url, tmp_path))
    mine = AdvisoryLock(container.db, ARCHIVER_LOCK_KEY)
    theirs = AdvisoryLock(other_process.db, ARCHIVER_LOCK_KEY)
    try:
        assert await mine.held()
        if backend == "postgresql":
            assert not await theirs.held()
            assert await mine.held()  # still ours on the next check
            await mine.release()  # this process stops: the other one takes over
            assert await theirs.held()
            assert not await mine.held()
        else:  # one writer per file anyway: every process may archive
            assert await theirs.held()
    finally:
        await mine.release()
        await theirs.release()
        await other_process.close()


async def test_the_daily_run_archives_at_once_and_keeps_running(
    container: Container, actor: Actor
) -> None:
    await make(container, actor, "Long done", status="completed")
    async with container.db.transaction() as session:
        await session.execute(update(WorkItem).values(updated_at=utcnow() - A_YEAR_ON))

    runner = asyncio.create_task(
        container.archive.run_daily(older_than_days=365, every=timedelta(milliseconds=50))
    )
    try:
        for _ in range(200):
            if not await listed(container, actor):
                break
            await asyncio.sleep(0.05)
        assert await listed(container, actor) == {}
        assert set(await listed(container, actor, include_archived=True)) == {"Long done"}
        assert not runner.done()
    finally:
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
