"""REST fixtures: the ASGI app over the test container, callers with bearer headers, and
the real servers of the end-to-end tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

# The same real `workledger serve` per database as the end-to-end tests (the fuzz's).
from tests.e2e.conftest import http_servers  # noqa: F401
from workledger.app import create_app
from workledger.container import Container
from workledger.schemas.common import Actor

BASE_URL = "http://127.0.0.1:8000"
PASSWORD = "correct horse battery"


@pytest.fixture
def app(container: Container) -> FastAPI:
    return create_app(container)


@pytest.fixture
async def api(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        yield client


async def signup_and_login(
    api: httpx.AsyncClient, email: str, password: str = PASSWORD
) -> dict[str, str]:
    """Sign a new account up and log in: the Authorization header to send."""
    created = await api.post("/api/v1/auth/signup", json={"email": email, "password": password})
    assert created.status_code == 201, created.text
    token = await api.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def auth_headers(container: Container, actor: Actor) -> dict[str, str]:
    """The Authorization header of an access token for a fixture actor's account."""
    token = container.accounts.issue_access_token(actor.account_id)
    return {"Authorization": f"Bearer {token.access_token}"}


@pytest.fixture
def alice(container: Container, actor: Actor) -> dict[str, str]:
    return {**auth_headers(container, actor), "X-Client-Name": "claude-code"}


@pytest.fixture
def bob(container: Container, other_actor: Actor) -> dict[str, str]:
    return auth_headers(container, other_actor)
