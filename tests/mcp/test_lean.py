"""What the tools cost a model's context, and input schemas every client accepts
(issue 12: lean tools). Sizes are measured the way they travel: compact JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema.validators import validator_for
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS, Tool

from tests.conftest import make_settings
from tests.support.mcp import Connect, call, task
from workledger.container import Container
from workledger.errors import SettingsError
from workledger.mcp.server import WorkledgerMCP
from workledger.schemas.common import Actor

# The part a model reads (names, descriptions, input schemas), and the whole tools/list
# (the goals of docs/reference/mcp.md; python -m bench.tool_budget prints them). 25 tools:
# the 18 of issue 12 took 11,973 of 12,000; history, comments and the change feed added
# four (12,572), leases and the work log three (13,731; 46,107 in all; core 6,764, read-
# only 4,360). Issue 33 brought them to 11,190, 37,836, core 4,962 and read-only 3,447:
# what the instructions now say once (metadata, assignee, versions, paging, dates,
# quarters) left the tools, a tool's description says what its arguments mean once,
# metadata's four shapes are one object, and an output schema writes a definition it uses
# once in place.
MODEL_VISIBLE_LIMIT = 12_000
DOCUMENT_LIMIT = 40_000
CORE_LIMIT = 5_000
PAGE_LIMIT = 8_000


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def schemas_in(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema object inside ``node``, with where it sits."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from schemas_in(value, f"{path}/{key}")
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from schemas_in(value, f"{path}/{n}")


def model_visible(tools: list[Tool]) -> int:
    return sum(len(t.name) + len(t.description or "") + len(compact(t.input_schema)) for t in tools)


async def test_the_tool_list_fits_in_a_model_context(connect: Connect, actor: Actor) -> None:
    async with connect(actor) as client:
        listed = await client.list_tools()
    document = listed.model_dump_json(by_alias=True, exclude_none=True)
    assert len(listed.tools) == 25
    assert len(document) < DOCUMENT_LIMIT, len(document)
    assert model_visible(listed.tools) < MODEL_VISIBLE_LIMIT, model_visible(listed.tools)


async def offered_tools(
    database_url: str, tmp_path: Path, actor: Actor, selection: str
) -> list[Tool]:
    """The tools a server offers with WORKLEDGER_TOOLS=``selection``, as a client lists them."""
    container = Container.from_settings(make_settings(database_url, tmp_path, tools=selection))
    try:
        async with Client(WorkledgerMCP(container, actor=actor)) as client:
            return (await client.list_tools()).tools
    finally:
        await container.close()


async def test_the_core_tools_fit_in_less(database_url: str, tmp_path: Path, actor: Actor) -> None:
    tools = await offered_tools(database_url, tmp_path, actor, "core")
    assert len(tools) == 8
    assert model_visible(tools) < CORE_LIMIT, model_visible(tools)


async def test_input_schemas_have_no_null_unions_type_arrays_or_refs(
    connect: Connect, actor: Actor
) -> None:
    """Gemini and Vertex refuse ``anyOf`` with a null branch, ``type`` arrays, and string
    formats other than date-time."""
    async with connect(actor) as client:
        tools = (await client.list_tools()).tools
    for tool in tools:
        for where, schema in schemas_in(tool.input_schema):
            assert {"type": "null"} not in schema.get("anyOf", []), (tool.name, where)
            assert not isinstance(schema.get("type"), list), (tool.name, where)
            assert not {"$ref", "$defs"} & set(schema), (tool.name, where)
            assert schema.get("format", "date-time") == "date-time", (tool.name, where)
    update = next(t for t in tools if t.name == "update_work_item").input_schema
    assert update["properties"]["due_date"] == {"type": "string", "nullable": True}
    assert "nullable" not in update["properties"]["title"]  # a title cannot be cleared


async def test_output_schemas_are_valid_and_define_what_they_refer_to(
    connect: Connect, actor: Actor
) -> None:
    """A client compiles each output schema to check answers: an invalid one, or a $ref to
    a definition folded away, would fail every call of that tool."""
    async with connect(actor) as client:
        tools = (await client.list_tools()).tools
    for tool in tools:
        schema = tool.output_schema or {}
        validator_for(schema).check_schema(schema)
        defined = set(schema.get("$defs", {}))
        refs = {node["$ref"] for _, node in schemas_in(schema) if isinstance(node.get("$ref"), str)}
        assert refs == {f"#/$defs/{name}" for name in defined}, tool.name


async def test_a_nullable_field_is_still_cleared_by_null(connect: Connect, actor: Actor) -> None:
    async with connect(actor) as client:
        item = await task(client, "dated", due_date="2027-01-15", assignee="agent-a")
        cleared = await call(
            client, "update_work_item", id=item["id"], version=1, due_date=None, assignee=None
        )
        assert (cleared["due_date"], cleared["assignee"]) == (None, None)


async def test_a_page_of_fifty_leaves_out_null_and_default_fields(
    connect: Connect, actor: Actor
) -> None:
    async with connect(actor) as client:
        done = await task(client, "Already shipped", status="completed", priority="high")
        for n in range(50):
            await task(client, f"Parse the statements of bank {n:02d}", tags=["import"])
        result = await client.call_tool("list_work_items", {"limit": 50})
        page = json.loads(result.content[0].text)
        assert len(result.content[0].text) < PAGE_LIMIT, len(result.content[0].text)
        assert len(page["items"]) == 50
        assert page["total_count"] == 51
        first = page["items"][0]
        # Null, empty and default fields are left out; what differs is there.
        assert set(first) == {"id", "item_type", "title", "tags", "ready", "version"}, first
        assert result.structured_content == page
        everything = await call(client, "list_work_items", limit=100)
        shipped = next(i for i in everything["items"] if i["id"] == done["id"])
        assert (shipped["status"], shipped["priority"]) == ("completed", "high")
        assert "ready" not in shipped
        # An empty page still says it is one.
        empty = await call(client, "list_work_items", tag="nothing")
        assert empty == {"items": [], "total_count": 0, "has_more": False, "next_cursor": None}


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        (
            "core",
            {
                "get_project_status",
                "create_work_item",
                "update_work_item",
                "query_work_item",
                "list_work_items",
                "claim_work_item",
                "claim_next_work_item",
                "release_work_item",
            },
        ),
        ("list_work_items, claim_work_item", {"list_work_items", "claim_work_item"}),
    ],
)
async def test_workledger_tools_picks_what_is_offered(
    database_url: str, tmp_path: Path, actor: Actor, selection: str, expected: set[str]
) -> None:
    container = Container.from_settings(make_settings(database_url, tmp_path, tools=selection))
    try:
        async with Client(WorkledgerMCP(container, actor=actor)) as client:
            offered = {tool.name for tool in (await client.list_tools()).tools}
            assert offered == expected
            with pytest.raises(MCPError) as refused:
                await client.call_tool("list_vendors", {})
            assert refused.value.error.code == INVALID_PARAMS
    finally:
        await container.close()


async def test_read_only_offers_no_tool_that_writes(
    database_url: str, tmp_path: Path, actor: Actor
) -> None:
    tools = await offered_tools(database_url, tmp_path, actor, "read-only")
    assert "list_work_items" in {t.name for t in tools}
    assert all(t.annotations is not None and t.annotations.read_only_hint for t in tools)


def test_an_unknown_tool_name_is_refused_naming_it(database_url: str, tmp_path: Path) -> None:
    container = Container.from_settings(
        make_settings(database_url, tmp_path, tools="list_work_items,make_coffee")
    )
    with pytest.raises(SettingsError, match="WORKLEDGER_TOOLS: no tool make_coffee"):
        WorkledgerMCP(container, actor=None)
