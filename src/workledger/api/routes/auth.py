"""/api/v1/auth: signup, access tokens (OAuth2 password form or JSON), API tokens."""

from __future__ import annotations

import json
import uuid
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.exceptions import RequestValidationError

from workledger.api.deps import CurrentActor, CurrentPrincipal
from workledger.api.openapi import errors
from workledger.api.rate_limit import RateLimitedRoute
from workledger.errors import ValidationError
from workledger.http.deps import AppContainer
from workledger.http.rate_limit import rate_limit
from workledger.schemas.account import (
    AccessToken,
    AccountRead,
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenRead,
    Signup,
    TokenForm,
    TokenRequest,
)

router = APIRouter(prefix="/api/v1/auth", tags=["auth"], route_class=RateLimitedRoute)
RateLimit = [Depends(rate_limit)]
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

TOKEN_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            FORM: {"schema": TokenForm.model_json_schema()},
            JSON: {"schema": TokenRequest.model_json_schema()},
        },
    }
}


@router.post(
    "/signup",
    status_code=status.HTTP_201_CREATED,
    dependencies=RateLimit,
    responses=errors(400, 409, 429),
)
async def signup(container: AppContainer, data: Signup, response: Response) -> AccountRead:
    """Create an account (password of 8+ characters), then log in at /token."""
    created = await container.accounts.create(data)
    response.headers["Location"] = f"{router.prefix}/me"
    return created


@router.post("/token", dependencies=RateLimit, responses=errors(400, 429), openapi_extra=TOKEN_BODY)
async def issue_token(container: AppContainer, request: Request) -> AccessToken:
    """An access token for an OAuth2 password form (``username``, ``password``) or JSON
    (``email``, ``password``)."""
    email, password = await _credentials(request)
    account = await container.accounts.authenticate(email=email, password=password)
    return container.accounts.issue_access_token(account.id)


@router.get("/me", responses=errors())
async def me(container: AppContainer, principal: CurrentPrincipal) -> AccountRead:
    return await container.accounts.get(principal.account_id)


@router.post("/api-tokens", status_code=status.HTTP_201_CREATED, responses=errors(403, 404, 409))
async def create_api_token(
    container: AppContainer, principal: CurrentPrincipal, data: ApiTokenCreate, response: Response
) -> ApiTokenCreated:
    """A long-lived token for scripts and MCP clients; its secret is shown only here.

    With ``ledger`` (or ``role``) it serves that one ledger (else the default one) with at
    most the caller's role there; without, it acts as the account on all its ledgers."""
    actor = await container.ledgers.actor(principal, ledger=data.ledger, client="api")
    bound = data.ledger is not None or data.role is not None
    created = await container.accounts.create_api_token(
        actor=actor, name=data.name, bound=bound, role=data.role
    )
    response.headers["Location"] = f"{router.prefix}/api-tokens/{created.id}"
    return created


@router.get("/api-tokens", responses=errors())
async def list_api_tokens(container: AppContainer, actor: CurrentActor) -> list[ApiTokenRead]:
    return await container.accounts.list_api_tokens(actor=actor)


@router.delete(
    "/api-tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=errors(404),
)
async def revoke_api_token(
    container: AppContainer, actor: CurrentActor, token_id: uuid.UUID
) -> None:
    """Revoke a token: requests bearing it are refused from now on."""
    await container.accounts.revoke_api_token(actor=actor, token_id=token_id)


async def _credentials(request: Request) -> tuple[str, str]:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if media_type == FORM:
        fields = parse_qsl(body.decode(errors="replace"), keep_blank_values=True)
        form = TokenForm.load(dict(fields))
        return form.username, form.password
    if media_type not in ("", JSON) and not media_type.endswith("+json"):
        raise ValidationError.single(
            "body", f"send {FORM} (username, password) or {JSON} (email, password)"
        )
    try:
        raw = json.loads(body)
    except ValueError:
        raise RequestValidationError(
            [{"type": "json_invalid", "loc": ("body",), "msg": "JSON decode error"}]
        ) from None
    credentials = TokenRequest.load(raw)
    return credentials.email, credentials.password
