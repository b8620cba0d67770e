"""MCP tool descriptions, built once per test session instead of once per server.

Every REST test builds an app, and every in-memory MCP client a server; each server turns
the 18 tool functions into the SDK's tools, generating their JSON schemas (~0.17 s, most of
what building an app costs). A tool's description depends on its ``ToolSpec`` alone, not
on the container or the account the server acts for, and nothing changes a tool once built:
the first build of each is kept and handed to every later server. What a test observes
(the container, the database, the account) stays its own."""

from __future__ import annotations

import functools

from workledger.mcp import server


def build_tools_once() -> None:
    """Memoize the server module's tool builder (``_tool``); without one, nothing changes
    (the tests are only slower)."""
    build = getattr(server, "_tool", None)
    if build is None or hasattr(build, "cache_info"):
        return
    server._tool = functools.cache(build)
