"""End-to-end fixtures: real `workledger mcp` (stdio) and `workledger serve` (HTTP)
processes on the test's own database (``database_url`` of the root conftest), so a test
arranges and inspects through its in-process ``container`` while its clients talk to the
server. Every test that takes ``mode`` runs in both connection modes: "auto" (the
2026-07-28 protocol, no handshake) and "legacy" (the initialize handshake). The servers
are in ``tests/support/servers.py``, the acceptance scenarios in
``tests/support/scenarios.py``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers import MODES, HttpServer, HttpServers, StdioServer, server_env
from workledger.container import Container


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def stdio(database_url: str, container: Container, tmp_path: Path) -> StdioServer:
    """``container`` first: on PostgreSQL it empties the tables, so the built-in local
    account the processes act as starts with nothing."""
    home = tmp_path / "stdio"
    return StdioServer(env=server_env(database_url, home), cwd=home)


@pytest.fixture(scope="module")
def module_sqlite_url(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> str:
    """A SQLite file of the module's own: a module whose tests share one server per
    backend makes its ``database_url`` this on SQLite (PostgreSQL has one database for
    the session already)."""
    path = tmp_path_factory.mktemp(f"e2e-{request.module.__name__.rsplit('.', 1)[-1]}")
    shutil.copyfile(sqlite_template, path / "workledger.db")
    return f"sqlite+aiosqlite:///{path / 'workledger.db'}"


@pytest.fixture(scope="module")
def http_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpServers]:
    servers = HttpServers(tmp_path_factory.mktemp("serve"))
    try:
        yield servers
    finally:
        servers.stop_all()


@pytest.fixture
def http_server(http_servers: HttpServers, database_url: str, container: Container) -> HttpServer:
    return http_servers.get(database_url)
