"""MCP fixtures: in-memory SDK clients, in both connection modes, acting as an account.

Every test that takes ``connect`` runs twice per backend: with the
2026-07-28 stateless protocol (``auto``) and with the initialize handshake (``legacy``)."""

from __future__ import annotations

import pytest
from mcp import Client, Implementation

from tests.support.mcp import Connect
from workledger.container import Container
from workledger.mcp.server import WorkledgerMCP
from workledger.schemas.common import Actor


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
        server = WorkledgerMCP(container, actor=actor)
        info = Implementation(name=name, version="1") if name is not None else None
        return Client(server, client_info=info, mode=mcp_mode)

    return _connect
