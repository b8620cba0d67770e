"""MCP arguments are as strict as REST bodies (issue 16), lists' filters included, with
one allowance: an integer written as a string of digits, which some clients send for
every number. The server's instructions say so."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.mcp import Connect, call, commit, field_names, refused
from workledger.schemas.common import Actor

TASK = {"item_type": "task", "title": "t"}
DEPLOYMENT = {"pr_number": 1, "pr_title": "Ship it", "commit_hash": commit(1)}

WRONG_TYPES: list[tuple[str, dict[str, Any], str]] = [
    ("create_work_item", {**TASK, "due_date": 0}, "due_date"),
    ("create_work_item", {**TASK, "due_date": "0"}, "due_date"),
    ("create_work_item", {**TASK, "pr_number": 12.5}, "pr_number"),
    ("create_work_item", {**TASK, "pr_number": "twelve"}, "pr_number"),
    ("create_work_item", {**TASK, "title": 5}, "title"),
    ("create_vendor", {"name": "Acme", "manifest_compliant": "yes"}, "manifest_compliant"),
    ("create_vendor", {"name": "Acme", "manifest_compliant": 1}, "manifest_compliant"),
    (
        "record_deployment",
        {**DEPLOYMENT, "constitutional_compliance": "no"},
        "constitutional_compliance",
    ),
    ("record_deployment", {**DEPLOYMENT, "deployed_at": 0}, "deployed_at"),
    ("list_deployments", {"since": "0"}, "since"),
    ("list_work_items", {"ready": "yes"}, "ready"),
    ("list_work_items", {"include_deleted": 1}, "include_deleted"),
]


@pytest.mark.parametrize(("tool", "arguments", "field"), WRONG_TYPES)
async def test_a_value_of_the_wrong_json_type_is_refused_naming_its_field(
    connect: Connect, actor: Actor, tool: str, arguments: dict[str, Any], field: str
) -> None:
    async with connect(actor) as client:
        assert field_names(await refused(client, tool, arguments)) == [field]
        assert (await call(client, "list_work_items"))["total_count"] == 0
        assert (await call(client, "list_vendors"))["vendors"] == []


async def test_integers_written_as_digits_are_taken(connect: Connect, actor: Actor) -> None:
    async with connect(actor) as client:
        created = await call(client, "create_work_item", {**TASK, "pr_number": "12"})
        assert created["pr_number"] == 12
        await call(client, "create_work_item", {**TASK, "title": "second"})
        page = await call(client, "list_work_items", limit="1")
        assert (len(page["items"]), page["has_more"]) == (1, True)
        changed = await call(
            client, "update_work_item", id=created["id"], version="1", title="renamed"
        )
        assert (changed["title"], changed["version"]) == ("renamed", 2)
        vendor = await call(
            client, "create_vendor", name="Acme", test_results={"passing": "3", "total": "4"}
        )
        assert vendor["test_results"]["passing"] == 3


async def test_the_server_says_that_digits_do(connect: Connect, actor: Actor) -> None:
    """Once, in the instructions a client gives the model with the tools: in every input
    schema it would cost the tool list's budget; as a type union it would say that any
    string will do."""
    async with connect(actor) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        instructions = client.instructions
    assert instructions is not None
    assert "Integers may be sent as digit strings." in instructions
    assert tools["create_work_item"].input_schema["properties"]["pr_number"] == {"type": "integer"}
