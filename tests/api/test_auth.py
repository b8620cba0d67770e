"""/api/v1/auth over HTTP: signup, login (form and JSON), bearer refusals, API tokens, limits."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from tests.api.conftest import BASE_URL, PASSWORD, auth_headers, signup_and_login
from tests.conftest import TEST_SECRET, make_settings, new_actor
from tests.support.fault_proxy import fault_proxy
from workledger.app import create_app
from workledger.container import Container
from workledger.http.rate_limit import RateLimited, SlidingWindowLimiter
from workledger.schemas.common import Actor

AUTH = "/api/v1/auth"
PROBLEM = "application/problem+json"
OMIT = object()


def problem_of(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert {"type", "title", "detail"} <= set(body)
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- signup ---------------------------------------------------------------------------------


async def test_signup_creates_an_account_that_can_log_in(api: httpx.AsyncClient) -> None:
    created = await api.post(
        f"{AUTH}/signup", json={"email": "Carol@Example.com", "password": PASSWORD}
    )

    assert created.status_code == 201, created.text
    account = created.json()
    assert set(account) == {"id", "email"}
    assert account["email"] == "carol@example.com"
    assert created.headers["Location"] == f"{AUTH}/me"
    headers = await _login_json(api, "carol@example.com")
    me = await api.get(f"{AUTH}/me", headers=headers)
    assert me.status_code == 200
    assert me.json() == account


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": "dan@example", "password": PASSWORD}, "email"),
        ({"email": "dan@example.com", "password": "short"}, "password"),
        ({"email": "dan@example.com"}, "password"),
        ({"email": "dan@example.com", "password": None}, "password"),
        ({"password": PASSWORD}, "email"),
        ({"email": "dan@example.com", "password": PASSWORD, "admin": True}, "admin"),
    ],
)
async def test_signup_refuses_bad_input(
    api: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    refused = await api.post(f"{AUTH}/signup", json=body)

    error = problem_of(refused, 422, "validation_error")
    assert field in [e["field"] for e in error["errors"]]


async def test_signup_twice_with_one_email_is_a_conflict(api: httpx.AsyncClient) -> None:
    await signup_and_login(api, "erin@example.com")

    again = await api.post(
        f"{AUTH}/signup", json={"email": "ERIN@example.com", "password": "another password"}
    )

    problem_of(again, 409, "conflict")


# --- access tokens --------------------------------------------------------------------------


async def _login_json(api: httpx.AsyncClient, email: str) -> dict[str, str]:
    token = await api.post(f"{AUTH}/token", json={"email": email, "password": PASSWORD})
    assert token.status_code == 200, token.text
    return bearer(token.json()["access_token"])


async def test_login_with_the_oauth2_password_form(
    api: httpx.AsyncClient, container: Container
) -> None:
    await signup_and_login(api, "frank@example.com")

    token = await api.post(
        f"{AUTH}/token",
        data={"grant_type": "password", "username": "frank@example.com", "password": PASSWORD},
    )

    assert token.status_code == 200, token.text
    body = token.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == container.settings.access_token_minutes * 60
    me = await api.get(f"{AUTH}/me", headers=bearer(body["access_token"]))
    assert me.json()["email"] == "frank@example.com"


async def test_login_with_json(api: httpx.AsyncClient) -> None:
    await signup_and_login(api, "grace@example.com")

    token = await api.post(
        f"{AUTH}/token", json={"email": "grace@example.com", "password": PASSWORD}
    )

    assert token.status_code == 200, token.text
    assert token.json()["token_type"] == "bearer"
    assert token.json()["expires_in"] > 0


@pytest.mark.parametrize(
    "credentials",
    [
        {"email": "heidi@example.com", "password": "wrong password"},
        {"email": "nobody@example.com", "password": PASSWORD},
    ],
)
async def test_wrong_credentials_are_unauthorized(
    api: httpx.AsyncClient, credentials: dict[str, str]
) -> None:
    await signup_and_login(api, "heidi@example.com")

    as_json = await api.post(f"{AUTH}/token", json=credentials)
    as_form = await api.post(
        f"{AUTH}/token",
        data={"username": credentials["email"], "password": credentials["password"]},
    )

    for refused in (as_json, as_form):
        problem_of(refused, 401, "unauthorized")
        assert refused.headers["WWW-Authenticate"] == "Bearer"
        assert "access_token" not in refused.text


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"data": {"username": "ivan@example.com"}}, 422),
        (
            {"data": {"grant_type": "client_credentials", "username": "i@x.io", "password": "p"}},
            422,
        ),
        ({"data": {"username": "i\x00@example.com", "password": "p"}}, 422),
        ({"json": {"username": "ivan@example.com", "password": PASSWORD}}, 422),
        ({"json": ["ivan@example.com", PASSWORD]}, 422),
        ({"content": b"{not json", "headers": {"Content-Type": "application/json"}}, 400),
        ({"content": b"ivan", "headers": {"Content-Type": "text/plain"}}, 422),
    ],
)
async def test_token_refuses_malformed_requests(
    api: httpx.AsyncClient, kwargs: dict[str, Any], status: int
) -> None:
    refused = await api.post(f"{AUTH}/token", **kwargs)

    problem_of(refused, status, "validation_error")


async def test_the_openapi_document_shows_both_token_request_bodies(
    api: httpx.AsyncClient,
) -> None:
    document = (await api.get("/openapi.json")).json()

    content = document["paths"][f"{AUTH}/token"]["post"]["requestBody"]["content"]
    assert content["application/x-www-form-urlencoded"]["schema"]["required"] == [
        "username",
        "password",
    ]
    assert content["application/json"]["schema"]["required"] == ["email", "password"]


# --- bearer refusals ------------------------------------------------------------------------


def claims(account_id: uuid.UUID, **overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    values = {
        "sub": str(account_id),
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "jti": uuid.uuid4().hex,
        "iss": "workledger",
        "aud": "workledger",
        **overrides,
    }
    return {name: value for name, value in values.items() if value is not OMIT}


def forge(
    account_id: uuid.UUID, *, key: str = TEST_SECRET, algorithm: str = "HS256", **overrides: Any
) -> str:
    return jwt.encode(claims(account_id, **overrides), key, algorithm=algorithm)


async def test_a_forged_token_with_the_right_key_is_accepted(
    api: httpx.AsyncClient, actor: Actor
) -> None:
    """The baseline of the refusals below: only the one flaw each makes them fail."""
    me = await api.get(f"{AUTH}/me", headers=bearer(forge(actor.account_id)))

    assert me.status_code == 200, me.text
    assert me.json()["id"] == str(actor.account_id)


REFUSED_TOKENS: dict[str, Callable[[uuid.UUID], str]] = {
    "garbage": lambda a: "not-a-token",
    "wrong signature": lambda a: forge(a, key="another-secret-" + "y" * 40),
    "alg none": lambda a: forge(a, key="", algorithm="none"),
    "expired": lambda a: forge(
        a, iat=datetime.now(UTC) - timedelta(hours=2), exp=datetime.now(UTC) - timedelta(hours=1)
    ),
    "missing exp": lambda a: forge(a, exp=OMIT),
    "missing sub": lambda a: forge(a, sub=OMIT),
    "missing jti": lambda a: forge(a, jti=OMIT),
    "wrong aud": lambda a: forge(a, aud="someone-else"),
    "wrong iss": lambda a: forge(a, iss="someone-else"),
    "sub not an id": lambda a: forge(a, sub="alice"),
    "unknown account": lambda a: forge(uuid.uuid4()),
    "unknown API token": lambda a: "wl_" + "x" * 43,
}


@pytest.mark.parametrize("flaw", [None, *REFUSED_TOKENS])
async def test_bad_bearer_tokens_are_unauthorized(
    api: httpx.AsyncClient, actor: Actor, flaw: str | None
) -> None:
    headers = {} if flaw is None else bearer(REFUSED_TOKENS[flaw](actor.account_id))

    refused = await api.get(f"{AUTH}/me", headers=headers)

    problem_of(refused, 401, "unauthorized")
    assert refused.headers["WWW-Authenticate"] == "Bearer"


async def test_a_non_bearer_authorization_is_unauthorized(api: httpx.AsyncClient) -> None:
    refused = await api.get(f"{AUTH}/me", headers={"Authorization": "Basic YTpi"})

    problem_of(refused, 401, "unauthorized")
    assert refused.headers["WWW-Authenticate"] == "Bearer"


# --- API tokens -----------------------------------------------------------------------------


async def test_api_tokens_are_created_listed_and_revoked(
    api: httpx.AsyncClient, container: Container, actor: Actor
) -> None:
    headers = auth_headers(container, actor)

    created = await api.post(f"{AUTH}/api-tokens", json={"name": "ci-bot"}, headers=headers)

    assert created.status_code == 201, created.text
    token = created.json()
    assert set(token) == {"id", "name", "token", "created_at", "ledger", "role"}
    assert (token["ledger"], token["role"]) == (None, None)  # not bound: the account's power
    assert token["name"] == "ci-bot"
    assert token["token"].startswith("wl_")
    assert created.headers["Location"] == f"{AUTH}/api-tokens/{token['id']}"
    me = await api.get(f"{AUTH}/me", headers=bearer(token["token"]))
    assert me.status_code == 200
    assert me.json()["id"] == str(actor.account_id)

    listed = await api.get(f"{AUTH}/api-tokens", headers=headers)
    assert listed.status_code == 200
    assert [t["id"] for t in listed.json()] == [token["id"]]
    assert token["token"] not in listed.text
    assert "token" not in listed.json()[0]
    assert listed.json()[0]["revoked_at"] is None

    revoked = await api.delete(f"{AUTH}/api-tokens/{token['id']}", headers=headers)
    assert revoked.status_code == 204
    assert revoked.content == b""
    refused = await api.get(f"{AUTH}/me", headers=bearer(token["token"]))
    problem_of(refused, 401, "unauthorized")
    listed = await api.get(f"{AUTH}/api-tokens", headers=headers)
    assert listed.json()[0]["revoked_at"] is not None


async def test_another_accounts_api_token_cannot_be_revoked(
    api: httpx.AsyncClient, container: Container, actor: Actor, other_actor: Actor
) -> None:
    created = await api.post(
        f"{AUTH}/api-tokens", json={"name": "mine"}, headers=auth_headers(container, actor)
    )
    token = created.json()
    theirs = auth_headers(container, other_actor)

    refused = await api.delete(f"{AUTH}/api-tokens/{token['id']}", headers=theirs)
    missing = await api.delete(f"{AUTH}/api-tokens/{uuid.uuid4()}", headers=theirs)

    assert problem_of(refused, 404, "not_found")["detail"].startswith("API token")
    problem_of(missing, 404, "not_found")
    assert (await api.get(f"{AUTH}/api-tokens", headers=theirs)).json() == []
    still = await api.get(f"{AUTH}/me", headers=bearer(token["token"]))
    assert still.status_code == 200


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "   "}, {"name": "x" * 101}])
async def test_an_api_token_needs_a_name(
    api: httpx.AsyncClient, container: Container, actor: Actor, body: dict[str, Any]
) -> None:
    refused = await api.post(
        f"{AUTH}/api-tokens", json=body, headers=auth_headers(container, actor)
    )

    problem_of(refused, 422, "validation_error")


async def test_the_client_name_and_api_token_name_are_recorded_as_created_by(
    api: httpx.AsyncClient, container: Container, actor: Actor
) -> None:
    headers = auth_headers(container, actor)
    created = await api.post(f"{AUTH}/api-tokens", json={"name": "nightly-import"}, headers=headers)
    api_token = bearer(created.json()["token"])

    async def create_as(headers: dict[str, str]) -> str:
        item = await api.post(
            "/api/v1/work-items", json={"item_type": "task", "title": "t"}, headers=headers
        )
        assert item.status_code == 201, item.text
        return str(item.json()["created_by"])

    assert await create_as(headers) == "api"
    assert await create_as({**headers, "X-Client-Name": "todo-web"}) == "todo-web"
    assert await create_as(api_token) == "nightly-import"
    assert await create_as({**api_token, "X-Client-Name": "todo-web"}) == "todo-web"


# --- rate limits ----------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_signup_and_token_are_rate_limited_per_address(
    app: FastAPI, api: httpx.AsyncClient
) -> None:
    clock = Clock()
    app.state.auth_rate_limiter = SlidingWindowLimiter(requests=2, window_seconds=60, clock=clock)
    body = {"email": "judy@example.com", "password": PASSWORD}
    assert (await api.post(f"{AUTH}/signup", json=body)).status_code == 201
    assert (await api.post(f"{AUTH}/signup", json=body)).status_code == 409
    clock.now += 15

    limited = await api.post(f"{AUTH}/signup", json=body)

    error = problem_of(limited, 429, "rate_limited")
    assert limited.headers["Retry-After"] == "45"
    assert error["retry_after"] == 45
    # The token route keeps its own budget, and it runs out the same way.
    for _ in range(2):
        assert (await api.post(f"{AUTH}/token", json=body)).status_code == 200
    token = await api.post(f"{AUTH}/token", data={"username": "judy@example.com", "password": "x"})
    problem_of(token, 429, "rate_limited")
    # Another address has a budget of its own.
    other = httpx.ASGITransport(app=app, client=("10.0.0.7", 4000))
    async with httpx.AsyncClient(transport=other, base_url=str(api.base_url)) as elsewhere:
        assert (await elsewhere.post(f"{AUTH}/token", json=body)).status_code == 200
    # Once the window has slid past the earlier requests, the address may try again.
    clock.now += 46
    assert (await api.post(f"{AUTH}/signup", json=body)).status_code == 409


async def test_authenticated_routes_are_not_rate_limited(
    app: FastAPI, api: httpx.AsyncClient, container: Container, actor: Actor
) -> None:
    app.state.auth_rate_limiter = SlidingWindowLimiter(requests=1, window_seconds=60)
    headers = auth_headers(container, actor)

    answers = [await api.get(f"{AUTH}/me", headers=headers) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 200]


def test_a_flood_of_addresses_does_not_grow_the_limiter_without_bound() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(requests=1, window_seconds=10, clock=clock, max_keys=50)
    for n in range(1000):
        limiter.hit(f"10.0.{n // 256}.{n % 256}")
        clock.now += 0.001

    assert len(limiter._hits) == 50
    with pytest.raises(RateLimited):  # the newest are remembered: this one had its turn
        limiter.hit("10.0.3.231")


async def test_a_token_revoked_by_another_process_is_refused_at_once(
    api: httpx.AsyncClient, container: Container, actor: Actor, database_url: str, tmp_path: Path
) -> None:
    """The server keeps what a bearer resolves to; another process's revocation (its own
    container, pool and cache) ends that on the server's next request."""
    headers = auth_headers(container, actor)
    token = (await api.post(f"{AUTH}/api-tokens", json={"name": "ci"}, headers=headers)).json()
    assert (await api.get("/api/v1/work-items", headers=bearer(token["token"]))).status_code == 200
    other = Container.from_settings(make_settings(database_url, tmp_path / "other"))
    try:
        await other.accounts.revoke_api_token(actor=actor, token_id=uuid.UUID(token["id"]))
    finally:
        await other.close()
    refused = await api.get("/api/v1/work-items", headers=bearer(token["token"]))
    problem_of(refused, 401, "unauthorized")


