"""The MCP tool set as a client sees it: the listing of docs/reference/mcp.md, each tool's success
path, the resources, compact answers and who is recorded as the author."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from mcp.shared.exceptions import MCPError

from tests.support.mcp import Connect, call, commit, pick, task, total
from workledger.container import Container
from workledger.schemas.common import Actor
from workledger.schemas.work_item import WorkItemCreate


def names(words: str) -> set[str]:
    return set(words.split())


ITEM = names("parent_id description status priority due_date tags metadata branch_name")
ITEM |= names("commit_hash pr_number dependencies assignee")
VENDOR = names("status test_results format_support extractor_version manifest_compliant")
ENHANCEMENT = names("description priority status target_quarter constitutional_principles")
ENHANCEMENT |= names("depends_on")
ITEM_QUERY = names("item_type status parent_id root_only tag search include_deleted sort")
ITEM_QUERY |= names("include_archived limit offset cursor ready assignee")

# tool: (required arguments, every argument docs/reference/mcp.md names)
DOCUMENTED: dict[str, tuple[set[str], set[str]]] = {
    "create_work_item": (names("item_type title"), ITEM),
    "update_work_item": (names("id version"), ITEM | names("title deleted cascade")),
    "query_work_item": (names("id"), names("include_hierarchy max_depth include_deleted")),
    "list_work_items": (set(), ITEM_QUERY),
    # docs/reference/work-items.md
    "claim_work_item": (names("id"), names("version lease_seconds")),
    # docs/reference/work-items.md: leases and taking the next item
    "claim_next_work_item": (set(), names("item_type tag parent_id lease_seconds")),
    "release_work_item": (names("id"), set()),
    "log_work": (names("id"), names("minutes tokens cost_usd note")),
    "record_deployment": (
        names("pr_number pr_title commit_hash"),
        names("deployed_at test_summary constitutional_compliance vendor_ids vendor_names")
        | names("work_item_ids"),
    ),
    "list_deployments": (set(), names("vendor_id work_item_id since until limit cursor")),
    "create_vendor": (names("name"), VENDOR),
    # "name or vendor_id": neither alone can be required by the schema
    "query_vendor_status": (set(), names("name vendor_id")),
    "list_vendors": (set(), names("status")),
    "update_vendor_status": (names("version"), VENDOR | names("vendor_id name")),
    "get_project_configuration": (set(), set()),
    "update_project_configuration": (
        names("version"),
        names("active_context_type default_token_budget token_budgets current_session_id"),
    ),
    "get_project_status": (set(), set()),
    "create_enhancement": (names("title"), ENHANCEMENT),
    "update_enhancement": (names("id version"), ENHANCEMENT | names("title")),
    "list_enhancements": (set(), names("priority status target_quarter")),
    # docs/reference/outage.md: journaled writes that replay refused
    "list_conflicts": (set(), names("limit cursor")),
    "get_work_item_history": (names("id"), names("after_version limit cursor")),
    "add_comment": (names("work_item_id body"), set()),
    "list_comments": (names("work_item_id"), names("limit cursor")),
    "get_changes": (set(), names("after limit")),
}
READ_ONLY = names("query_work_item list_work_items list_deployments query_vendor_status")
READ_ONLY |= names("list_vendors get_project_configuration get_project_status list_enhancements")
READ_ONLY |= names("list_conflicts get_work_item_history list_comments get_changes")
# (tool, argument, the values its enum must offer)
ENUMS = [
    ("create_work_item", "item_type", names("project session task research")),
    ("create_work_item", "status", names("active completed blocked")),
    ("create_work_item", "priority", names("low medium high critical")),
    ("update_work_item", "status", names("active completed blocked")),
    ("list_work_items", "item_type", names("project session task research")),
    ("list_work_items", "sort", names("created updated title due_date priority")),
    ("list_vendors", "status", names("operational broken")),
    ("create_vendor", "status", names("operational broken")),
    ("create_enhancement", "status", names("planned approved implementing completed")),
    ("update_project_configuration", "active_context_type", names("feature maintenance research")),
]


def nodes(schema: dict[str, Any], node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A property's schema and every schema inside it (through $ref, anyOf and items)."""
    if "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    yield node
    for inner in [*node.get("anyOf", []), *([node["items"]] if "items" in node else [])]:
        yield from nodes(schema, inner)


