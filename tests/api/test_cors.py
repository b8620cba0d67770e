"""A browser front end on another origin (issue 17): with WORKLEDGER_CORS_ORIGINS it may
call /api, send Authorization and If-Match, and read the ETag it must send back; any
other origin gets no grant, nor does any origin by default. (That /mcp keeps its own
Origin check is tests/e2e/test_mcp_http.py's.)"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import BASE_URL, auth_headers
from tests.conftest import make_settings
from workledger.app import create_app
from workledger.container import Container
from workledger.errors import SettingsError
from workledger.schemas.common import Actor

FRONT_END = "http://localhost:3000"
FOREIGN = "https://evil.example"
ITEMS = "/api/v1/work-items"
EXPOSED = {"etag", "location", "retry-after", "workledger-source", "workledger-as-of"}


@pytest.fixture
async def cors_api(
    database_url: str, tmp_path: Path, container: Container
) -> AsyncIterator[httpx.AsyncClient]:
    """The app of a server told to let the front end in, on the test's database."""
    settings = make_settings(database_url, tmp_path, cors_origins=f"{FRONT_END}, https://b.test")
    served = Container.from_settings(settings)
    transport = httpx.ASGITransport(app=create_app(served))
    try:
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            yield client
    finally:
        await served.close()


def preflight(method: str) -> dict[str, str]:
    return {
        "Origin": FRONT_END,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization, content-type, if-match, x-client-name",
    }


def listed(header: str | None) -> set[str]:
    return {part.strip().lower() for part in (header or "").split(",") if part.strip()}


async def test_the_front_end_preflight_is_granted_its_methods_and_headers(
    cors_api: httpx.AsyncClient,
) -> None:
    for method in ("PATCH", "DELETE", "POST"):
        answer = await cors_api.options(f"{ITEMS}/0badcafe", headers=preflight(method))
        assert answer.status_code == 200, answer.text
        assert answer.headers["access-control-allow-origin"] == FRONT_END
        assert method.lower() in listed(answer.headers["access-control-allow-methods"])
        wanted = {"authorization", "content-type", "if-match", "x-client-name"}
        assert wanted <= listed(answer.headers["access-control-allow-headers"])
        assert "access-control-allow-credentials" not in answer.headers
        assert "origin" in listed(answer.headers.get("vary"))


async def test_the_front_end_reads_the_etag_and_sends_it_back(
    cors_api: httpx.AsyncClient, container: Container, actor: Actor
) -> None:
    headers = {**auth_headers(container, actor), "Origin": FRONT_END}
    created = await cors_api.post(ITEMS, json={"item_type": "task", "title": "t"}, headers=headers)
    assert created.status_code == 201, created.text
    assert created.headers["access-control-allow-origin"] == FRONT_END
    assert "origin" in listed(created.headers["vary"])
    assert listed(created.headers["access-control-expose-headers"]) >= EXPOSED
    changed = await cors_api.patch(
        created.headers["location"],
        json={"status": "completed"},
        headers={**headers, "If-Match": created.headers["etag"]},
    )
    assert changed.status_code == 200, changed.text
    assert changed.headers["access-control-allow-origin"] == FRONT_END
    # A refusal is readable too: the page can show why.
    refused = await cors_api.get(ITEMS, headers={"Origin": FRONT_END})
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == FRONT_END


async def test_another_origin_gets_no_grant(
    cors_api: httpx.AsyncClient, container: Container, actor: Actor
) -> None:
    asked = await cors_api.options(ITEMS, headers={**preflight("GET"), "Origin": FOREIGN})
    assert "access-control-allow-origin" not in asked.headers
    answer = await cors_api.get(
        ITEMS, headers={**auth_headers(container, actor), "Origin": FOREIGN}
    )
    assert answer.status_code == 200  # the server answers; the browser keeps it from the page
    assert "access-control-allow-origin" not in answer.headers


async def test_by_default_no_origin_gets_a_grant(
    api: httpx.AsyncClient, container: Container, actor: Actor
) -> None:
    asked = await api.options(ITEMS, headers=preflight("GET"))
    assert "access-control-allow-origin" not in asked.headers
    answer = await api.get(ITEMS, headers={**auth_headers(container, actor), "Origin": FRONT_END})
    assert "access-control-allow-origin" not in answer.headers


@pytest.mark.parametrize("value", ["*", "http://localhost:3000/app", "localhost:3000", "ftp://x"])
def test_a_setting_that_is_no_exact_origin_stops_the_server(value: str, tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"WORKLEDGER_CORS_ORIGINS: .* is not an origin"):
        make_settings(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", tmp_path, cors_origins=value)


def test_origins_are_kept_as_a_browser_writes_them(tmp_path: Path) -> None:
    """A browser sends Origin in lower case and without its scheme's own port; the grant
    is compared as text, so the setting is kept the same way."""
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
        tmp_path,
        cors_origins="HTTPS://App.Example.test:443, http://localhost:80, http://localhost:3000",
    )
    assert settings.cors_origins == (
        "https://app.example.test",
        "http://localhost",
        "http://localhost:3000",
    )
