"""The MCP server: the one module that imports the SDK's server.

Tools are registered from ``registry.TOOLS`` (those WORKLEDGER_TOOLS picks). Each takes
one arguments model of ``schemas/`` (its fields are the tool's arguments: the SDK
validates them and refuses unknown ones) and the SDK's ``Context``, whose lifespan
context is the ``Serving``. Schemas and list answers are made lean (``lean.py``). The
SDK's answers are reshaped: bad arguments and domain errors become the JSON error object
of docs/reference/errors.md, and structured results travel as compact JSON text too."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import AsyncIterator, Callable, Collection, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import anyio
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.exceptions import MCPError
from mcp.types import (
    INVALID_PARAMS,
    CallToolResult,
    GetPromptResult,
    InputRequiredResult,
    TextContent,
    ToolAnnotations,
)
from pydantic import AnyHttpUrl, AnyUrl, TypeAdapter
from pydantic import ValidationError as PydanticValidationError
from pydantic.config import ExtraValues
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from workledger import __version__
from workledger.container import Container
from workledger.errors import NotFound, StorageUnavailable, ValidationError, WorkledgerError
from workledger.fallback.provenance import Served, fallback_notice, serving
from workledger.fallback.retry import read_with_fallback
from workledger.mcp import lean
from workledger.mcp.context import UNVERIFIED, Serving, ToolContext, Verified, acting_in
from workledger.mcp.instructions import INSTRUCTIONS
from workledger.mcp.registry import ToolSpec, offered
from workledger.mcp.resources import status_markdown, work_item_json
from workledger.schemas.common import Actor
from workledger.schemas.strict import DIGITS_AS_INTEGERS, StrictModel, field_errors

# What a tool call answers (the SDK's type).
ToolResult = CallToolResult | InputRequiredResult
log = logging.getLogger(__name__)

SCOPE = "workledger"


class WorkledgerMCP(MCPServer[Serving]):
    def __init__(
        self, container: Container, *, actor: Actor | None, auth_url: str | None = None
    ) -> None:
        """``actor``: who every call acts as, where (stdio, in memory); without it each
        HTTP request acts as the account of its bearer token, in the ledger of its URL."""
        bearer = actor is None
        verifier = BearerVerifier(container) if bearer else None
        auth = (
            AuthSettings(
                issuer_url=AnyHttpUrl(auth_url or "http://127.0.0.1"),
                resource_server_url=None,
                required_scopes=[SCOPE],
            )
            if bearer
            else None
        )
        with_this = Serving(container, actor)
        tools = offered(container.settings.tools)

        @asynccontextmanager
        async def lifespan(_: MCPServer[Serving]) -> AsyncIterator[Serving]:
            yield with_this

        super().__init__(
            name="workledger",
            version=__version__,
            instructions=INSTRUCTIONS,
            log_level="WARNING",
            tools=[_tool(spec) for spec in tools],
            lifespan=lifespan,
            token_verifier=verifier,
            auth=auth,
        )
        self._tool_names = frozenset(spec.name for spec in tools)
        # Each tool's arguments, to suggest the one an unknown argument meant.
        self._arguments = {
            tool.name: frozenset(tool.fn_metadata.arg_model.model_fields)
            for tool in self._tool_manager.list_tools()
        }
        # Each tool's answer type, to leave out what is at its default.
        self._shapes = {
            tool.name: TypeAdapter(tool.fn_metadata.output_model)
            for tool in self._tool_manager.list_tools()
            if tool.fn_metadata.output_model is not None and not tool.fn_metadata.wrap_output
        }
        self._reads = frozenset(spec.name for spec in tools if spec.read_only)
        self._outage = container.db.outage
        self.resource("workledger://status", name="status", mime_type="text/markdown")(
            status_markdown(with_this)
        )
        self.resource(
            "workledger://work-items/{id}", name="work_item", mime_type="application/json"
        )(work_item_json)
        with_this.subscriptions.serve(self._lowlevel_server)  # told when those change

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: ToolContext | None = None
    ) -> CallToolResult | InputRequiredResult:
        if name not in self._tool_names:
            raise _unknown("tool", name)
        if name not in self._reads:
            answer, _ = await self._call(name, arguments, context)
            return answer
        return await read_with_fallback(self._outage, lambda: self._call(name, arguments, context))

    async def _call(
        self, name: str, arguments: dict[str, Any], context: ToolContext | None
    ) -> tuple[CallToolResult | InputRequiredResult, bool]:
        """The told answer, and whether it was storage_unavailable."""
        with serving() as served, acting_in() as acted:
            try:
                # A started call finishes its (short) transaction even if the client goes
                # away: cancelling inside the SQLite driver leaves a connection nobody can
                # close.
                with anyio.CancelScope(shield=True):
                    result = await super().call_tool(name, arguments, context)
            except ToolError as exc:
                error = _domain_error(exc, tool=name, known=self._arguments.get(name, ()))
                told = _told(_error(error), served, acted.get("ledger"))
                return told, isinstance(error, StorageUnavailable)
        return _told(_compact(result, self._shapes.get(name)), served, acted.get("ledger")), False

    async def get_prompt(
        self,
        name: str,
        arguments: dict[str, Any] | None = None,
        context: ToolContext | None = None,
    ) -> GetPromptResult | InputRequiredResult:
        if self._prompt_manager.get_prompt(name) is None:
            raise _unknown("prompt", name)
        return await super().get_prompt(name, arguments, context)

    async def read_resource(
        self, uri: AnyUrl | str, context: ToolContext | None = None
    ) -> Iterable[ReadResourceContents] | InputRequiredResult:
        try:
            with anyio.CancelScope(shield=True):
                contents = await super().read_resource(uri, context)
        except ResourceError as exc:
            if isinstance(exc.__cause__, NotFound):
                raise ResourceNotFoundError(str(exc.__cause__)) from None
            raise
        return contents


class BearerVerifier:
    """Access JWTs and API tokens, checked by the account service."""

    def __init__(self, container: Container) -> None:
        self._accounts = container.accounts

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            principal = await self._accounts.resolve_bearer(token)
        except StorageUnavailable:
            # The token (an API token, or an access JWT's account) cannot be checked now.
            # A 401 would tell the client to throw valid credentials away: let the call
            # through unverified, to answer storage_unavailable without reading anything.
            return AccessToken(token=token, client_id=UNVERIFIED, scopes=[SCOPE])
        except WorkledgerError:
            return None
        return Verified(
            token=token,
            client_id=principal.token_name or "api",
            scopes=[SCOPE],
            subject=str(principal.account_id),
            principal=principal,
        )


@dataclass(frozen=True)
class MountedMCP:
    """The streamable HTTP app (serving /mcp) and what must run for as long as it serves:
    a mounted app's own lifespan never runs, so the host application's must run this."""

    app: Starlette
    running: Callable[[], AbstractAsyncContextManager[None]]

    @property
    def in_ledger(self) -> InLedger:
        return InLedger(self.app)


@dataclass(frozen=True)
class InLedger:
    """``/mcp/ledgers/{ledger}``: the same endpoint, acting in the ledger of the path
    (each call reads it from its request's ``path_params``)."""

    app: Starlette

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app({**scope, "path": "/mcp", "raw_path": b"/mcp"}, receive, send)


def http_app(container: Container, *, host: str = "127.0.0.1", port: int = 8000) -> MountedMCP:
    """Streamable HTTP at /mcp, behind bearer tokens, refusing foreign Host and Origin
    headers."""
    server = WorkledgerMCP(container, actor=None, auth_url=f"http://{host}:{port}")
    local = ["127.0.0.1", "localhost", "[::1]", host]
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[f"{name}:*" for name in local] + local,
        allowed_origins=[f"{scheme}://{name}:*" for name in local for scheme in ("http", "https")]
        + [f"{scheme}://{name}" for name in local for scheme in ("http", "https")],
    )
    app = server.streamable_http_app(streamable_http_path="/mcp", transport_security=security)
    return MountedMCP(app=app, running=server.session_manager.run)


