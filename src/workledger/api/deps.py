"""What routes depend on: the container, the caller; and what they share."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from workledger.errors import FieldError, Unauthorized, ValidationError
from workledger.http.deps import AppContainer
from workledger.schemas.account import Principal
from workledger.schemas.common import Actor
from workledger.schemas.strict import unknown_field

_bearer = HTTPBearer(auto_error=False, description="an access token or an API token")


async def get_principal(
    container: AppContainer,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise Unauthorized("send Authorization: Bearer <access token or API token>")
    return await container.accounts.resolve_bearer(credentials.credentials)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


async def get_actor(
    request: Request,
    container: AppContainer,
    principal: CurrentPrincipal,
    x_client_name: Annotated[str | None, Header(max_length=100)] = None,
) -> Actor:
    """Who acts where: the ledger in the path (else the token's, else the account's
    default), with the caller's role there; the client is X-Client-Name, else the API
    token's name, else "api"."""
    client = (x_client_name or "").strip() or principal.token_name or "api"
    ledger = request.path_params.get("ledger")
    return await container.ledgers.actor(principal, ledger=ledger, client=client)


CurrentActor = Annotated[Actor, Depends(get_actor)]


async def ledger_ref(
    ledger: Annotated[str, Path(max_length=100, description="the ledger's slug or id")],
) -> str:
    """Declares ``{ledger}`` of a path (get_actor reads it): documented, and length-checked."""
    return ledger


LedgerRef = Annotated[str, Depends(ledger_ref)]


async def refuse_unknown_query(request: Request) -> None:
    """A misspelt query parameter is refused, never silently dropped (docs/reference/rest.md)."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = _known_query.get(id(route))
    if known is None:
        known = _known_query[id(route)] = _query_names(route.dependant)
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise ValidationError([FieldError(name, unknown_field(name, known)) for name in unknown])


_known_query: dict[int, set[str]] = {}  # by id(route): routes live as long as the app


def _query_names(dependant: Dependant) -> set[str]:
    names = _names(dependant.query_params)
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def body_names(request: Request) -> set[str]:
    """The body fields the matched route takes (for naming what a misspelt one meant)."""
    route = request.scope.get("route")
    return _names(route.dependant.body_params) if isinstance(route, APIRoute) else set()


def _names(fields: Sequence[Any]) -> set[str]:
    """The names these parameters take: a model's fields, or the parameter itself."""
    names: set[str] = set()
    for field in fields:
        annotation: Any = field.field_info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names |= {info.alias or name for name, info in annotation.model_fields.items()}
        else:
            names.add(field.alias)
    return names


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = f'"{version}"'