async def test_a_commit_that_changes_no_credentials_does_not_re_read_the_bearers_account(
    api: httpx.AsyncClient, container: Container, actor: Actor
) -> None:
    headers = auth_headers(container, actor)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = container.db.engine.sync_engine
    assert (await api.get("/api/v1/work-items", headers=headers)).status_code == 200
    made = await api.post(
        "/api/v1/work-items", json={"item_type": "task", "title": "t"}, headers=headers
    )
    assert made.status_code == 201
    event.listen(engine, "before_cursor_execute", seen)
    try:
        listed = await api.get("/api/v1/work-items", headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert listed.json()["total_count"] == 1  # the commit is seen
    assert statements, "the list after a commit is read from the database"
    assert not [s for s in statements if "accounts" in s or "api_tokens" in s], statements


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_a_get_of_one_item_after_a_commit_takes_two_round_trips(
    database_url: str, tmp_path: Path
) -> None:
    """The change token, then the item with its dependencies in one statement: the
    bearer's account is not read again, and no BEGIN or COMMIT is sent."""
    async with fault_proxy(database_url) as (proxy, proxied):
        container = Container.from_settings(make_settings(proxied, tmp_path))
        try:
            actor = await new_actor(container, "rt@example.com")
            headers = auth_headers(container, actor)
            transport = httpx.ASGITransport(app=create_app(container))
            async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as api:
                made = await api.post(
                    "/api/v1/work-items", json={"item_type": "task", "title": "t"}, headers=headers
                )
                path = f"/api/v1/work-items/{made.json()['id']}"
                sent = []
                for title in ("a", "b", "c"):  # the first ones prepare the statements
                    version = (await api.get(path, headers=headers)).json()["version"]
                    changed = await api.patch(
                        path, json={"title": title, "version": version}, headers=headers
                    )
                    assert changed.status_code == 200, changed.text
                    before = proxy.sent
                    read = await api.get(path, headers=headers)
                    sent.append(proxy.sent - before)
                    assert read.json()["title"] == title
        finally:
            await container.close()
    assert sent[-1] <= 2, sent