async def run_stdio(container: Container, *, actor: Actor) -> None:
    async with container.running():
        await WorkledgerMCP(container, actor=actor).run_stdio_async()


@functools.cache
def _tool(spec: ToolSpec) -> Tool:
    """The SDK's tool for ``spec.fn``, taking the fields of its arguments model as the
    call's own arguments (the SDK would nest them under the parameter's name).

    Built once per process: a tool depends on its spec alone, never on the container or
    the account a server acts for, and nothing changes it once built; generating its
    schemas is most of what making a server costs (each stdio and HTTP server, each
    app of a test)."""
    tool = Tool.from_function(
        spec.fn,
        annotations=ToolAnnotations(
            read_only_hint=spec.read_only,
            destructive_hint=spec.destructive,
            idempotent_hint=spec.idempotent,
            open_world_hint=False,
        ),
    )
    arguments = _flat_arguments(tool)
    description = lean.description(tool.description)
    metadata = tool.fn_metadata.model_copy(
        update={
            "arg_model": arguments,
            "output_schema": lean.output_schema(tool.fn_metadata.output_schema),
        }
    )
    return tool.model_copy(
        update={
            "description": description,
            "parameters": lean.input_schema(arguments, explained=spec.explains),
            "fn_metadata": metadata,
        }
    )


