"""MCP fixtures: in-memory SDK clients, in both connection modes, acting as an account.

Every test that takes ``connect`` runs twice per backend: with the
2026-07-28 stateless protocol (``auto``) and with the initialize handshake (``legacy``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from mcp import Client, Implementation

from workledger.container import Container
from workledger.mcp.server import WorkledgerMCP
from workledger.schemas.common import Actor

Connect = Callable[..., Client]
LEAKS = ("Traceback", "sqlalchemy", "asyncpg", "Error executing tool")


@pytest.fixture(params=["auto", "legacy"])
def mcp_mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def connect(container: Container, mcp_mode: str) -> Connect:
    """``connect(actor, name="claude-code")``: a Client of a server acting as ``actor``'s
    account, to enter with ``async with`` in the test itself (the SDK's task group must be
    left in the task that entered it, which rules out a yielding fixture). ``name=None``
    declares no client info at all."""

    def _connect(actor: Actor, name: str | None = "claude-code") -> Client:
        server = WorkledgerMCP(container, account_id=actor.account_id)
        info = Implementation(name=name, version="1") if name is not None else None
        return Client(server, client_info=info, mode=mcp_mode)

    return _connect


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
