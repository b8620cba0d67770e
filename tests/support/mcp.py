"""Calling MCP tools in tests, through any connected SDK client (in memory, stdio, HTTP)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from mcp import Client
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

# connect(actor, name=...): a Client of an in-memory server acting as that account.
Connect = Callable[..., Client]
LEAKS = ("Traceback", "sqlalchemy", "asyncpg", "Error executing tool")


def check_mode(client: Client, mode: str) -> None:
    """The connection really is what the test asked for: "auto" (the 2026-07-28 protocol,
    no handshake) or "legacy" (the initialize handshake)."""
    modern = client.protocol_version in MODERN_PROTOCOL_VERSIONS
    assert modern == (mode == "auto"), f"mode {mode!r} negotiated {client.protocol_version}"


async def call(
    client: Client, tool: str, args: dict[str, Any] | None = None, /, **more: Any
) -> dict[str, Any]:
    """The structured answer of a call that must succeed (its text is the same JSON).
    Arguments come as a dict, as keywords, or both."""
    result = await client.call_tool(tool, {**(args or {}), **more})
    text = result.content[0].text if result.content else ""
    assert not result.is_error, f"{tool} refused: {text}"
    assert result.structured_content is not None
    assert json.loads(text) == result.structured_content
    return result.structured_content


async def refused(
    client: Client, tool: str, args: dict[str, Any] | None = None, /, **more: Any
) -> dict[str, Any]:
    """The JSON error object of a call that must fail, checked to leak no internals."""
    result = await client.call_tool(tool, {**(args or {}), **more})
    assert result.is_error, f"{tool} was accepted: {result.structured_content}"
    text = result.content[0].text
    for leak in LEAKS:
        assert leak not in text
    error = json.loads(text)
    assert isinstance(error, dict)
    assert {"error", "message"} <= set(error)
    return error


def field_names(error: dict[str, Any]) -> list[str]:
    """The field names a validation_error points at."""
    assert error["error"] == "validation_error", error
    return [e["field"] for e in error["errors"]]


def commit(n: int) -> str:
    """A full 40-character commit hash."""
    return f"{n:040x}"


async def task(client: Client, title: str, **fields: Any) -> dict[str, Any]:
    return await call(client, "create_work_item", item_type="task", title=title, **fields)


async def total(client: Client, tool: str = "list_work_items", **query: Any) -> int:
    """How many records a list tool counts (work items by default)."""
    return int((await call(client, tool, query))["total_count"])


def pick(record: dict[str, Any], *keys: str) -> tuple[Any, ...]:
    """Some fields of a record, to compare in one assertion."""
    return tuple(record[key] for key in keys)