class _FlatArguments(ArgModelBase):
    """An arguments model whose validated instance reaches the tool as one value. Strict
    as JSON bodies are (lists' filters too), but integers may come as strings of digits,
    as some clients send every number."""

    parameter: ClassVar[str | None] = None

    @classmethod
    def model_validate(
        cls,
        obj: Any,
        *,
        strict: bool | None = None,
        extra: ExtraValues | None = None,
        from_attributes: bool | None = None,
        context: Any | None = None,
        by_alias: bool | None = None,
        by_name: bool | None = None,
    ) -> Self:
        return super().model_validate(
            obj,
            strict=strict,
            extra=extra,
            from_attributes=from_attributes,
            context={DIGITS_AS_INTEGERS: True, **(context or {})},
            by_alias=by_alias,
            by_name=by_name,
        )

    def model_dump_one_level(self) -> dict[str, Any]:
        return {} if self.parameter is None else {self.parameter: self}


class _NoArguments(StrictModel):
    pass


def _flat_arguments(tool: Tool) -> type[ArgModelBase]:
    fields = tool.fn_metadata.arg_model.model_fields
    model: object = _NoArguments
    parameter = None
    if len(fields) == 1:
        [(parameter, field)] = fields.items()
        model = field.annotation
    if len(fields) > 1 or not (isinstance(model, type) and issubclass(model, StrictModel)):
        raise TypeError(f"{tool.name}: a tool takes one arguments model of schemas/ (and ctx)")
    return type(
        f"{tool.name}Arguments",
        (model, _FlatArguments),
        {
            "parameter": parameter,
            "__module__": __name__,
            "model_config": {**model.model_config, "strict": True},
        },
    )


def _domain_error(exc: ToolError, *, tool: str, known: Collection[str]) -> WorkledgerError:
    cause = exc.__cause__
    if isinstance(cause, WorkledgerError):
        return cause
    if isinstance(cause, PydanticValidationError):
        return ValidationError(field_errors(cause, known=known))
    log.error("tool %s failed", tool, exc_info=cause or exc)
    return _Internal("the tool failed on the server; the error was logged")


def _unknown(kind: str, name: str) -> MCPError:
    """A name the server does not have: the client's mistake, -32602 as the specification
    says (unknown resources get it from the SDK), and nothing for the log to trace."""
    return MCPError(code=INVALID_PARAMS, message=f"Unknown {kind}: {name}", data={"name": name})


class _Internal(WorkledgerError):
    code = "internal_error"


def _error(exc: WorkledgerError) -> CallToolResult:
    text = json.dumps(exc.to_dict(), separators=(",", ":"), default=str)
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)


def _told(result: ToolResult, served: Served, ledger: str | None) -> ToolResult:
    """The result, saying which ledger it acted on and which layer served it: in
    ``_meta`` always, and in a line of text after the JSON when it was not the database."""
    if not isinstance(result, CallToolResult):
        return result
    meta = {**(result.meta or {}), "workledger/source": served.source}
    if ledger is not None:
        meta["workledger/ledger"] = ledger
    if served.as_of is not None:
        meta["workledger/as_of"] = served.as_of.isoformat(timespec="seconds")
    if served.journal_id is not None:
        meta["workledger/journal_id"] = served.journal_id
    content = list(result.content)
    if served.fallback:
        content.append(TextContent(type="text", text=fallback_notice(served)))
    return result.model_copy(update={"meta": meta, "content": content})


def _compact(result: ToolResult, shape: TypeAdapter[object] | None) -> ToolResult:
    """The structured content without null, empty and default fields, and the same JSON
    as text without the SDK's indentation."""
    if isinstance(result, CallToolResult) and result.structured_content is not None:
        structured = lean.answer(result.structured_content, shape)
        text = json.dumps(structured, separators=(",", ":"), default=str)
        return result.model_copy(
            update={
                "structured_content": structured,
                "content": [TextContent(type="text", text=text)],
            }
        )
    return result
