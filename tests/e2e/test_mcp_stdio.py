"""`workledger mcp` as AI clients run it: a subprocess speaking MCP over stdin/stdout.

Each client gets a server process of its own, as Claude Desktop and Claude Code do; two
clients are two processes on one database, so one's change must reach the other's
next read through the database, not through a shared cache.
"""

from __future__ import annotations

import asyncio
import json
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import new_actor
from tests.support.mcp import call
from tests.support.scenarios import (
    assert_invisible,
    assert_outside_change_seen,
    scenario_deployment,
    scenario_hierarchy,
    scenario_two_agents,
    scenario_vendor_health,
    scenario_visibility,
)
from tests.support.servers import CALL_TIMEOUT_SECONDS, INITIALIZE, StdioServer, new_account
from workledger.config import LOCAL_ACCOUNT_EMAIL
from workledger.container import Container


async def test_one_client_vendor_health_deployment_and_hierarchy(
    stdio: StdioServer, container: Container, mode: str
) -> None:
    """Scenarios 1, 3 and 6 in one session: a server process per scenario would triple
    the run time and test nothing more."""
    async with stdio.connect("claude-desktop", mode) as client:
        await scenario_vendor_health(client, client_name="claude-desktop")
        await scenario_deployment(client)
        await scenario_hierarchy(client)
    # Without WORKLEDGER_ACCOUNT the process acts as the built-in local account.
    actor = await new_actor(container, LOCAL_ACCOUNT_EMAIL, "test")
    vendors = (await container.vendors.list(actor=actor, status=None)).vendors
    assert len(vendors) == 45 + 4
    assert {(v.created_by, v.updated_by) for v in vendors} == {("claude-desktop",) * 2}


async def test_clients_of_one_account_race_and_see_each_other_but_no_other_account(
    stdio: StdioServer, container: Container, mode: str
) -> None:
    """Scenarios 2 and 7 between two server processes on one database, and a third acting
    as another account (WORKLEDGER_ACCOUNT)."""
    bob = await new_account(container, "bob")
    async with AsyncExitStack() as stack:
        desktop = await stack.enter_async_context(stdio.connect("claude-desktop", mode))
        code = await stack.enter_async_context(stdio.connect("claude-code", mode))
        outsider = await stack.enter_async_context(
            stdio.connect("copilot", mode, account=bob.email)
        )
        await scenario_two_agents({"claude-desktop": desktop, "claude-code": code})
        records = await scenario_visibility(code, desktop, writer_name="claude-code")
        await assert_outside_change_seen(container, LOCAL_ACCOUNT_EMAIL, desktop, records["vendor"])
        await assert_invisible(outsider, records)
        name = records["vendor"]["name"]
        theirs = await call(outsider, "create_vendor", name=name)  # free in bob's account
    assert theirs["id"] != records["vendor"]["id"]
    assert theirs["created_by"] == "copilot"
    listed = await container.vendors.list(actor=bob.actor, status=None)
    assert [str(v.id) for v in listed.vendors] == [theirs["id"]]


# --- the raw protocol -----------------------------------------------------------------------

INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}
EXIT_SECONDS = 5  # it exits within half a second once stdin is closed


def tool_call(request_id: int, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    params = {"name": name, "arguments": arguments}
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}


async def spawn(stdio: StdioServer, tmp_path: Path) -> asyncio.subprocess.Process:
    command, *args = stdio.command()
    with (tmp_path / "stderr.log").open("wb") as stderr:
        return await asyncio.create_subprocess_exec(
            command,
            *args,
            cwd=stdio.cwd,
            env=stdio.env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
        )


async def send(process: asyncio.subprocess.Process, *messages: dict[str, Any]) -> None:
    assert process.stdin is not None
    process.stdin.write(b"".join(json.dumps(m).encode() + b"\n" for m in messages))
    await process.stdin.drain()


async def receive(process: asyncio.subprocess.Process) -> bytes:
    assert process.stdout is not None
    return await asyncio.wait_for(process.stdout.readline(), CALL_TIMEOUT_SECONDS)


def assert_json_rpc_only(stdout: list[bytes]) -> None:
    for line in stdout:
        try:
            message = json.loads(line)
        except ValueError:
            pytest.fail(f"stdout carried something other than JSON-RPC: {line!r}")
        assert isinstance(message, dict), line
        assert message.get("jsonrpc") == "2.0", line


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.kill()
        await process.wait()


async def test_stdout_carries_only_json_rpc(stdio: StdioServer, tmp_path: Path) -> None:
    """Logs, migrations and errors go to stderr: stdout is the protocol, line by line."""
    process = await spawn(stdio, tmp_path)
    lines: list[bytes] = []
    try:
        await send(process, INITIALIZE)
        lines.append(await receive(process))
        assert_json_rpc_only(lines)
        assert json.loads(lines[-1])["result"]["serverInfo"]["name"] == "workledger"
        await send(process, INITIALIZED, tool_call(2, "create_vendor", {"name": "raw"}))
        lines.append(await receive(process))
        assert_json_rpc_only(lines)
        created = json.loads(lines[-1])["result"]
        assert created["structuredContent"]["created_by"] == "raw-client"
        for request_id, (name, arguments) in enumerate(
            [
                ("query_vendor_status", {"name": "absent"}),  # not_found
                ("query_work_item", {"id": "not-a-uuid"}),  # validation_error
                ("create_vendor", {"name": "raw", "colour": "red"}),  # unknown argument
                ("create_vendor", {"name": "raw"}),  # conflict: the name is taken
            ],
            start=3,
        ):
            await send(process, tool_call(request_id, name, arguments))
            lines.append(await receive(process))
            assert_json_rpc_only(lines)
            assert json.loads(lines[-1])["result"]["isError"] is True
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.close()
        rest = await asyncio.wait_for(process.stdout.read(), CALL_TIMEOUT_SECONDS)
        assert await asyncio.wait_for(process.wait(), CALL_TIMEOUT_SECONDS) == 0
    finally:
        await stop(process)
    lines += rest.splitlines()
    assert_json_rpc_only(lines)
    assert [json.loads(line)["id"] for line in lines] == [1, 2, 3, 4, 5, 6]


async def test_closing_stdin_with_calls_in_flight_ends_the_server(
    stdio: StdioServer, tmp_path: Path
) -> None:
    """A client that quits mid-call closes stdin; the server must exit, not linger on
    holding the database."""
    process = await spawn(stdio, tmp_path)
    try:
        await send(process, INITIALIZE)
        assert json.loads(await receive(process))["id"] == 1
        calls = [tool_call(10 + i, "create_vendor", {"name": f"v{i}"}) for i in range(20)]
        await send(process, INITIALIZED, *calls)
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), EXIT_SECONDS)
        except TimeoutError:
            pytest.fail(f"workledger mcp still runs {EXIT_SECONDS} s after its stdin was closed")
        assert_json_rpc_only((await process.stdout.read()).splitlines())
    finally:
        await stop(process)