def enum_values(schema: dict[str, Any], node: dict[str, Any]) -> set[str]:
    return {value for inner in nodes(schema, node) for value in inner.get("enum", [])}


def free_form(schema: dict[str, Any]) -> list[str]:
    """Input properties that take an object of any shape."""
    return [
        name
        for name, prop in schema["properties"].items()
        for inner in nodes(schema, prop)
        if inner.get("type") == "object"
        and "properties" not in inner
        and not isinstance(inner.get("additionalProperties"), dict)
    ]


async def test_tools_list_is_the_contract_tool_set(connect: Connect, actor: Actor) -> None:
    async with connect(actor) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(tools) == set(DOCUMENTED)
    for name, (required, arguments) in DOCUMENTED.items():
        tool, schema = tools[name], tools[name].input_schema
        assert len(tool.description or "") > 20, name
        assert set(schema.get("required", [])) == required, name
        assert required | arguments <= set(schema.get("properties", {})), name
        assert free_form(schema) == [], name
        assert (tool.output_schema or {}).get("type") == "object", name
        hints = tool.annotations
        assert hints is not None, name
        assert hints.open_world_hint is False, name
        assert hints.read_only_hint is (name in READ_ONLY), name
        assert hints.destructive_hint is (name == "update_work_item"), name
    for name, argument, values in ENUMS:
        schema = tools[name].input_schema
        assert enum_values(schema, schema["properties"][argument]) == values, (name, argument)
    listing = tools["list_work_items"].output_schema or {}
    assert {"items", "total_count", "has_more", "next_cursor"} <= set(listing["properties"])


async def test_vendors_are_created_queried_listed_and_updated(
    connect: Connect, actor: Actor
) -> None:
    async with connect(actor) as client:
        health = {
            "test_results": {"passing": 40, "total": 42, "skipped": 2},
            "format_support": {"excel": True, "csv": True},
        }
        acme = await call(
            client,
            "create_vendor",
            health,
            name="acme",
            extractor_version="2.1",
            manifest_compliant=True,
        )
        await call(client, "create_vendor", name="globex", status="broken")
        assert acme["version"] == 1
        assert acme["format_support"] == {"excel": True, "csv": True, "pdf": False, "ocr": False}

        by_name = await call(client, "query_vendor_status", name="acme")
        by_id = await call(client, "query_vendor_status", vendor_id=acme["id"])
        assert by_name == by_id == acme

        listed = await call(client, "list_vendors")
        assert [v["name"] for v in listed["vendors"]] == ["acme", "globex"]
        assert (listed["operational_count"], listed["broken_count"]) == (1, 1)
        broken = await call(client, "list_vendors", status="broken")
        assert [v["name"] for v in broken["vendors"]] == ["globex"]

        results = {"passing": 10, "total": 10, "skipped": 0}
        change = {"status": "operational", "test_results": results}
        fixed = await call(client, "update_vendor_status", change, name="globex", version=1)
        assert (fixed["status"], fixed["version"]) == ("operational", 2)
        assert fixed["test_results"] == results
        listed = await call(client, "list_vendors", status="operational")
        assert [v["name"] for v in listed["vendors"]] == ["acme", "globex"]
        assert (listed["operational_count"], listed["broken_count"]) == (2, 0)


