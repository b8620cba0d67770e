"""What a tool has besides its arguments: the services, and who is calling where.

The server's lifespan hands the SDK a ``Serving``; a tool takes the SDK's ``Context`` next
to its one arguments model and asks ``await calling(ctx)`` for the services and the actor:
the account of the bearer token (HTTP) or of the command line (stdio), in the ledger of
the URL (``/mcp/ledgers/{ledger}``), else the token's, else the account's default.

A client subscribed to a resource is told when it changes (``mcp/subscriptions.py``)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken
from mcp.server.mcpserver import Context
from mcp.types import (
    CLIENT_INFO_META_KEY,
)
from starlette.requests import Request

from workledger.container import Container
from workledger.errors import StorageUnavailable, Unauthorized
from workledger.mcp.subscriptions import Subscriptions
from workledger.schemas.account import Principal
from workledger.schemas.common import Actor

log = logging.getLogger(__name__)
DEFAULT_CLIENT = "mcp"
# The client id of a bearer token that could not be checked: the database was away.
UNVERIFIED = "workledger-unverified"
# The slug of the ledger the current call acts on, once known (for the result's _meta).
_acting_in: ContextVar[dict[str, str] | None] = ContextVar("workledger_mcp_ledger", default=None)


class Verified(AccessToken):
    """A bearer token the server checked, with whom it speaks for: each call of the
    request reads that rather than resolving the bearer (and decoding a JWT) again."""

    principal: Principal


@dataclass(frozen=True, slots=True)
class Serving:
    """What the server serves with (its lifespan context): the services, who calls act
    as: a fixed actor (stdio, in memory), or ``None`` for the account of each HTTP
    request's bearer token, in the ledger of its URL; and the resource subscriptions."""

    services: Container
    fixed: Actor | None
    subscriptions: Subscriptions = field(default_factory=lambda: Subscriptions())

    async def actor(self, ctx: ToolContext | None = None) -> Actor:
        client = (client_name(ctx) if ctx is not None else None) or DEFAULT_CLIENT
        if self.fixed is not None:
            return _noted(self.fixed.as_client(client))
        access = get_access_token()
        if access is not None and access.client_id == UNVERIFIED:
            raise StorageUnavailable("the database is unavailable; retry shortly")
        if access is None:
            raise Unauthorized("a bearer token is required")
        if isinstance(access, Verified):
            principal = access.principal
        else:
            principal = await self.services.accounts.resolve_bearer(access.token)
        request = ctx.request_context.request if ctx is not None else None
        ledger = request.path_params.get("ledger") if isinstance(request, Request) else None
        return _noted(await self.services.ledgers.actor(principal, ledger=ledger, client=client))


ToolContext = Context[Serving, Any]


@dataclass(frozen=True, slots=True)
class Call:
    services: Container
    actor: Actor


async def calling(ctx: ToolContext) -> Call:
    """The services and the actor of this request."""
    serving = ctx.request_context.lifespan_context
    return Call(serving.services, await serving.actor(ctx))


@contextmanager
def acting_in() -> Iterator[dict[str, str]]:
    """Around one call: what it fills in with the slug of the ledger it acted on."""
    holder: dict[str, str] = {}
    token = _acting_in.set(holder)
    try:
        yield holder
    finally:
        _acting_in.reset(token)


def _noted(actor: Actor) -> Actor:
    holder = _acting_in.get()
    if holder is not None and actor.ledger is not None:
        holder["ledger"] = actor.ledger
    return actor


def client_name(ctx: Context[Any, Any]) -> str | None:
    """The client's declared name: from the handshake, or from each request's _meta."""
    try:
        params = ctx.session.client_params
        if params is not None:
            name = params.client_info.name
        else:
            info = (ctx.request_context.meta or {}).get(CLIENT_INFO_META_KEY)
            name = info.get("name") if isinstance(info, dict) else None
    except (AttributeError, ValueError, LookupError):
        return None
    return str(name).strip() or None if name else None
