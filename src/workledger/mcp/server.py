"""The MCP server: the one module that imports the SDK.

Tools are registered from ``registry.TOOLS``; every call runs with a ``ToolCall`` (app,
actor, raw arguments) in context. The SDK's own answers are reshaped to the contract:
unknown arguments are refused, bad ones and domain errors become the JSON error object of
CONTRACT §8, and structured results travel as compact JSON text too."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

import anyio
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import CLIENT_INFO_META_KEY, CallToolResult, TextContent, ToolAnnotations
from pydantic import AnyHttpUrl
from pydantic import ValidationError as PydanticValidationError
from starlette.applications import Starlette

from workledger import __version__
from workledger.container import Container
from workledger.errors import (
    FieldError,
    NotFound,
    Unauthorized,
    ValidationError,
    WorkledgerError,
)
from workledger.mcp.call import ToolCall, current_call
from workledger.mcp.registry import TOOLS, ToolSpec
from workledger.mcp.resources import status_markdown, work_item_json
from workledger.schemas.common import Actor, field_errors

log = logging.getLogger(__name__)

DEFAULT_CLIENT = "mcp"
SCOPE = "workledger"
INSTRUCTIONS = (
    "workledger keeps this project's status: work items (project > session/task/research, "
    "5 levels), vendor extractor health, deployments, enhancements and the project "
    "configuration. Start with get_project_status. Every change names the version you "
    "read; on version_conflict re-read the record and retry."
)


class WorkledgerMCP(MCPServer):
    def __init__(
        self, container: Container, *, account_id: uuid.UUID | None, auth_url: str | None = None
    ) -> None:
        """``account_id``: the account every call acts as (stdio, in memory); without it each
        HTTP request acts as the account of its bearer token."""
        auth: dict[str, Any] = {}
        if account_id is None:
            auth = {
                "token_verifier": BearerVerifier(container),
                "auth": AuthSettings(
                    issuer_url=AnyHttpUrl(auth_url or "http://127.0.0.1"),
                    resource_server_url=None,
                    required_scopes=[SCOPE],
                ),
            }
        tools = [_tool(spec) for spec in TOOLS]
        super().__init__(
            name="workledger",
            version=__version__,
            instructions=INSTRUCTIONS,
            log_level="WARNING",
            tools=tools,
            **auth,
        )
        self._container = container
        self._account_id = account_id
        self._arguments = {tool.name: set(tool.parameters.get("properties", {})) for tool in tools}
        self.resource("workledger://status", name="status", mime_type="text/markdown")(
            status_markdown
        )
        self.resource(
            "workledger://work-items/{id}", name="work_item", mime_type="application/json"
        )(work_item_json)

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> Any:
        unknown = sorted(set(arguments) - self._arguments.get(name, set(arguments)))
        if unknown:
            return _error(
                ValidationError([FieldError(n, f"unknown argument for {name}") for n in unknown])
            )
        try:
            token = current_call.set(self._call(context, arguments))
        except WorkledgerError as exc:
            return _error(exc)
        try:
            # A started call finishes its (short) transaction even if the client goes away:
            # cancelling inside the SQLite driver leaves a connection nobody can close.
            with anyio.CancelScope(shield=True):
                result = await super().call_tool(name, arguments, context)
        except ToolError as exc:
            return _error(_domain_error(exc, tool=name))
        finally:
            current_call.reset(token)
        return _compact(result)

    async def read_resource(self, uri: Any, context: Context[Any, Any] | None = None) -> Any:
        token = current_call.set(self._call(context, {}))
        try:
            with anyio.CancelScope(shield=True):
                return await super().read_resource(uri, context)
        except ResourceError as exc:
            if isinstance(exc.__cause__, NotFound):
                raise ResourceNotFoundError(str(exc.__cause__)) from None
            raise
        finally:
            current_call.reset(token)

    def _call(self, context: Context[Any, Any] | None, arguments: dict[str, Any]) -> ToolCall:
        account_id = self._account_id
        if account_id is None:
            access = get_access_token()
            if access is None or access.subject is None:
                raise Unauthorized("a bearer token is required")
            account_id = uuid.UUID(access.subject)
        client = _client_name(context) or DEFAULT_CLIENT
        return ToolCall(self._container, Actor(account_id=account_id, client=client), arguments)


class BearerVerifier:
    """Access JWTs and API tokens, checked by the account service."""

    def __init__(self, container: Container) -> None:
        self._accounts = container.accounts

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            principal = await self._accounts.resolve_bearer(token)
        except WorkledgerError:
            return None
        return AccessToken(
            token=token,
            client_id=principal.token_name or "api",
            scopes=[SCOPE],
            subject=str(principal.account_id),
        )


@dataclass(frozen=True)
class MountedMCP:
    """The streamable HTTP app (serving /mcp) and what must run for as long as it serves:
    a mounted app's own lifespan never runs, so the host application's must run this."""

    app: Starlette
    running: Callable[[], AbstractAsyncContextManager[None]]


def http_app(container: Container, *, host: str = "127.0.0.1", port: int = 8000) -> MountedMCP:
    """Streamable HTTP at /mcp, behind bearer tokens, refusing foreign Host and Origin
    headers."""
    server = WorkledgerMCP(container, account_id=None, auth_url=f"http://{host}:{port}")
    local = ["127.0.0.1", "localhost", "[::1]", host]
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[f"{name}:*" for name in local] + local,
        allowed_origins=[f"{scheme}://{name}:*" for name in local for scheme in ("http", "https")]
        + [f"{scheme}://{name}" for name in local for scheme in ("http", "https")],
    )
    app = server.streamable_http_app(streamable_http_path="/mcp", transport_security=security)
    return MountedMCP(app=app, running=server.session_manager.run)


async def run_stdio(container: Container, *, account_id: uuid.UUID) -> None:
    await WorkledgerMCP(container, account_id=account_id).run_stdio_async()


def _tool(spec: ToolSpec) -> Tool:
    tool = Tool.from_function(
        spec.fn,
        annotations=ToolAnnotations(
            read_only_hint=spec.read_only,
            destructive_hint=spec.destructive,
            idempotent_hint=spec.idempotent,
            open_world_hint=False,
        ),
    )
    tool.parameters["additionalProperties"] = False
    return tool


def _client_name(context: Context[Any, Any] | None) -> str | None:
    """The client's declared name: from the handshake, or from each request's _meta."""
    if context is None:
        return None
    try:
        params = context.session.client_params
        if params is not None:
            name = params.client_info.name
        else:
            info = (context.request_context.meta or {}).get(CLIENT_INFO_META_KEY)
            name = info.get("name") if isinstance(info, dict) else None
    except (AttributeError, ValueError, LookupError):
        return None
    return str(name).strip() or None if name else None


def _domain_error(exc: ToolError, *, tool: str) -> WorkledgerError:
    cause = exc.__cause__
    if isinstance(cause, WorkledgerError):
        return cause
    if isinstance(cause, PydanticValidationError):
        return ValidationError(field_errors(cause))
    if cause is None and str(exc).startswith("Unknown tool"):
        return NotFound("tool", tool)
    log.error("tool %s failed", tool, exc_info=cause or exc)
    return _Internal("the tool failed on the server; the error was logged")


class _Internal(WorkledgerError):
    code = "internal_error"


def _error(exc: WorkledgerError) -> CallToolResult:
    text = json.dumps(exc.to_dict(), separators=(",", ":"), default=str)
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)


def _compact(result: Any) -> Any:
    """The same JSON as the structured content, without the SDK's indentation."""
    if isinstance(result, CallToolResult) and result.structured_content is not None:
        text = json.dumps(result.structured_content, separators=(",", ":"), default=str)
        return result.model_copy(update={"content": [TextContent(type="text", text=text)]})
    return result
