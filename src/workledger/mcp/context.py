"""What a tool has besides its arguments: the ledger's services and who is calling.

The server's lifespan hands the SDK a ``Ledger``; a tool takes the SDK's ``Context`` next
to its one arguments model and asks ``calling(ctx)`` for the services and the actor."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.mcpserver import Context
from mcp.types import CLIENT_INFO_META_KEY

from workledger.container import Container
from workledger.errors import StorageUnavailable, Unauthorized
from workledger.schemas.common import Actor

DEFAULT_CLIENT = "mcp"
# The client id of a bearer token that could not be checked: the database was away.
UNVERIFIED = "workledger-unverified"


@dataclass(frozen=True, slots=True)
class Ledger:
    """The services, and the account calls act as: a fixed one (stdio, in memory), or
    ``None`` for the account of each HTTP request's bearer token."""

    services: Container
    account_id: uuid.UUID | None

    def actor(self, client: str | None = None) -> Actor:
        account_id = self.account_id
        if account_id is None:
            access = get_access_token()
            if access is not None and access.client_id == UNVERIFIED:
                raise StorageUnavailable("the database is unavailable; retry shortly")
            if access is None or access.subject is None:
                raise Unauthorized("a bearer token is required")
            account_id = uuid.UUID(access.subject)
        return Actor(account_id=account_id, client=client or DEFAULT_CLIENT)


LedgerContext = Context[Ledger, Any]


@dataclass(frozen=True, slots=True)
class Call:
    services: Container
    actor: Actor


def calling(ctx: LedgerContext) -> Call:
    """The services and the actor of this request: its account, and the client's name
    for the audit fields."""
    ledger = ctx.request_context.lifespan_context
    return Call(ledger.services, ledger.actor(client_name(ctx)))


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
