"""The reference in docs/ says what the running code offers: every MCP tool and argument the
server lists, every route of the OpenAPI document, every command and option of the
`workledger` command, every setting, every error code; the docs/reference pages the code
cites exist, and every relative link of README.md and docs/ resolves.

The names come from the code itself (the SDK's client listing the tools in memory, the
app's OpenAPI document, the click group, the settings model, the error renderers), never
from a list kept here. Nothing touches a database."""

from __future__ import annotations

import ast
import importlib
import json
import re
import tomllib
from collections.abc import AsyncIterator, Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any

import click
import pytest
from fastapi import FastAPI
from mcp import Client
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request

from workledger.app import create_app
from workledger.config import Settings, load_settings
from workledger.container import Container
from workledger.errors import WorkledgerError
from workledger.mcp.server import WorkledgerMCP

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
REFERENCE = DOCS / "reference"
SOURCE = ROOT / "src" / "workledger"
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")


# --- reading the reference -----------------------------------------------------------------


def page(name: str) -> str:
    return (REFERENCE / name).read_text(encoding="utf-8")


def prose_lines(text: str) -> Iterator[tuple[int, str]]:
    """The lines outside fenced code blocks, numbered from 1."""
    fenced = False
    for number, line in enumerate(text.splitlines(), start=1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield number, line


def section(text: str, title: str) -> str:
    """The text under the heading ``title`` (exactly), down to the next heading of the
    same or a higher level; empty when there is no such heading."""
    lines = text.splitlines()
    for number, line in prose_lines(text):
        found = HEADING.match(line)
        if found and found.group(2) == title:
            level = len(found.group(1))
            body = []
            for following in lines[number:]:
                other = HEADING.match(following)
                if other and len(other.group(1)) <= level:
                    break
                body.append(following)
            return "\n".join(body)
    return ""


def missing_from(text: str, names: set[str], *, code: bool = True) -> list[str]:
    """The names that ``text`` does not mention (as `code` spans, unless told)."""
    return sorted(name for name in names if (f"`{name}`" if code else name) not in text)


# --- the running parts ---------------------------------------------------------------------


@pytest.fixture
async def container(tmp_path: Path) -> AsyncIterator[Container]:
    """A container on a SQLite file nobody opens: listing tools and routes reads nothing."""
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}",
        data_dir=tmp_path / ".workledger",
        jwt_secret="docs-" + "x" * 40,
        repo_dir=tmp_path,
        tools="all",
    )
    built = Container.from_settings(settings)
    try:
        yield built
    finally:
        await built.close()


@pytest.fixture
def app(container: Container) -> FastAPI:
    return create_app(container)


async def listed_tools(container: Container) -> dict[str, dict[str, Any]]:
    """Each tool the server lists, by name: its input schema, as a client sees it."""
    server = WorkledgerMCP(container, actor=None)
    async with Client(server) as client:
        listing = await client.list_tools()
    return {tool.name: tool.input_schema for tool in listing.tools}


def command_group() -> click.Group:
    """The click group behind the `workledger` command pyproject.toml installs: its
    console script (``workledger.launch``, light to import) runs ``workledger.main``'s,
    in the command server or in its own process."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"]["workledger"] == "workledger.launch:main"
    group = importlib.import_module("workledger.main").cli
    assert isinstance(group, click.Group)
    return group


def commands(group: click.Group, path: str = "workledger") -> Iterator[tuple[str, click.Command]]:
    """Every command and subcommand, by its full name (``workledger db upgrade``)."""
    for name, command in sorted(group.commands.items()):
        full = f"{path} {name}"
        yield full, command
        if isinstance(command, click.Group):
            yield from commands(command, full)


# --- MCP -----------------------------------------------------------------------------------


async def test_every_listed_tool_and_argument_is_in_mcp_md(container: Container) -> None:
    tools = await listed_tools(container)
    text = page("mcp.md")
    assert len(tools) > 10, "the server lists too few tools for this test to mean anything"
    missing = []
    for name, schema in tools.items():
        described = section(text, f"`{name}`")
        if not described:
            missing.append(f"{name}: no section headed `{name}`")
            continue
        arguments = set(schema.get("properties", {}))
        missing += [f"{name}: argument {arg}" for arg in missing_from(described, arguments)]
    assert not missing, "docs/reference/mcp.md does not name:\n" + "\n".join(missing)


def test_mcp_md_names_the_resources() -> None:
    """The resources the server registers, read from the server module's registrations."""
    tree = ast.parse((SOURCE / "mcp" / "server.py").read_text(encoding="utf-8"))
    uris = {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "resource"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and str(node.args[0].value).startswith("workledger://")
    }
    assert uris, "found no resource registration in mcp/server.py"
    assert not missing_from(page("mcp.md"), uris)


# --- REST ----------------------------------------------------------------------------------