async def test_scenario_1_vendor_health_by_name_among_45(connect: Connect, actor: Actor) -> None:
    async with connect(actor) as client:
        for n in range(45):
            await call(
                client,
                "create_vendor",
                name=f"vendor-{n:02d}",
                status="broken" if n % 9 == 0 else "operational",
                test_results={"passing": n, "total": n + 3, "skipped": 1},
                format_support={"pdf": True, "ocr": n % 2 == 0},
                extractor_version=f"1.{n}.0",
                manifest_compliant=n % 3 == 0,
            )
        vendor = await call(client, "query_vendor_status", name="vendor-27")
        assert (vendor["name"], vendor["status"]) == ("vendor-27", "broken")
        assert vendor["test_results"] == {"passing": 27, "total": 30, "skipped": 1}
        assert vendor["format_support"] == {"excel": False, "csv": False, "pdf": True, "ocr": False}
        assert vendor["extractor_version"] == "1.27.0"
        assert vendor["manifest_compliant"] is True
        listed = await call(client, "list_vendors")
        assert (listed["operational_count"], listed["broken_count"]) == (40, 5)


async def test_scenario_3_deployment_recorded_once_with_named_links(
    connect: Connect, actor: Actor
) -> None:
    async with connect(actor) as client:
        vendors = [await call(client, "create_vendor", name=n) for n in ("acme", "globex")]
        vendors.append(await call(client, "create_vendor", name="initech", status="broken"))
        items = [await task(client, "parse invoices"), await task(client, "fix OCR")]
        deployment = {
            "pr_number": 42,
            "pr_title": "Invoice parsing",
            "commit_hash": "AB" * 20,
            "test_summary": {"unit": 120, "integration": 14},
            "constitutional_compliance": True,
            "vendor_ids": [v["id"] for v in vendors],
            "work_item_ids": [i["id"] for i in items],
        }
        first = await call(client, "record_deployment", deployment)
        assert first["created"] is True
        assert (first["pr_number"], first["pr_title"]) == (42, "Invoice parsing")
        assert first["commit_hash"] == "ab" * 20
        assert first["test_summary"] == {"unit": 120, "integration": 14}
        assert first["constitutional_compliance"] is True
        linked = sorted((v["name"], v["status"]) for v in first["affected_vendors"])
        assert linked == [("acme", "operational"), ("globex", "operational"), ("initech", "broken")]
        linked = sorted((w["title"], w["status"]) for w in first["related_work_items"])
        assert linked == [("fix OCR", "active"), ("parse invoices", "active")]
        assert first["created_by"] == "claude-code"

        again = await call(client, "record_deployment", deployment)
        assert (again["created"], again["id"]) == (False, first["id"])
        listed = await call(client, "list_deployments")
        assert (listed["total_count"], [d["id"] for d in listed["items"]]) == (1, [first["id"]])
        touching = await call(client, "list_deployments", vendor_id=vendors[2]["id"])
        assert [d["id"] for d in touching["items"]] == [first["id"]]
        assert await total(client, "list_deployments", work_item_id=items[0]["id"]) == 1


async def test_deployment_names_its_vendors_by_name(connect: Connect, actor: Actor) -> None:
    async with connect(actor) as client:
        acme = await call(client, "create_vendor", name="acme")
        pr = {"pr_number": 7, "pr_title": "by name", "commit_hash": commit(7)}
        recorded = await call(client, "record_deployment", pr, vendor_names=["acme"])
        assert recorded["vendor_ids"] == [acme["id"]]
        assert [v["name"] for v in recorded["affected_vendors"]] == ["acme"]
        await call(client, "record_deployment", pr, pr_number=8, commit_hash=commit(8))
        listed = await call(client, "list_deployments")
        assert [d["pr_number"] for d in listed["items"]] == [8, 7]
        assert await total(client, "list_deployments", vendor_id=acme["id"]) == 1


async def pages(client: Any, tool: str, **query: Any) -> list[str]:
    """Every id a list tool yields, following next_cursor two at a time."""
    ids: list[str] = []
    page = await call(client, tool, query, limit=2)
    while True:
        ids += [record["id"] for record in page["items"]]
        if not page["has_more"]:
            return ids
        page = await call(client, tool, query, limit=2, cursor=page["next_cursor"])


