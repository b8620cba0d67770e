"""Asking for something the server does not have is a client's mistake: the JSON-RPC
error the MCP specification gives it (-32602, invalid params), and no traceback in the
server's log (issue 16)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from tests.support.mcp import Connect
from workledger.schemas.common import Actor

INVALID_PARAMS = -32602

ASKS: dict[str, Callable[[Client], Awaitable[Any]]] = {
    "prompt": lambda client: client.get_prompt("summarise_the_week"),
    "tool": lambda client: client.call_tool("make_coffee", {}),
    "resource": lambda client: client.read_resource(f"workledger://work-items/{uuid.uuid4()}"),
    "resource scheme": lambda client: client.read_resource("workledger://nothing-here"),
}


@pytest.mark.parametrize("ask", list(ASKS))
async def test_an_unknown_name_is_invalid_params_without_a_traceback(
    connect: Connect, actor: Actor, ask: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with connect(actor) as client:
        with pytest.raises(MCPError) as refused:
            await ASKS[ask](client)
        assert refused.value.error.code == INVALID_PARAMS
        assert refused.value.error.message
        assert (await client.list_prompts()).prompts == []
    tracebacks = [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert tracebacks == []
