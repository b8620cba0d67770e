"""Work items over MCP: the everyday calls, the five-level hierarchy (scenario 6), two
agents on one item (scenario 2) and what other clients see (scenario 7)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from mcp import Client, Implementation

from tests.conftest import make_settings
from tests.support.mcp import Connect, call, pick, refused, task, total
from workledger.container import Container
from workledger.mcp.server import WorkledgerMCP
from workledger.schemas.common import Actor


def titles(page: dict[str, Any]) -> list[str]:
    return [item["title"] for item in page["items"]]


async def project(client: Client, title: str, **fields: Any) -> dict[str, Any]:
    return await call(client, "create_work_item", fields, item_type="project", title=title)


async def test_a_work_item_is_created_changed_and_read_back(connect: Connect, actor: Actor) -> None:
    async with connect(actor) as client:
        root = await project(client, "Invoices", metadata={"target_quarter": "2027-Q1"})
        fields = {
            "description": "sum the lines",
            "due_date": "2027-01-15",
            "tags": ["parser", "q1"],
            "branch_name": "feat/totals",
            "commit_hash": "ABCDEF" + "0" * 34,
            "pr_number": 12,
            "metadata": {"estimated_hours": 4, "blocked_reason": "waiting"},
        }
        created = await task(client, "Parse totals", parent_id=root["id"], **fields)
        assert pick(created, "version", "depth", "parent_id") == (1, 1, root["id"])
        assert created["commit_hash"] == "abcdef" + "0" * 34
        assert created["metadata"] == {"estimated_hours": 4, "blocked_reason": "waiting"}
        assert pick(created, "status", "priority", "created_by") == (
            "active",
            "medium",
            "claude-code",
        )
        assert root["metadata"] == {"target_quarter": "2027-Q1"}

        change = {"status": "blocked", "due_date": None, "tags": ["parser"]}
        changed = await call(client, "update_work_item", change, id=created["id"], version=1)
        assert pick(changed, "version", "status", "due_date", "tags") == (
            2,
            "blocked",
            None,
            ["parser"],
        )
        assert pick(changed, "title", "description") == ("Parse totals", "sum the lines")
        read = await call(client, "query_work_item", id=created["id"])
        assert read == {**changed, "ancestors": None, "descendants": None}


async def test_lists_filter_sort_and_page(connect: Connect, actor: Actor) -> None:
    async with connect(actor) as client:
        root = await project(client, "Root")
        await task(client, "Bravo", parent_id=root["id"], tags=["ui"], status="completed")
        await task(client, "Alpha", parent_id=root["id"], tags=["ui"], priority="critical")
        await call(client, "create_work_item", item_type="research", title="Charlie")
        await call(client, "update_work_item", id=root["id"], version=1, description="on Alpha")

        async def listed(**query: Any) -> list[str]:
            return titles(await call(client, "list_work_items", query))

        assert await listed(sort="title") == ["Alpha", "Bravo", "Charlie", "Root"]
        assert await listed(item_type="research") == ["Charlie"]
        assert await listed(status="completed") == ["Bravo"]
        assert await listed(tag="ui", sort="title") == ["Alpha", "Bravo"]
        assert await listed(search="lph") == ["Alpha"]  # in titles only, not descriptions
        assert await listed(root_only=True, sort="title") == ["Charlie", "Root"]
        assert await listed(parent_id=root["id"], sort="priority") == ["Alpha", "Bravo"]

        first = await call(client, "list_work_items", sort="title", limit=3)
        assert titles(first) == ["Alpha", "Bravo", "Charlie"]
        assert pick(first, "total_count", "has_more") == (4, True)
        rest = await call(client, "list_work_items", sort="title", cursor=first["next_cursor"])
        assert (titles(rest), rest["has_more"], rest["next_cursor"]) == (["Root"], False, None)
        exact = await call(client, "list_work_items", limit=4)
        assert pick(exact, "has_more", "next_cursor") == (False, None)
        skipped = await call(client, "list_work_items", sort="title", offset=2)
        assert (titles(skipped), skipped["total_count"]) == (["Charlie", "Root"], 4)


async def test_scenario_6_leaf_ancestors_and_root_descendants(
    connect: Connect, actor: Actor
) -> None:
    async with connect(actor) as client:
        chain = [await project(client, "L0")]
        for level in range(1, 5):
            chain.append(await task(client, f"L{level}", parent_id=chain[-1]["id"]))
        sibling = await task(client, "L1b", parent_id=chain[0]["id"])
        blocks = [{"depends_on_id": sibling["id"], "dependency_type": "blocks"}]
        await call(client, "update_work_item", id=chain[3]["id"], version=1, dependencies=blocks)

        leaf = await call(client, "query_work_item", id=chain[4]["id"], include_hierarchy=True)
        assert (leaf["depth"], leaf["descendants"]) == (4, [])
        assert [a["title"] for a in leaf["ancestors"]] == ["L0", "L1", "L2", "L3"]
        assert [a["depth"] for a in leaf["ancestors"]] == [0, 1, 2, 3]

        root = await call(client, "query_work_item", id=chain[0]["id"], include_hierarchy=True)
        assert root["ancestors"] == []
        nodes = {node["title"]: node for node in root["descendants"]}
        assert set(nodes) == {"L1", "L2", "L3", "L4", "L1b"}
        for level in range(1, 5):
            node = nodes[f"L{level}"]
            assert pick(node, "depth", "parent_id") == (level, chain[level - 1]["id"])
        assert nodes["L1b"]["parent_id"] == chain[0]["id"]
        assert nodes["L3"]["dependencies"] == blocks
        order = [node["title"] for node in root["descendants"]]
        assert order.index("L1") < order.index("L2") < order.index("L3") < order.index("L4")

        shallow = await call(
            client, "query_work_item", id=chain[0]["id"], include_hierarchy=True, max_depth=2
        )
        assert {node["title"] for node in shallow["descendants"]} == {"L1", "L2", "L1b"}


async def test_moving_an_item_rehomes_its_subtree(connect: Connect, actor: Actor) -> None:
    async with connect(actor) as client:
        left, right = await project(client, "left"), await project(client, "right")
        parent = await task(client, "parent", parent_id=left["id"])
        child = await task(client, "child", parent_id=parent["id"])
        moved = await call(
            client, "update_work_item", id=parent["id"], version=1, parent_id=right["id"]
        )
        assert pick(moved, "parent_id", "depth") == (right["id"], 1)
        as_root = await call(client, "update_work_item", id=parent["id"], version=2, parent_id=None)
        assert pick(as_root, "parent_id", "depth") == (None, 0)
        child_now = await call(client, "query_work_item", id=child["id"], include_hierarchy=True)
        assert child_now["depth"] == 1
        assert [a["title"] for a in child_now["ancestors"]] == ["parent"]
        assert await total(client, parent_id=left["id"]) == 0


async def test_soft_delete_and_restore_with_cascade(connect: Connect, actor: Actor) -> None:
    async with connect(actor) as client:
        parent = await project(client, "P")
        child = await task(client, "C", parent_id=parent["id"])
        delete = {"deleted": True, "cascade": True}
        deleted = await call(client, "update_work_item", delete, id=parent["id"], version=1)
        assert deleted["deleted_at"] is not None
        for item in (parent, child):
            error = await refused(client, "query_work_item", id=item["id"])
            assert error["error"] == "not_found"
        assert await total(client) == 0
        assert await total(client, include_deleted=True) == 2
        gone = await call(client, "query_work_item", id=child["id"], include_deleted=True)
        assert gone["deleted_at"] is not None
        tree = await call(
            client, "query_work_item", id=parent["id"], include_hierarchy=True, include_deleted=True
        )
        assert [node["title"] for node in tree["descendants"]] == ["C"]

        restore = {"id": parent["id"], "version": deleted["version"], "deleted": False}
        restored = await call(client, "update_work_item", restore)
        assert restored["deleted_at"] is None
        back = await call(client, "query_work_item", id=child["id"])
        assert back["deleted_at"] is None
        assert await total(client) == 2


async def test_dependencies_are_set_replaced_and_read(connect: Connect, actor: Actor) -> None:
    async with connect(actor) as client:
        schema, api = await task(client, "schema"), await task(client, "api")
        ui = await task(client, "ui", dependencies=[{"depends_on_id": api["id"]}])
        assert ui["dependencies"] == [{"depends_on_id": api["id"], "dependency_type": "depends_on"}]
        expected = [{"depends_on_id": schema["id"], "dependency_type": "blocks"}]
        changed = await call(
            client, "update_work_item", id=ui["id"], version=1, dependencies=expected
        )
        read = await call(client, "query_work_item", id=ui["id"])
    assert changed["dependencies"] == read["dependencies"] == expected


async def test_scenario_2_two_agents_one_version_exactly_one_wins(
    connect: Connect, actor: Actor
) -> None:
    async with connect(actor, "claude-desktop") as desktop, connect(actor, "claude-code") as code:
        item = await task(desktop, "shared")
        await call(desktop, "update_work_item", id=item["id"], version=1, tags=["kept"])
        seen_by_desktop = await call(desktop, "query_work_item", id=item["id"])
        version = (await call(code, "query_work_item", id=item["id"]))["version"]
        assert seen_by_desktop["version"] == version == 2

        both = {"id": item["id"], "version": version}
        first, second = await asyncio.gather(
            desktop.call_tool("update_work_item", {**both, "title": "from desktop"}),
            code.call_tool("update_work_item", {**both, "title": "from code"}),
        )
        assert [first.is_error, second.is_error].count(True) == 1
        winner, loser, name = (first, second, "claude-desktop")
        if first.is_error:
            winner, loser, name = (second, first, "claude-code")
        won = winner.structured_content or {}
        assert pick(won, "version", "updated_by") == (version + 1, name)
        conflict = json.loads(loser.content[0].text)
        assert conflict["error"] == "version_conflict"
        assert pick(conflict, "current_version", "requested_version") == (version + 1, version)
        assert conflict["updated_by"] == name
        assert conflict["updated_at"]

        final = await call(code, "query_work_item", id=item["id"])
    assert pick(final, "title", "version", "updated_by") == (won["title"], version + 1, name)
    assert final["tags"] == ["kept"]


async def test_scenario_7_changes_are_seen_by_the_account_and_nobody_else(
    connect: Connect, actor: Actor, other_actor: Actor
) -> None:
    async with (
        connect(actor, "claude-code") as writer,
        connect(actor, "claude-desktop") as reader,
        connect(other_actor, "claude-code") as stranger,
    ):
        assert await total(reader) == 0
        item = await task(writer, "visible")
        assert titles(await call(reader, "list_work_items")) == ["visible"]
        await call(writer, "update_work_item", id=item["id"], version=1, title="renamed")
        read = await call(reader, "query_work_item", id=item["id"])
        assert pick(read, "title", "version", "updated_by") == ("renamed", 2, "claude-code")
        assert titles(await call(reader, "list_work_items", search="renamed")) == ["renamed"]
        uri = f"workledger://work-items/{item['id']}"
        assert json.loads((await reader.read_resource(uri)).contents[0].text)["version"] == 2
        await call(writer, "update_work_item", id=item["id"], version=2, status="blocked")
        resource = json.loads((await reader.read_resource(uri)).contents[0].text)
        assert pick(resource, "status", "version") == ("blocked", 3)

        error = await refused(stranger, "query_work_item", id=item["id"])
        assert error["error"] == "not_found"
        assert await total(stranger) == 0
        assert await total(stranger, include_deleted=True, include_archived=True) == 0
        assert await total(stranger, search="renamed") == 0
        report = await call(stranger, "get_project_status")
        assert report["counts"]["work_items"] == 0
        assert "renamed" not in report["markdown"]


async def test_scenario_7_a_change_in_another_process_is_seen_by_the_next_read(
    connect: Connect, actor: Actor, database_url: str, tmp_path: Path, mcp_mode: str
) -> None:
    # A second container on the same database stands for another process (stdio vs HTTP).
    other_process = Container.from_settings(make_settings(database_url, tmp_path / "other"))
    server = WorkledgerMCP(other_process, actor=actor)
    info = Implementation(name="claude-desktop", version="1")
    try:
        async with (
            connect(actor) as reader,
            Client(server, client_info=info, mode=mcp_mode) as writer,
        ):
            vendor = await call(reader, "create_vendor", name="acme")
            item = await task(reader, "shared")
            for _ in range(2):  # the second read may come from a cache
                await call(reader, "query_vendor_status", name="acme")
                await call(reader, "query_work_item", id=item["id"])
                await call(reader, "list_work_items")
            await call(
                writer,
                "update_vendor_status",
                name="acme",
                version=vendor["version"],
                status="broken",
            )
            await call(writer, "update_work_item", id=item["id"], version=1, title="new")
            await task(writer, "added elsewhere")
            seen = await call(reader, "query_vendor_status", name="acme")
            assert pick(seen, "status", "updated_by") == ("broken", "claude-desktop")
            assert (await call(reader, "query_work_item", id=item["id"]))["title"] == "new"
            listed = await call(reader, "list_work_items", sort="title")
            assert (titles(listed), listed["total_count"]) == (["added elsewhere", "new"], 2)
            counts = (await call(reader, "get_project_status"))["counts"]
            assert pick(counts, "work_items", "vendors_broken") == (2, 1)
    finally:
        await other_process.close()


PAGED = [
    ("high", None),
    ("low", "2027-03-01"),
    ("high", "2027-01-01"),
    ("medium", None),
    ("high", "2027-01-01"),
    ("critical", "2027-02-01"),
    ("low", None),
]


async def test_cursor_pages_cover_every_sort_without_gaps_or_repeats(
    connect: Connect, actor: Actor
) -> None:
    async with connect(actor) as client:
        for n, (priority, due) in enumerate(PAGED):
            await task(client, f"same title {n % 3}", priority=priority, due_date=due)
        for sort in ("created", "updated", "title", "due_date", "priority"):
            for order in ("asc", "desc"):
                query = {"sort": sort, "order": order}
                whole = await call(client, "list_work_items", query, limit=100)
                paged: list[str] = []
                page = await call(client, "list_work_items", query, limit=2)
                while True:
                    paged += [item["id"] for item in page["items"]]
                    assert page["total_count"] == len(PAGED)
                    if not page["has_more"]:
                        break
                    cursor = page["next_cursor"]
                    page = await call(client, "list_work_items", query, limit=2, cursor=cursor)
                assert paged == [item["id"] for item in whole["items"]], query


async def test_two_agents_racing_for_a_ready_task_get_it_exactly_once(
    connect: Connect, actor: Actor
) -> None:
    """docs/reference/work-items.md: each agent asks for the ready queue and claims its top item."""
    async with connect(actor, name="agent-a") as a, connect(actor, name="agent-b") as b:
        blocker = await task(a, "Write the schema", priority="high")
        await task(a, "Build the API", dependencies=[{"depends_on_id": blocker["id"]}])
        await task(a, "Tidy the docs", priority="low")

        queue = await call(a, "list_work_items", ready=True)
        assert titles(queue) == ["Write the schema", "Tidy the docs"]
        assert [i["ready"] for i in queue["items"]] == [True, True]
        top = queue["items"][0]

        answers = await asyncio.gather(
            a.call_tool("claim_work_item", {"id": top["id"], "version": top["version"]}),
            b.call_tool("claim_work_item", {"id": top["id"], "version": top["version"]}),
        )
        won = [r for r in answers if not r.is_error]
        assert len(won) == 1, [r.content for r in answers]
        winner = won[0].structured_content
        assert winner is not None
        loser = next(r for r in answers if r.is_error)
        error = json.loads(loser.content[0].text)
        assert error["error"] in ("conflict", "version_conflict")

        # The taken item leaves the other agent's queue, not its holder's.
        holder, other = (a, b) if winner["assignee"] == "agent-a" else (b, a)
        assert titles(await call(other, "list_work_items", ready=True)) == ["Tidy the docs"]
        assert titles(await call(holder, "list_work_items", ready=True)) == [
            "Write the schema",
            "Tidy the docs",
        ]
        taken = await refused(other, "claim_work_item", id=top["id"], version=winner["version"])
        assert (taken["error"], taken["assignee"]) == ("conflict", winner["assignee"])

        # Done and released in one change; what waited on it is ready now.
        done = await call(
            holder,
            "update_work_item",
            id=top["id"],
            version=winner["version"],
            status="completed",
            assignee=None,
        )
        assert pick(done, "status", "assignee") == ("completed", None)
        assert titles(await call(other, "list_work_items", ready=True)) == [
            "Build the API",
            "Tidy the docs",
        ]


async def test_the_reports_short_ids_work_in_every_tool(connect: Connect, actor: Actor) -> None:
    async with connect(actor) as client:
        root = await project(client, "Ledger")
        short = root["id"][-8:]
        child = await task(client, "Child", parent_id=short)
        assert child["parent_id"] == root["id"]
        found = await call(client, "query_work_item", id=short, include_hierarchy=True)
        assert [d["title"] for d in found["descendants"]] == ["Child"]
        assert titles(await call(client, "list_work_items", parent_id=short)) == ["Child"]
        changed = await call(
            client, "update_work_item", id=child["id"][-8:], version=1, title="Renamed"
        )
        assert changed["title"] == "Renamed"
        claimed = await call(client, "claim_work_item", id=child["id"][-8:], version=2)
        assert claimed["assignee"] == "claude-code"
        missing = await refused(client, "query_work_item", id="0badcafe")
        assert missing["error"] == "not_found"
        wrong = await refused(client, "query_work_item", id="b8ea44")
        assert wrong["error"] == "validation_error"
        assert "short id" in wrong["errors"][0]["message"]


async def test_agents_take_the_next_task_in_one_call_renew_and_release(
    connect: Connect, actor: Actor
) -> None:
    """docs/reference/work-items.md: claim_next_work_item takes the best ready task nobody
    holds; two agents at once get two; a container is never taken; a blocked item cannot
    be claimed; the holder renews and releases (a member may release only their own:
    tests/services/test_leases.py)."""
    async with connect(actor, name="agent-a") as a, connect(actor, name="agent-b") as b:
        await project(a, "Epic", priority="critical")
        first = await task(a, "Write the schema", priority="high")
        waiting = await task(a, "Build the API", dependencies=[{"depends_on_id": first["id"]}])
        await task(a, "Tidy the docs", priority="low")

        taken = await asyncio.gather(
            call(a, "claim_next_work_item"), call(b, "claim_next_work_item", lease_seconds=60)
        )
        got = sorted((answer["item"]["title"], answer["item"]["assignee"]) for answer in taken)
        assert [title for title, _ in got] == ["Tidy the docs", "Write the schema"]
        assert {holder for _, holder in got} == {"agent-a", "agent-b"}
        assert await call(a, "claim_next_work_item") == {"item": None}

        blocked = await refused(a, "claim_work_item", id=waiting["id"])
        assert (blocked["error"], blocked["blocked_by"]) == ("conflict", [first["id"]])

        mine = next(answer["item"] for answer in taken if answer["item"]["assignee"] == "agent-a")
        renewed = await call(a, "claim_work_item", id=mine["id"][-8:], lease_seconds=3600)
        assert renewed["claimed_until"] > mine["claimed_until"]
        taken_by_b = await refused(b, "claim_work_item", id=mine["id"])
        assert (taken_by_b["error"], taken_by_b["assignee"]) == ("conflict", "agent-a")
        released = await call(a, "release_work_item", id=mine["id"])
        assert (released["assignee"], released["claimed_until"]) == (None, None)
        again = await call(b, "claim_next_work_item")
        assert again["item"]["id"] == mine["id"]