async def test_deployments_page_newest_first_within_a_window(
    connect: Connect, actor: Actor
) -> None:
    async with connect(actor) as client:
        times = ["2026-05-01T12:00:00Z"] * 4 + ["2026-04-01T08:00:00Z", "2026-06-01T00:00:00Z"]
        for n, at in enumerate(times, start=1):
            pr = {"pr_number": n, "pr_title": f"PR {n}", "commit_hash": commit(n)}
            await call(client, "record_deployment", pr, deployed_at=at)
        whole = await call(client, "list_deployments", limit=100)
        numbers = [d["pr_number"] for d in whole["items"]]
        assert (numbers[0], sorted(numbers[1:5]), numbers[5]) == (6, [1, 2, 3, 4], 5)
        assert await pages(client, "list_deployments") == [d["id"] for d in whole["items"]]
        window = {"since": "2026-04-15T00:00:00Z", "until": "2026-05-15T00:00:00Z"}
        may = await call(client, "list_deployments", window)
        assert sorted(d["pr_number"] for d in may["items"]) == [1, 2, 3, 4]
        assert may["total_count"] == 4


def titles(page: dict[str, Any]) -> list[str]:
    return [record["title"] for record in page["items"]]


async def test_enhancements_are_planned_updated_and_filtered(
    connect: Connect, actor: Actor
) -> None:
    async with connect(actor) as client:
        plan = {"priority": "high", "constitutional_principles": ["local first"]}
        cache = await call(client, "create_enhancement", plan, title="Read cache")
        sync = await call(
            client,
            "create_enhancement",
            title="Sync",
            depends_on=[cache["id"]],
            target_quarter="2027-Q2",
        )
        assert pick(cache, "status", "version") == ("planned", 1)
        assert sync["depends_on"] == [cache["id"]]

        change = {"status": "approved", "description": "LRU"}
        approved = await call(client, "update_enhancement", change, id=cache["id"], version=1)
        assert pick(approved, "status", "description", "version", "priority") == (
            "approved",
            "LRU",
            2,
            "high",
        )

        assert titles(await call(client, "list_enhancements")) == ["Read cache", "Sync"]
        assert titles(await call(client, "list_enhancements", status="approved")) == ["Read cache"]
        assert titles(await call(client, "list_enhancements", priority="medium")) == ["Sync"]
        page = await call(client, "list_enhancements", target_quarter="2027-Q2")
        assert (titles(page), page["total_count"]) == (["Sync"], 1)
        for n in range(4):
            await call(client, "create_enhancement", title=f"more {n}", priority="low")
        whole = await call(client, "list_enhancements", limit=100)
        assert await pages(client, "list_enhancements") == [e["id"] for e in whole["items"]]
        assert whole["total_count"] == 6


async def test_configuration_is_read_and_changed(connect: Connect, actor: Actor) -> None:
    async with connect(actor) as client:
        config = await call(client, "get_project_configuration")
        assert pick(config, "active_context_type", "default_token_budget") == ("feature", 200_000)
        assert config["current_session_id"] is None
        assert config["health_check_status"]["database"]
        session = await call(client, "create_work_item", item_type="session", title="s1")
        change = {"active_context_type": "research", "token_budgets": {"planning": 50_000}}
        changed = await call(
            client,
            "update_project_configuration",
            change,
            version=config["version"],
            current_session_id=session["id"],
        )
        assert changed["version"] == config["version"] + 1
        assert pick(changed, "current_session_id", "token_budgets") == (
            session["id"],
            {"planning": 50_000},
        )
        again = await call(client, "get_project_configuration")
        assert pick(again, "active_context_type", "current_session_id") == (
            "research",
            session["id"],
        )
        cleared = await call(
            client,
            "update_project_configuration",
            version=again["version"],
            current_session_id=None,
        )
        assert pick(cleared, "current_session_id", "active_context_type") == (None, "research")


