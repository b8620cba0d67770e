"""Archived work items over MCP: gone from every active call, listed on request with
include_archived, and brought back whole by update_work_item with deleted=false."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from tests.services.work_items import archive
from tests.support.mcp import Connect, call, pick, refused, task, total
from workledger.container import Container
from workledger.schemas.common import Actor

OLD_TITLES = {"Old project", "Old task", "Old subtask"}


async def closed_tree(client: Client) -> tuple[dict[str, Any], ...]:
    """A completed project, a completed task below it and a completed subtask below that,
    which blocks on the task."""
    project = await call(
        client, "create_work_item", item_type="project", title="Old project", status="completed"
    )
    parent = await task(client, "Old task", parent_id=project["id"], status="completed")
    blocks = [{"depends_on_id": parent["id"], "dependency_type": "blocks"}]
    leaf = await task(
        client, "Old subtask", parent_id=parent["id"], status="completed", dependencies=blocks
    )
    return project, parent, leaf


async def with_archived(client: Client, **query: Any) -> dict[str, dict[str, Any]]:
    """The summaries list_work_items gives with include_archived=true, by title."""
    page = await call(client, "list_work_items", query, include_archived=True, limit=100)
    return {item["title"]: item for item in page["items"]}


def anonymised(error: dict[str, Any], item_id: str) -> dict[str, Any]:
    return dict(json.loads(json.dumps(error, sort_keys=True).replace(item_id, "<id>")))


async def test_archived_items_answer_not_found_to_every_active_call(
    connect: Connect, container: Container, actor: Actor
) -> None:
    async with connect(actor) as client:
        project, parent, leaf = await closed_tree(client)
        await call(client, "query_work_item", id=project["id"], include_hierarchy=True)
        assert await archive(container, actor) == 3

        for item in (project, parent, leaf):
            for query in ({}, {"include_deleted": True}, {"include_hierarchy": True}):
                error = await refused(client, "query_work_item", query, id=item["id"])
                assert error["error"] == "not_found", (item["title"], query)
        for change in ({"title": "renamed"}, {"deleted": True}):
            args = {"id": leaf["id"], "version": leaf["version"], **change}
            assert (await refused(client, "update_work_item", args))["error"] == "not_found"
        below = await refused(
            client, "create_work_item", item_type="task", title="new", parent_id=parent["id"]
        )
        assert below["error"] == "not_found"
        with pytest.raises(MCPError) as gone:
            await client.read_resource(f"workledger://work-items/{leaf['id']}")
        assert "not found" in gone.value.error.message


async def test_include_archived_lists_them_with_archived_at_and_counts_them(
    connect: Connect, container: Container, actor: Actor
) -> None:
    async with connect(actor) as client:
        project, _, _ = await closed_tree(client)
        await task(client, "Still open")
        await archive(container, actor)

        active = await call(client, "list_work_items")
        assert ([i["title"] for i in active["items"]], active["total_count"]) == (["Still open"], 1)
        everything = await with_archived(client)
        assert set(everything) == {*OLD_TITLES, "Still open"}
        assert everything["Still open"].get("archived_at") is None
        for title in OLD_TITLES:
            assert everything[title]["archived_at"] is not None, title
            assert pick(everything[title], "status", "version") == ("completed", 1)

        assert await total(client, include_archived=True) == 4
        assert await total(client, status="completed") == 0
        assert await total(client, status="completed", include_archived=True) == 3
        assert await total(client, parent_id=project["id"]) == 0
        assert await total(client, parent_id=project["id"], include_archived=True) == 1


async def test_restore_brings_back_the_whole_subtree_with_its_dependencies(
    connect: Connect, container: Container, actor: Actor
) -> None:
    async with connect(actor) as client:
        keeper = await task(client, "Still open")
        project, parent, leaf = await closed_tree(client)
        needs_keeper = [{"depends_on_id": keeper["id"], "dependency_type": "depends_on"}]
        await call(
            client, "update_work_item", id=parent["id"], version=1, dependencies=needs_keeper
        )
        await archive(container, actor)

        version = (await with_archived(client))["Old project"]["version"]
        restore = {"id": project["id"], "version": version, "deleted": False}
        restored = await call(client, "update_work_item", restore)
        assert pick(restored, "id", "version", "status", "archived_at") == (
            project["id"],
            version + 1,
            "completed",
            None,
        )

        tree = await call(client, "query_work_item", id=project["id"], include_hierarchy=True)
        assert [pick(node, "id", "depth", "parent_id") for node in tree["descendants"]] == [
            (parent["id"], 1, project["id"]),
            (leaf["id"], 2, parent["id"]),
        ]
        blocks = [{"depends_on_id": parent["id"], "dependency_type": "blocks"}]
        assert (await call(client, "query_work_item", id=leaf["id"]))["dependencies"] == blocks
        back = await call(client, "query_work_item", id=parent["id"])
        assert back["dependencies"] == needs_keeper
        assert await total(client) == 4
        assert await total(client, status="completed") == 3
        assert [i.get("archived_at") for i in (await with_archived(client)).values()] == [None] * 4


async def test_a_deleted_subtree_is_archived_and_restored_live(
    connect: Connect, container: Container, actor: Actor
) -> None:
    async with connect(actor) as client:
        root = await call(client, "create_work_item", item_type="project", title="Dropped")
        child = await task(client, "Dropped child", parent_id=root["id"])
        delete = {"id": root["id"], "version": 1, "deleted": True, "cascade": True}
        deleted = await call(client, "update_work_item", delete)
        assert await archive(container, actor) == 2

        assert await total(client, include_deleted=True) == 0
        assert await with_archived(client) == {}
        hidden = await with_archived(client, include_deleted=True)
        assert set(hidden) == {"Dropped", "Dropped child"}
        assert all(i["deleted_at"] and i["archived_at"] for i in hidden.values())

        restore = {"id": root["id"], "version": deleted["version"], "deleted": False}
        assert (await call(client, "update_work_item", restore))["deleted_at"] is None
        back = await call(client, "query_work_item", id=child["id"])
        assert pick(back, "deleted_at", "parent_id") == (None, root["id"])
        assert await total(client) == 2


async def test_restoring_with_a_stale_version_is_a_version_conflict(
    connect: Connect, container: Container, actor: Actor
) -> None:
    async with connect(actor) as client:
        item = await task(client, "Done", status="completed")
        await call(client, "update_work_item", id=item["id"], version=1, tags=["shipped"])
        await archive(container, actor)

        stale = {"id": item["id"], "version": 1, "deleted": False}
        error = await refused(client, "update_work_item", stale)
        assert error["error"] == "version_conflict"
        expected = (2, 1, "claude-code")
        assert pick(error, "current_version", "requested_version", "updated_by") == expected

        assert (await refused(client, "query_work_item", id=item["id"]))["error"] == "not_found"
        still = (await with_archived(client))["Done"]
        assert still["archived_at"] is not None
        assert pick(still, "version", "tags") == (2, ["shipped"])


# item id -> (tool, arguments): run with another account's archived id, then a random one
ADDRESSED: list[Callable[[str], tuple[str, dict[str, Any]]]] = [
    lambda i: ("query_work_item", {"id": i}),
    lambda i: ("query_work_item", {"id": i, "include_deleted": True}),
    lambda i: ("query_work_item", {"id": i, "include_hierarchy": True}),
    lambda i: ("update_work_item", {"id": i, "version": 1, "deleted": False}),
    lambda i: ("update_work_item", {"id": i, "version": 1, "title": "mine"}),
    lambda i: ("create_work_item", {"item_type": "task", "title": "t", "parent_id": i}),
    lambda i: (
        "create_work_item",
        {"item_type": "task", "title": "t", "dependencies": [{"depends_on_id": i}]},
    ),
]


async def test_another_accounts_archived_id_is_refused_like_a_random_one(
    connect: Connect, container: Container, actor: Actor, other_actor: Actor
) -> None:
    async with connect(actor) as client, connect(other_actor) as stranger:
        theirs = (await task(stranger, "Bob's old", status="completed"))["id"]
        assert await archive(container, other_actor) == 1
        missing = str(uuid.uuid4())

        for case in ADDRESSED:
            foreign = await refused(client, *case(theirs))
            unknown = await refused(client, *case(missing))
            assert foreign["error"] == "not_found", case(theirs)
            assert anonymised(foreign, theirs) == anonymised(unknown, missing), case(theirs)
        for query in ({"parent_id": theirs}, {"search": "Bob"}, {}):
            listed = await call(client, "list_work_items", query, include_archived=True)
            assert pick(listed, "items", "total_count") == ([], 0), query

        untouched = (await with_archived(stranger))["Bob's old"]
        assert untouched["archived_at"] is not None
        assert untouched["version"] == 1


async def test_restoring_below_an_archived_parent_is_a_conflict_that_changes_nothing(
    connect: Connect, container: Container, actor: Actor
) -> None:
    async with connect(actor) as client:
        _, parent, _ = await closed_tree(client)
        await archive(container, actor)
        before = await with_archived(client)

        restore = {"id": parent["id"], "version": before["Old task"]["version"], "deleted": False}
        error = await refused(client, "update_work_item", restore)
        assert error["error"] == "conflict"
        assert "restore the parent first" in error["message"]

        assert await with_archived(client) == before
        assert (await refused(client, "query_work_item", id=parent["id"]))["error"] == "not_found"
        assert await total(client) == 0


async def test_the_status_report_no_longer_shows_an_archived_item(
    connect: Connect, container: Container, actor: Actor
) -> None:
    async with connect(actor) as client:
        await call(
            client, "create_work_item", item_type="project", title="Old project", status="completed"
        )
        await task(client, "Still open")
        before = await call(client, "get_project_status")
        assert "Old project" in before["markdown"]
        assert before["counts"]["work_items"] == 2

        await archive(container, actor)
        after = await call(client, "get_project_status")
        assert "Old project" not in after["markdown"]
        assert "Still open" in after["markdown"]
        assert pick(after["counts"], "work_items", "work_items_completed") == (1, 0)
        resource = (await client.read_resource("workledger://status")).contents[0]
        assert "Old project" not in resource.text
        assert "Still open" in resource.text
