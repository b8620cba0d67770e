"""Refusals over MCP: the right code and field, nothing stored, no internals
leaked (``refused`` checks that), and another account's ids indistinguishable from ids that
never existed."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from mcp import Client

from tests.support.mcp import Connect, call, commit, field_names, pick, refused, task, total
from workledger.schemas.common import Actor


def item(**fields: Any) -> dict[str, Any]:
    return {"item_type": "task", "title": "t", **fields}


def deployment(**fields: Any) -> dict[str, Any]:
    return {"pr_number": 1, "pr_title": "Ship it", "commit_hash": commit(1), **fields}


# (tool, arguments, the field the refusal must name)
BAD_INPUT: list[tuple[str, dict[str, Any], str]] = [
    ("create_work_item", item(item_type="epic"), "item_type"),
    ("create_work_item", item(status="done"), "status"),
    ("create_work_item", item(title="x" * 201), "title"),
    ("create_work_item", item(title=" "), "title"),
    ("create_work_item", item(title="a\x00b"), "title"),
    ("create_work_item", {"title": "t"}, "item_type"),
    ("create_work_item", item(commit_hash="a" * 41), "commit_hash"),
    ("create_work_item", item(commit_hash="g" * 40), "commit_hash"),
    ("create_work_item", item(bogus=1), "bogus"),
    ("create_work_item", item(pr_number=0), "pr_number"),
    ("create_work_item", item(tags=["x"] * 21), "tags"),
    ("create_work_item", item(due_date="2027-02-30"), "due_date"),
    ("create_work_item", item(metadata={"token_budget": 5000}), "metadata.token_budget"),
    (
        "create_work_item",
        item(item_type="session", metadata={"token_budget": 10}),
        "metadata.token_budget",
    ),
    (
        "create_work_item",
        item(item_type="session", metadata={"yaml_frontmatter": {"a": 1}}),
        "metadata.yaml_frontmatter",
    ),
    (
        "create_work_item",
        item(item_type="project", metadata={"target_quarter": "2027-Q5"}),
        "metadata.target_quarter",
    ),
    ("record_deployment", deployment(commit_hash="a" * 41), "commit_hash"),
    ("record_deployment", deployment(commit_hash="z" * 40), "commit_hash"),
    ("record_deployment", deployment(pr_title="x" * 201), "pr_title"),
    ("record_deployment", deployment(pr_number=2**31), "pr_number"),
    ("record_deployment", deployment(test_summary={"unit": -1}), "test_summary.unit"),
    ("record_deployment", deployment(deployed_at="2026-05-01T12:00:00"), "deployed_at"),
    (
        "record_deployment",
        deployment(vendor_ids=[str(uuid.uuid4())], vendor_names=["a"]),
        "vendor_names",
    ),
    ("record_deployment", deployment(bogus=1), "bogus"),
    ("create_vendor", {"name": "v", "status": "degraded"}, "status"),
    ("create_vendor", {"name": "v", "test_results": {"passing": 5, "total": 1}}, "test_results"),
    ("create_enhancement", {"title": "e", "status": "done"}, "status"),
    ("create_enhancement", {"title": "e", "target_quarter": "next year"}, "target_quarter"),
    (
        "update_project_configuration",
        {"version": 1, "default_token_budget": 999},
        "default_token_budget",
    ),
    ("list_work_items", {"limit": "many"}, "limit"),
    ("list_work_items", {"limit": 101}, "limit"),
    ("list_work_items", {"limit": 0}, "limit"),
    ("list_work_items", {"status": "done"}, "status"),
    ("list_work_items", {"sort": "random"}, "sort"),
    ("list_work_items", {"cursor": "garbage"}, "cursor"),
    ("list_work_items", {"cursor": "eyJ4IjogMX0="}, "cursor"),
    ("list_deployments", {"limit": 101}, "limit"),
    ("list_deployments", {"cursor": "garbage"}, "cursor"),
    ("list_enhancements", {"limit": 101}, "limit"),
    ("list_enhancements", {"cursor": "garbage"}, "cursor"),
    ("list_vendors", {"status": "degraded"}, "status"),
    ("list_vendors", {"bogus": 1}, "bogus"),
    ("get_project_status", {"bogus": 1}, "bogus"),
    ("query_work_item", {"id": "not-a-uuid"}, "id"),
    ("query_work_item", {"id": str(uuid.uuid4()), "max_depth": 6}, "max_depth"),
]


async def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(
    connect: Connect, actor: Actor
) -> None:
    async with connect(actor) as client:
        for tool, args, field in BAD_INPUT:
            error = await refused(client, tool, args)
            assert field in field_names(error), (tool, args, error)
        anonymous = await refused(client, "query_vendor_status")  # neither name nor vendor_id
        assert set(field_names(anonymous)) & {"name", "vendor_id"}
        assert await total(client, include_deleted=True) == 0
        assert await total(client, "list_deployments") == 0
        assert await total(client, "list_enhancements") == 0
        assert (await call(client, "list_vendors"))["vendors"] == []
        assert (await call(client, "get_project_configuration"))["default_token_budget"] == 200_000


# a change update_work_item must refuse, and the field it names
BAD_CHANGES: list[tuple[dict[str, Any], str]] = [
    ({"title": None}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"titel": "typo"}, "titel"),
    ({"item_type": "project"}, "item_type"),
    ({"status": "done"}, "status"),
    ({"commit_hash": "abc"}, "commit_hash"),
    ({"metadata": {"token_budget": 5000}}, "metadata.token_budget"),
    ({"version": 2**40}, "version"),
    ({"version": 0}, "version"),
    ({"version": "one"}, "version"),
    ({"description": "nul \x00"}, "description"),
]


async def test_a_refused_update_leaves_the_item_as_it_was(connect: Connect, actor: Actor) -> None:
    async with connect(actor) as client:
        before = await task(client, "before", metadata={"estimated_hours": 2})
        for change, field in BAD_CHANGES:
            args = {"id": before["id"], "version": 1, **change}
            error = await refused(client, "update_work_item", args)
            assert field in field_names(error), (change, error)
        unknown = await refused(client, "update_work_item", id=before["id"], version=1, bogus=1)
        assert "bogus" in unknown["message"]
        after = await call(client, "query_work_item", id=before["id"])
    assert {**after, "ancestors": None} == {**before, "ancestors": None, "descendants": None}


async def test_a_duplicate_vendor_name_is_a_conflict(
    connect: Connect, actor: Actor, other_actor: Actor
) -> None:
    async with connect(actor) as client, connect(other_actor) as stranger:
        await call(client, "create_vendor", name="acme")
        error = await refused(client, "create_vendor", name="acme", status="broken")
        assert (error["error"], error.get("field")) == ("conflict", "name")
        listed = await call(client, "list_vendors")
        assert [(v["name"], v["status"]) for v in listed["vendors"]] == [("acme", "operational")]
        assert (await call(stranger, "create_vendor", name="acme"))["version"] == 1


async def test_a_sixth_level_is_a_conflict(connect: Connect, actor: Actor) -> None:
    async with connect(actor) as client:
        leaf = await task(client, "L0")
        for level in range(1, 5):
            leaf = await task(client, f"L{level}", parent_id=leaf["id"])
        error = await refused(client, "create_work_item", item(title="L5", parent_id=leaf["id"]))
        assert error["error"] == "conflict"
        other = await task(client, "other root")
        deep = await task(client, "deep child", parent_id=other["id"])
        move = {"id": other["id"], "version": 1, "parent_id": leaf["id"]}
        assert (await refused(client, "update_work_item", move))["error"] == "conflict"
        assert await total(client) == 7
        assert (await call(client, "query_work_item", id=deep["id"]))["depth"] == 1


async def test_cycles_are_conflicts(connect: Connect, actor: Actor) -> None:
    async with connect(actor) as client:
        first = await task(client, "first")
        second = await task(client, "second", dependencies=[{"depends_on_id": first["id"]}])
        back = [{"depends_on_id": second["id"]}]
        error = await refused(
            client, "update_work_item", id=first["id"], version=1, dependencies=back
        )
        assert error["error"] == "conflict"
        assert (await call(client, "query_work_item", id=first["id"]))["dependencies"] == []

        child = await task(client, "child", parent_id=first["id"])
        grandchild = await task(client, "grandchild", parent_id=child["id"])
        for target in (child, grandchild, first):
            move = {"id": first["id"], "version": 1, "parent_id": target["id"]}
            assert (await refused(client, "update_work_item", move))["error"] == "conflict"
        still = await call(client, "query_work_item", id=first["id"])
        assert pick(still, "parent_id", "version") == (None, 1)

        base = await call(client, "create_enhancement", title="base")
        top = await call(client, "create_enhancement", title="top", depends_on=[base["id"]])
        loop = {"id": base["id"], "version": 1, "depends_on": [top["id"]]}
        assert (await refused(client, "update_enhancement", loop))["error"] == "conflict"
        page = await call(client, "list_enhancements")
        assert {e["title"]: e.get("depends_on", []) for e in page["items"]} == {
            "base": [],
            "top": [base["id"]],
        }


async def test_deleted_items_are_not_found_and_need_cascade(connect: Connect, actor: Actor) -> None:
    async with connect(actor) as client:
        parent = await task(client, "parent")
        child = await task(client, "child", parent_id=parent["id"])
        delete = {"id": parent["id"], "version": 1, "deleted": True}
        assert (await refused(client, "update_work_item", delete))["error"] == "conflict"
        assert await total(client) == 2

        await call(client, "update_work_item", id=child["id"], version=1, deleted=True)
        for tool, args in [
            ("query_work_item", {"id": child["id"]}),
            ("create_work_item", item(parent_id=child["id"])),
            ("record_deployment", deployment(work_item_ids=[child["id"]])),
        ]:
            assert (await refused(client, tool, args))["error"] == "not_found", tool
        assert await total(client, include_deleted=True) == 2
        assert await total(client, "list_deployments") == 0

        await call(client, "update_work_item", delete)
        restore = {"id": child["id"], "version": 2, "deleted": False}
        assert (await refused(client, "update_work_item", restore))["error"] == "conflict"
        assert await total(client) == 0


async def test_a_stale_version_is_refused_with_who_changed_it(
    connect: Connect, actor: Actor
) -> None:
    async with connect(actor, "claude-desktop") as desktop, connect(actor, "claude-code") as code:
        work = await task(desktop, "t")
        vendor = await call(desktop, "create_vendor", name="acme")
        plan = await call(desktop, "create_enhancement", title="e")
        config = await call(desktop, "get_project_configuration")
        # tool: (how to address the record, the version read, desktop's change, code's)
        updates = {
            "update_work_item": ({"id": work["id"]}, 1, {"title": "new"}, {"title": "lost"}),
            "update_vendor_status": (
                {"vendor_id": vendor["id"]},
                1,
                {"status": "broken"},
                {"extractor_version": "9"},
            ),
            "update_enhancement": ({"id": plan["id"]}, 1, {"title": "new"}, {"title": "lost"}),
            "update_project_configuration": (
                {},
                config["version"],
                {"active_context_type": "research"},
                {"default_token_budget": 5_000},
            ),
        }
        for tool, (address, version, change, late) in updates.items():
            won = await call(desktop, tool, {**address, "version": version, **change})
            error = await refused(code, tool, {**address, "version": version, **late})
            assert error["error"] == "version_conflict", tool
            assert f"version {version + 1}" in error["message"], tool
            assert "claude-desktop" in error["message"], tool
            expected = (version + 1, version, "claude-desktop")
            assert pick(error, "current_version", "requested_version", "updated_by") == expected
            assert error["updated_at"].replace("+00:00", "Z") == won["updated_at"], tool
        read = await call(code, "query_work_item", id=work["id"])
        config = await call(code, "get_project_configuration")
    assert pick(read, "title", "version") == ("new", 2)
    assert config["default_token_budget"] == 200_000


Ids = dict[str, str]
# ids -> (tool, arguments): run with another account's ids, then with ids never issued
ADDRESSED: list[Callable[[Ids], tuple[str, dict[str, Any]]]] = [
    lambda i: ("query_work_item", {"id": i["item"]}),
    lambda i: ("query_work_item", {"id": i["item"], "include_deleted": True}),
    lambda i: ("query_work_item", {"id": i["item"], "include_hierarchy": True}),
    lambda i: ("update_work_item", {"id": i["item"], "version": 1, "title": "mine"}),
    lambda i: ("update_work_item", {"id": i["item"], "version": 1, "deleted": True}),
    lambda i: ("create_work_item", item(parent_id=i["item"])),
    lambda i: ("create_work_item", item(dependencies=[{"depends_on_id": i["item"]}])),
    lambda i: ("record_deployment", deployment(work_item_ids=[i["item"]])),
    lambda i: ("record_deployment", deployment(vendor_ids=[i["vendor"]])),
    lambda i: ("record_deployment", deployment(vendor_names=[i["name"]])),
    lambda i: ("query_vendor_status", {"vendor_id": i["vendor"]}),
    lambda i: ("query_vendor_status", {"name": i["name"]}),
    lambda i: (
        "update_vendor_status",
        {"vendor_id": i["vendor"], "version": 1, "status": "broken"},
    ),
    lambda i: ("update_vendor_status", {"name": i["name"], "version": 1, "status": "broken"}),
    lambda i: ("update_enhancement", {"id": i["plan"], "version": 1, "title": "x"}),
    lambda i: ("create_enhancement", {"title": "x", "depends_on": [i["plan"]]}),
    lambda i: ("update_project_configuration", {"version": 1, "current_session_id": i["item"]}),
]


def anonymised(error: dict[str, Any], ids: Ids) -> dict[str, Any]:
    text = json.dumps(error, sort_keys=True)
    for key, value in ids.items():
        text = text.replace(value, f"<{key}>")
    return dict(json.loads(text))


async def stranger_records(client: Client) -> Ids:
    session = await call(client, "create_work_item", item_type="session", title="secret")
    vendor = await call(client, "create_vendor", name="vendor-of-bob")
    plan = await call(client, "create_enhancement", title="bob's plan")
    await task(client, "their child", parent_id=session["id"])
    links = {"vendor_ids": [vendor["id"]], "work_item_ids": [session["id"]]}
    await call(client, "record_deployment", deployment(**links))
    return {
        "item": session["id"],
        "vendor": vendor["id"],
        "plan": plan["id"],
        "name": "vendor-of-bob",
    }


async def test_another_accounts_ids_are_refused_like_missing_ones(
    connect: Connect, actor: Actor, other_actor: Actor
) -> None:
    async with connect(actor) as client, connect(other_actor) as stranger:
        theirs = await stranger_records(stranger)
        await call(client, "get_project_configuration")
        missing = {key: str(uuid.uuid4()) for key in ("item", "vendor", "plan")}
        missing["name"] = "vendor-of-nobody"
        for case in ADDRESSED:
            foreign = await refused(client, *case(theirs))
            unknown = await refused(client, *case(missing))
            assert foreign["error"] == "not_found", case(theirs)
            assert anonymised(foreign, theirs) == anonymised(unknown, missing)

        assert await total(client, include_deleted=True) == 0
        assert await total(client, "list_deployments") == 0
        assert await total(client, "list_enhancements") == 0
        config = await call(client, "get_project_configuration")
        assert pick(config, "version", "current_session_id") == (1, None)
        for tool, query in [
            ("query_work_item", {"id": theirs["item"]}),
            ("query_vendor_status", {"vendor_id": theirs["vendor"]}),
        ]:
            untouched = await call(stranger, tool, query)
            assert pick(untouched, "version", "updated_by") == (1, "claude-code")


async def test_another_accounts_ids_filter_lists_like_missing_ones(
    connect: Connect, actor: Actor, other_actor: Actor
) -> None:
    async with connect(actor) as client, connect(other_actor) as stranger:
        theirs = await stranger_records(stranger)
        for tool, key, value in [
            ("list_work_items", "parent_id", theirs["item"]),
            ("list_deployments", "work_item_id", theirs["item"]),
            ("list_deployments", "vendor_id", theirs["vendor"]),
        ]:
            foreign = await client.call_tool(tool, {key: value})
            unknown = await client.call_tool(tool, {key: str(uuid.uuid4())})
            assert foreign.is_error == unknown.is_error, (tool, key)
            if foreign.is_error:
                assert json.loads(foreign.content[0].text)["error"] == "not_found"
            else:
                assert foreign.structured_content == unknown.structured_content
                assert (foreign.structured_content or {})["total_count"] == 0


async def test_the_same_deployment_in_two_accounts_is_two_records(
    connect: Connect, actor: Actor, other_actor: Actor
) -> None:
    async with connect(actor) as client, connect(other_actor) as stranger:
        mine = await call(client, "record_deployment", deployment(pr_title="mine"))
        theirs = await call(stranger, "record_deployment", deployment(pr_title="theirs"))
        assert theirs["created"] is True
        assert theirs["id"] != mine["id"]
        again = await call(client, "record_deployment", deployment(pr_title="mine again"))
        assert pick(again, "id", "pr_title", "created") == (mine["id"], "mine", False)
        listed = await call(stranger, "list_deployments")
    assert [d["pr_title"] for d in listed["items"]] == ["theirs"]


async def test_an_unknown_argument_names_the_one_it_likely_meant(
    connect: Connect, actor: Actor
) -> None:
    async with connect(actor) as client:
        made = await call(client, "create_work_item", item_type="task", title="x")
        error = await refused(client, "query_work_item", item_id=made["id"])
        assert {"field": "item_id", "message": "unknown field; did you mean id?"} in error["errors"]
        typo = await refused(client, "list_work_items", staus="active")
        assert {"field": "staus", "message": "unknown field; did you mean status?"} in typo[
            "errors"
        ]