def test_every_openapi_route_is_in_rest_md(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    text = page("rest.md")
    routes = {f"{method.upper()} {path}" for path, ops in paths.items() for method in ops}
    assert len(routes) > 20
    missing = missing_from(text, routes)
    assert not missing, "docs/reference/rest.md does not name:\n" + "\n".join(missing)


def test_every_query_parameter_is_in_rest_md(app: FastAPI) -> None:
    document = app.openapi()
    names = {
        parameter["name"]
        for ops in document["paths"].values()
        for operation in ops.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query"
    }
    missing = missing_from(page("rest.md"), names)
    assert not missing, "docs/reference/rest.md does not name the query parameters " + str(missing)


# --- the command line ----------------------------------------------------------------------


def test_every_command_and_option_is_in_cli_md() -> None:
    text = page("cli.md")
    group = command_group()
    missing = [f"workledger {opt}" for p in group.params for opt in p.opts if opt not in text]
    every = list(commands(group))
    assert len(every) > 15
    for full, command in every:
        if isinstance(command, click.Group):
            if f"`{full}" not in text:
                missing.append(f"{full}: not named")
            continue
        described = section(text, f"`{full}`")
        if not described:
            missing.append(f"{full}: no section headed `{full}`")
            continue
        for param in command.params:
            if isinstance(param, click.Argument):
                if param.human_readable_name not in described:
                    missing.append(f"{full}: argument {param.human_readable_name}")
                continue
            long = {opt for opt in [*param.opts, *param.secondary_opts] if opt.startswith("--")}
            missing += [f"{full}: option {opt}" for opt in missing_from(described, long)]
    assert not missing, "docs/reference/cli.md does not name:\n" + "\n".join(missing)


# --- configuration -------------------------------------------------------------------------


def test_every_setting_and_its_variable_is_in_configuration_md() -> None:
    prefix = Settings.model_config.get("env_prefix", "")
    variables = {f"{prefix}{name}".upper() for name in Settings.model_fields}
    assert len(variables) > 5
    missing = missing_from(page("configuration.md"), variables)
    assert not missing, "docs/reference/configuration.md does not name " + str(missing)


# --- errors --------------------------------------------------------------------------------


def domain_codes() -> set[str]:
    """The code of every domain error class the doors can raise (create_app and the MCP
    server are imported above, so their own classes are among them)."""
    found, todo = set(), [WorkledgerError]
    while todo:
        kind = todo.pop()
        todo += kind.__subclasses__()
        if kind is not WorkledgerError:
            found.add(kind.code)
    return found


async def http_codes(app: FastAPI) -> set[str]:
    """What the app's renderers answer for every HTTP error status, and for a failure
    nobody expected."""
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/health",
        "raw_path": b"/health",
        "root_path": "",
        "scheme": "http",
        "server": ("127.0.0.1", 8000),
        "query_string": b"",
        "headers": [],
        "app": app,
    }
    request = Request(scope)
    codes = set()
    http_handler = app.exception_handlers[StarletteHTTPException]
    for status in HTTPStatus:
        if status >= 400:
            answer = await http_handler(request, StarletteHTTPException(status))
            codes.add(json.loads(answer.body)["code"])
    unexpected = await app.exception_handlers[Exception](request, RuntimeError("boom"))
    codes.add(json.loads(unexpected.body)["code"])
    return codes


def problem_codes() -> set[str]:
    """The codes written out in problem(status, "code", …) calls anywhere in the source."""
    codes = set()
    for path in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) == "problem"
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and isinstance(node.args[1].value, str)
            ):
                codes.add(node.args[1].value)
    return codes


async def test_every_error_code_is_in_errors_md(app: FastAPI) -> None:
    codes = domain_codes() | await http_codes(app) | problem_codes()
    assert {"validation_error", "not_found", "too_large"} <= codes, "the scan found too little"
    missing = missing_from(page("errors.md"), codes)
    assert not missing, "docs/reference/errors.md does not name " + str(missing)


# --- what the code cites, and the links ----------------------------------------------------

CITED = re.compile(r"docs/reference/[A-Za-z0-9_.-]+\.md")


def test_every_reference_page_the_code_cites_exists() -> None:
    cited: dict[str, list[str]] = {}
    for folder in (ROOT / "src", ROOT / "tests"):
        for path in folder.rglob("*"):
            if path.suffix not in {".py", ".html", ".md", ".toml"} or "__pycache__" in path.parts:
                continue
            for found in CITED.findall(path.read_text(encoding="utf-8", errors="replace")):
                cited.setdefault(found, []).append(str(path.relative_to(ROOT)))
    assert cited, "no code cites docs/reference: the scan is broken"
    missing = {name: where for name, where in cited.items() if not (ROOT / name).is_file()}
    assert not missing, f"cited but missing: {missing}"


LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
INLINE_CODE = re.compile(r"`[^`]*`")


def slug(title: str) -> str:
    """A heading's anchor as GitHub makes it."""
    text = re.sub(r"[^\w\- ]", "", title.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    for _, line in prose_lines(path.read_text(encoding="utf-8")):
        found = HEADING.match(line)
        if found:
            base = slug(found.group(2))
            count = seen.get(base, 0)
            seen[base] = count + 1
            if count:
                seen[f"{base}-{count}"] = 1
    return set(seen)


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]


def links(path: Path) -> Iterator[tuple[int, str]]:
    """Each link target of a markdown file, with its line, outside code blocks and code
    spans (which may run over a line's end)."""
    lines = dict(prose_lines(path.read_text(encoding="utf-8")))
    text = "\n".join(lines.get(number, "") for number in range(1, max(lines, default=0) + 1))
    text = INLINE_CODE.sub(lambda span: "\n" * span.group().count("\n"), text)
    for found in LINK.finditer(text):
        yield text.count("\n", 0, found.start()) + 1, found.group(1)


def broken_links(path: Path) -> list[str]:
    broken = []
    for number, target in links(path):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
            continue  # https:, mailto:, …
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        where = f"{path.relative_to(ROOT)}:{number}: {target}"
        if not linked.exists():
            broken.append(where)
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{where} (no such heading)")
    return broken


def test_every_relative_link_resolves() -> None:
    files = markdown_files()
    assert len(files) > 5
    broken = [link for path in files for link in broken_links(path)]
    assert not broken, "broken links:\n" + "\n".join(broken)
