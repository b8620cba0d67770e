"""workledger installed as a tool, as the README tells a new user to: a wheel built from
the checkout, installed outside it by uv (or pip) and by pipx, and run from a directory
that has nothing to do with the checkout. Every command a user runs first must work
from what the wheel carries: migrations, templates, web assets and the MCP server."""

from __future__ import annotations

import asyncio
import json
import subprocess
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.support.install import (
    CHECKOUT,
    PYTHON,
    Installed,
    build_wheel,
    find_uv,
    install_tool,
    installer_env,
    pipx_install,
    run,
    user_env,
)
from tests.support.mcp import call
from tests.support.servers import HttpServer, StdioServer
from workledger import __version__

SERVER_JSON = json.loads((CHECKOUT / "server.json").read_text())
PUBLISHED = SERVER_JSON["_meta"]["io.modelcontextprotocol.registry/publisher-provided"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    return install_tool(wheel, tmp_path_factory.mktemp("tool"))


def workledger(env: dict[str, str], cwd: Path, *args: str) -> str:
    """The bare `workledger` command of the user's PATH; its stdout."""
    return run(["workledger", *args], cwd=cwd, env=env)


def test_the_wheel_carries_every_file_of_the_package(wheel: Path) -> None:
    """Migrations, templates and web assets are package data: a file added to the source
    tree but left out of the wheel would break only the installed tool."""
    source = CHECKOUT / "src"
    tracked = run(["git", "ls-files", "workledger"], cwd=source).split()
    with zipfile.ZipFile(wheel) as archive:
        packed = {name for name in archive.namelist() if name.startswith("workledger/")}
    assert set(tracked) <= packed, sorted(set(tracked) - packed)
    assert any(name.startswith("workledger/migrations/versions/") for name in packed)


def test_the_installed_tool_runs_from_any_directory_without_the_checkout(
    installed: Installed, tmp_path: Path
) -> None:
    env = user_env(installed.program, tmp_path / "home")
    assert workledger(env, tmp_path, "--version").strip() == f"workledger, version {__version__}"
    where = run(
        [installed.python, "-c", "import workledger; print(workledger.__file__)"], cwd=tmp_path
    )
    assert not Path(where.strip()).is_relative_to(CHECKOUT), where


def test_the_cli_and_stdio_mcp_of_the_installed_tool_keep_one_project(
    installed: Installed, backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """`items add`, `report` and `workledger mcp` in a fresh project: on SQLite with no
    setting at all (the data directory appears in the project), on PostgreSQL from an
    empty database that the tool migrates itself."""
    project = tmp_path / "project"
    project.mkdir()
    settings = {}
    if backend == "postgresql":
        settings["database_url"] = request.getfixturevalue("empty_database_url")
    env = user_env(installed.program, tmp_path / "home", **settings)

    item_id = workledger(env, project, "items", "add", "task", "Parse totals").strip()
    assert "[task] Parse totals · active · medium" in workledger(env, project, "report", "-o", "-")
    if backend == "sqlite":
        assert (project / ".workledger" / "workledger.db").is_file()

    async def through_mcp() -> dict[str, Any]:
        server = StdioServer(env=env, cwd=project, program="workledger")
        async with server.connect("installed-client", "auto") as client:
            tools = [tool.name for tool in (await client.list_tools()).tools]
            assert sorted(tools) == sorted(PUBLISHED["tools"])
            resources = [str(r.uri) for r in (await client.list_resources()).resources]
            templates = (await client.list_resource_templates()).resource_templates
            resources += [t.uri_template for t in templates]
            assert sorted(resources) == sorted(PUBLISHED["resources"])
            page = await call(client, "list_work_items")
            assert [item["id"] for item in page["items"]] == [item_id]
            return await call(client, "create_work_item", item_type="task", title="From MCP")

    created = asyncio.run(through_mcp())
    assert created["created_by"] == "installed-client"
    listed = json.loads(workledger(env, project, "items", "list", "--json"))
    assert {item["title"] for item in listed} == {"Parse totals", "From MCP"}


def test_the_installed_server_serves_its_pages_and_assets(
    installed: Installed, tmp_path: Path
) -> None:
    """The web pages' templates and static files come from the installed package."""
    server = HttpServer(
        f"sqlite+aiosqlite:///{tmp_path / 'served.db'}", tmp_path, program=installed.program
    )
    try:
        server.wait_until_up()
        with urllib.request.urlopen(f"{server.base_url}/sign-in", timeout=10) as page:
            assert "<form" in page.read().decode()
        with urllib.request.urlopen(f"{server.base_url}/static/htmx.min.js", timeout=10) as js:
            assert js.status == 200
            assert len(js.read()) > 10_000
    finally:
        server.stop()


def test_pipx_installs_it_as_well(wheel: Path, tmp_path: Path) -> None:
    program = pipx_install(wheel, tmp_path / "pipx")
    env = user_env(program, tmp_path / "home")
    assert workledger(env, tmp_path, "--version").strip() == f"workledger, version {__version__}"
    assert len(workledger(env, tmp_path, "items", "add", "task", "Via pipx").strip()) == 36


@pytest.mark.skipif(find_uv() is None, reason="uvx comes with uv")
def test_uvx_runs_it_straight_from_the_checkout(tmp_path: Path) -> None:
    """What the README gives clients that launch servers themselves: `uvx --from
    <checkout> workledger mcp`, here with --version."""
    uv = find_uv()
    assert uv is not None
    env = installer_env(UV_TOOL_DIR=str(tmp_path / "tools"))
    command = [uv, "tool", "run", "--python", PYTHON, "--from", str(CHECKOUT), "workledger"]
    answer = subprocess.run(
        [*command, "--version"], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
    )
    assert answer.stdout.strip() == f"workledger, version {__version__}"
