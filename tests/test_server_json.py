"""`server.json`, the description of the server for MCP registries, stays true: its
version is the package's, its commands are real commands, its settings are real
settings, and it names the tools the server offers. (The installed-tool test checks the
tools against a live `tools/list` of the installed wheel.)"""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

import click

from tests.support.install import CHECKOUT
from workledger import __version__
from workledger.config import LOCAL_ACCOUNT_EMAIL, Settings
from workledger.main import cli
from workledger.mcp.registry import TOOLS

SERVER = json.loads((CHECKOUT / "server.json").read_text())
PROJECT = tomllib.loads((CHECKOUT / "pyproject.toml").read_text())["project"]
PUBLISHED = SERVER["_meta"]["io.modelcontextprotocol.registry/publisher-provided"]
# The registry's rules for a server's name and description (server.schema.json).
NAME = re.compile(r"^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$")


def by_transport(kind: str) -> dict[str, Any]:
    (package,) = [p for p in SERVER["packages"] if p["transport"]["type"] == kind]
    return dict(package)


def test_it_describes_this_package_at_this_version() -> None:
    assert SERVER["$schema"].endswith("/server.schema.json")
    assert NAME.match(SERVER["name"])
    assert 1 <= len(SERVER["description"]) <= 100
    assert SERVER["version"] == __version__
    for package in SERVER["packages"]:
        assert (package["registryType"], package["identifier"]) == ("pypi", PROJECT["name"])
        assert package["version"] == __version__
    # PyPI packages prove the name to the registry with a marker in their README.
    assert f"mcp-name: {SERVER['name']}" in (CHECKOUT / "README.md").read_text()


def test_its_commands_are_the_command_lines_of_stdio_mcp_and_http() -> None:
    stdio, http = by_transport("stdio"), by_transport("streamable-http")
    assert [a["value"] for a in stdio["packageArguments"]] == ["mcp"]
    assert [a["value"] for a in http["packageArguments"]] == ["serve"]
    assert isinstance(cli, click.Group)
    serve = cli.commands["serve"]
    defaults = {param.name: param.default for param in serve.params}
    assert http["transport"]["url"] == f"http://{defaults['host']}:{defaults['port']}/mcp"
    (header,) = http["transport"]["headers"]
    assert header["name"] == "Authorization"
    assert header["value"].startswith("Bearer {")
    assert header["isSecret"]


def test_its_environment_variables_are_settings_with_their_defaults() -> None:
    defaults = {name: field.default for name, field in Settings.model_fields.items()}
    defaults["account"] = LOCAL_ACCOUNT_EMAIL  # None in Settings: the built-in account
    for package in SERVER["packages"]:
        for variable in package["environmentVariables"]:
            name = variable["name"].removeprefix("WORKLEDGER_").lower()
            assert name in Settings.model_fields, variable["name"]
            if "default" in variable:
                assert variable["default"] == defaults[name], variable["name"]


def test_it_names_the_tools_the_server_offers() -> None:
    assert PUBLISHED["tools"] == [spec.name for spec in TOOLS]
