"""Real `workledger mcp` (stdio) and `workledger serve` (HTTP) processes for end-to-end
tests, on the test's own database, with accounts to act as."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2
from mcp.client.client import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp_types import Implementation

from tests.conftest import TEST_SECRET, new_actor
from tests.support.commands import WORKLEDGER
from tests.support.mcp import check_mode
from workledger.container import Container
from workledger.schemas.account import AccountCreate
from workledger.schemas.common import Actor

MODES = ("auto", "legacy")
CALL_TIMEOUT_SECONDS = 30.0
START_TIMEOUT_SECONDS = 30.0
# The legacy handshake's first message, for tests that speak the protocol by hand.
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "raw-client", "version": "1"},
    },
}


def unique(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:8]}"


def server_env(database_url: str, home: Path) -> dict[str, str]:
    """Everything a server process needs, nothing inherited from the test's environment."""
    home.mkdir(parents=True, exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "WORKLEDGER_DATABASE_URL": database_url,
        "WORKLEDGER_JWT_SECRET": TEST_SECRET,
        "WORKLEDGER_DATA_DIR": str(home / ".workledger"),
        "WORKLEDGER_REPO_DIR": str(home),
    }


# --- accounts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    id: uuid.UUID
    email: str
    jwt: str
    api_token: str
    api_token_id: uuid.UUID
    actor: Actor


async def new_account(container: Container, label: str, *, password: str | None = None) -> Account:
    """A fresh account in the servers' database, with an access JWT and an API token
    (and ``password``, to sign in to the web pages with)."""
    email = f"{unique(label)}@example.com"
    fields = {"email": email} | ({"password": password} if password else {})
    created = await container.accounts.create(AccountCreate.load(fields))
    actor = await new_actor(container, email, "e2e-setup")
    api = await container.accounts.create_api_token(actor=actor, name=f"{label}-token")
    jwt = container.accounts.issue_access_token(created.id).access_token
    return Account(created.id, email, jwt, api.token, api.id, actor)


@dataclass(frozen=True)
class StdioServer:
    """How to launch `workledger mcp`; every client gets a process of its own.
    ``program``: another installation's `workledger`."""

    env: dict[str, str]
    cwd: Path
    program: str = WORKLEDGER

    def command(self) -> list[str]:
        return [self.program, "mcp"]

    @asynccontextmanager
    async def connect(
        self, name: str, mode: str, *, account: str | None = None
    ) -> AsyncIterator[Client]:
        env = dict(self.env)
        if account is not None:
            env["WORKLEDGER_ACCOUNT"] = account
        command, *args = self.command()
        params = StdioServerParameters(command=command, args=args, env=env, cwd=str(self.cwd))
        async with Client(
            params,
            client_info=Implementation(name=name, version="1"),
            mode=mode,
            read_timeout_seconds=CALL_TIMEOUT_SECONDS,
        ) as client:
            check_mode(client, mode)
            yield client


# --- HTTP -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class HttpServer:
    """`workledger serve` on a free port, its output in a log file."""

    def __init__(
        self,
        database_url: str,
        home: Path,
        *,
        env: dict[str, str] | None = None,
        workers: int = 1,
        program: str = WORKLEDGER,
    ) -> None:
        """``env``: settings beside the test's own (server_env); ``program``: another
        installation's `workledger`."""
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.mcp_url = f"{self.base_url}/mcp"
        self.log_path = home / "serve.log"
        command = [program, "serve"]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers)]
        env = {**server_env(database_url, home), **(env or {})}
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT
            )

    def log(self) -> str:
        """Everything the server printed."""
        return self.log_path.read_text(errors="replace")

    def log_tail(self) -> str:
        """The end of it, for an assertion's message."""
        return self.log()[-4000:]

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            assert self.process.poll() is None, f"workledger serve exited:\n{self.log_tail()}"
            try:
                with urllib.request.urlopen(f"{self.base_url}/health", timeout=2) as response:
                    if json.load(response)["status"] == "ok":
                        return
            except OSError:
                pass
            silent = f"workledger serve did not answer:\n{self.log_tail()}"
            assert time.monotonic() < deadline, silent
            time.sleep(0.1)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)

    @asynccontextmanager
    async def connect(
        self, token: str, name: str, mode: str, *, ledger: str | None = None
    ) -> AsyncIterator[Client]:
        """An MCP client of ``token`` at /mcp, or at /mcp/ledgers/{ledger}."""
        headers = {"Authorization": f"Bearer {token}"}
        url = self.mcp_url if ledger is None else f"{self.mcp_url}/ledgers/{ledger}"
        async with (
            httpx2.AsyncClient(headers=headers, timeout=CALL_TIMEOUT_SECONDS) as http,
            Client(
                streamable_http_client(url, http_client=http),
                client_info=Implementation(name=name, version="1"),
                mode=mode,
                read_timeout_seconds=CALL_TIMEOUT_SECONDS,
            ) as client,
        ):
            check_mode(client, mode)
            yield client


class HttpServers:
    """One server per database, started on first use and kept for the module: starting
    one costs more than most tests. Tests stay independent through accounts of their own."""

    def __init__(self, home: Path) -> None:
        self._home = home
        self._servers: dict[str, HttpServer] = {}

    def get(self, database_url: str) -> HttpServer:
        server = self._servers.get(database_url)
        if server is None:
            home = self._home / f"server-{len(self._servers)}"
            server = self._servers[database_url] = HttpServer(database_url, home)
            server.wait_until_up()
        assert server.process.poll() is None, f"workledger serve died:\n{server.log_tail()}"
        return server

    def stop_all(self) -> None:
        for server in self._servers.values():
            server.stop()
