"""REST GET /api/v1/status: markdown by default, the JSON object by Accept, per account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.api.conftest import auth_headers
from workledger.container import Container
from workledger.schemas.common import Actor

STATUS = "/api/v1/status"


@pytest.fixture
def alice(container: Container, actor: Actor) -> dict[str, str]:
    return auth_headers(container, actor)


@pytest.fixture
def bob(container: Container, other_actor: Actor) -> dict[str, str]:
    return auth_headers(container, other_actor)


async def post(api: httpx.AsyncClient, path: str, headers: dict[str, str], **body: Any) -> str:
    response = await api.post(path, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def seed(api: httpx.AsyncClient, headers: dict[str, str], prefix: str) -> None:
    vendor = await post(api, "/api/v1/vendors", headers, name=f"{prefix}-vendor", status="broken")
    task = await post(api, "/api/v1/work-items", headers, item_type="task", title=f"{prefix} task")
    await post(
        api,
        "/api/v1/deployments",
        headers,
        pr_number=42,
        pr_title=f"{prefix} release",
        commit_hash="c" * 40,
        vendor_ids=[vendor],
        work_item_ids=[task],
    )
    await post(api, "/api/v1/enhancements", headers, title=f"{prefix} idea", priority="high")


async def test_the_report_is_markdown_by_default(
    api: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    await seed(api, alice, "alice")

    response = await api.get(STATUS, headers=alice)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    assert "Accept" in response.headers["Vary"]
    report = response.text
    assert report.startswith("# Project status")
    assert "**alice-vendor**: broken" in report
    assert "alice task" in report
    assert "PR #42: alice release" in report
    assert "[high] alice idea" in report


async def test_accept_json_answers_markdown_generated_at_and_counts(
    api: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    await seed(api, alice, "alice")

    response = await api.get(STATUS, headers=alice | {"Accept": "application/json"})

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    report = response.json()
    assert set(report) == {"markdown", "generated_at", "counts"}
    assert "**alice-vendor**: broken" in report["markdown"]
    generated = datetime.fromisoformat(report["generated_at"])
    assert abs(datetime.now(UTC) - generated) < timedelta(minutes=1)
    counts = report["counts"]
    assert (counts["vendors"], counts["vendors_broken"], counts["vendors_operational"]) == (1, 1, 0)
    assert (counts["work_items"], counts["work_items_active"]) == (1, 1)
    assert (counts["deployments"], counts["enhancements_pending"]) == (1, 1)


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        ("text/markdown", "text/markdown; charset=utf-8"),
        ("*/*", "text/markdown; charset=utf-8"),
        ("text/html", "text/markdown; charset=utf-8"),
        ("application/json;q=0.5, text/markdown", "text/markdown; charset=utf-8"),
        ("text/markdown;q=0.1, application/json", "application/json"),
        ("text/plain, application/json;q=0.9", "application/json"),
    ],
)
async def test_accept_picks_the_representation(
    api: httpx.AsyncClient, alice: dict[str, str], accept: str, media_type: str
) -> None:
    response = await api.get(STATUS, headers=alice | {"Accept": accept})

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == media_type


async def test_an_empty_account_gets_an_empty_report(
    api: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await api.get(STATUS, headers=alice | {"Accept": "application/json"})

    report = response.json()
    assert set(report["counts"].values()) == {0}
    assert "No vendors recorded." in report["markdown"]
    assert "No deployments recorded." in report["markdown"]


async def test_the_report_shows_none_of_another_accounts_records(
    api: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    await seed(api, bob, "bob")
    await seed(api, alice, "alice")

    markdown = (await api.get(STATUS, headers=alice)).text
    report = (await api.get(STATUS, headers=alice | {"Accept": "application/json"})).json()

    assert "bob" not in markdown
    assert "bob" not in report["markdown"]
    assert report["counts"]["vendors"] == 1
    assert report["counts"]["deployments"] == 1
    assert report["counts"]["work_items"] == 1
    assert report["counts"]["enhancements_pending"] == 1


async def test_the_report_needs_a_bearer_token(api: httpx.AsyncClient) -> None:
    response = await api.get(STATUS, headers={"Accept": "text/markdown"})

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "unauthorized"


async def test_openapi_declares_both_representations(api: httpx.AsyncClient) -> None:
    document = (await api.get("/openapi.json")).json()

    answers = document["paths"][STATUS]["get"]["responses"]
    assert set(answers["200"]["content"]) == {"text/markdown", "application/json"}
    assert answers["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/StatusReport"
    }
    assert "401" in answers


async def test_an_unknown_query_parameter_is_422_naming_it(
    api: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    """A misspelt parameter must not be silently dropped (docs/reference/rest.md)."""
    response = await api.get(STATUS, params={"format": "json"}, headers=alice)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["format"]