async def test_project_status_reports_vendors_and_counts(connect: Connect, actor: Actor) -> None:
    async with connect(actor) as client:
        await call(client, "create_vendor", name="acme")
        await call(client, "create_vendor", name="globex", status="broken")
        await task(client, "wire the parser")
        await task(client, "stuck", status="blocked")
        await call(client, "record_deployment", pr_number=3, pr_title="PR", commit_hash=commit(3))
        report = await call(client, "get_project_status")
    for shown in ("acme", "globex", "wire the parser"):
        assert shown in report["markdown"]
    counts = report["counts"]
    assert (counts["vendors"], counts["vendors_operational"], counts["vendors_broken"]) == (2, 1, 1)
    assert (counts["work_items"], counts["work_items_blocked"], counts["deployments"]) == (2, 1, 1)
    assert report["generated_at"]


async def test_resources_serve_the_report_and_single_items(
    connect: Connect, actor: Actor, other_actor: Actor
) -> None:
    async with connect(actor) as client, connect(other_actor) as stranger:
        item = await task(client, "resource me", description="in full")
        status = (await client.read_resource("workledger://status")).contents[0]
        assert "resource me" in status.text
        read = (await client.read_resource(f"workledger://work-items/{item['id']}")).contents[0]
        assert json.loads(read.text)["description"] == "in full"

        missing = uuid.uuid4()
        with pytest.raises(MCPError) as unknown:
            await client.read_resource(f"workledger://work-items/{missing}")
        with pytest.raises(MCPError) as foreign:
            await stranger.read_resource(f"workledger://work-items/{item['id']}")
        assert "not found" in unknown.value.error.message
        assert foreign.value.error.code == unknown.value.error.code
        assert foreign.value.error.message.replace(item["id"], "ID") == (
            unknown.value.error.message.replace(str(missing), "ID")
        )
        theirs = (await stranger.read_resource("workledger://status")).contents[0]
        assert "resource me" not in theirs.text


async def test_lists_are_compact_and_the_query_tool_is_complete(
    connect: Connect, container: Container, actor: Actor
) -> None:
    long, metadata = "d" * 2_000, {"blocked_reason": "r" * 400, "estimated_hours": 3}
    for n in range(100):
        raw = {"item_type": "task", "title": f"task {n:03d}", "description": long}
        data = WorkItemCreate.load({**raw, "metadata": metadata})
        await container.work_items.create(actor=actor, data=data)
    async with connect(actor) as client:
        result = await client.call_tool("list_work_items", {"limit": 100})
        assert not result.is_error
        page = result.structured_content or {}
        text = result.content[0].text
        assert json.loads(text) == page
        assert (len(page["items"]), page["total_count"]) == (100, 100)
        assert all("description" not in i and "metadata" not in i for i in page["items"])
        assert len(text) < 40_000
        full = await call(client, "query_work_item", id=page["items"][0]["id"])
    assert (full["description"], full["metadata"]) == (long, metadata)


@pytest.mark.parametrize(
    ("declared", "recorded"),
    [
        ("claude-code", "claude-code"),
        ("claude-desktop", "claude-desktop"),
        (None, "mcp"),  # no client_info: the SDK declares its default name, "mcp"
        ("   ", "mcp"),  # a blank name declares none
        ("c" * 150, "c" * 100),
    ],
)
async def test_changes_are_signed_with_the_declared_client_name(
    connect: Connect, actor: Actor, declared: str | None, recorded: str
) -> None:
    async with connect(actor, declared) as client:
        item = await task(client, "signed")
        vendor = await call(client, "create_vendor", name="acme")
        read = await call(client, "get_project_configuration")
        change = {"active_context_type": "maintenance"}
        config = await call(client, "update_project_configuration", change, version=read["version"])
    assert pick(item, "created_by", "updated_by") == (recorded, recorded)
    assert (vendor["created_by"], config["updated_by"]) == (recorded, recorded)
    async with connect(actor, "copilot") as other:
        changed = await call(other, "update_work_item", id=item["id"], version=1, title="x")
    assert pick(changed, "created_by", "updated_by") == (recorded, "copilot")
