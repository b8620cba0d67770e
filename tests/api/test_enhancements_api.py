"""REST /api/v1/enhancements: create, list, update and delete under preconditions."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.api.checks import fields, masked, problem

# An id no record has; fixed, so every test process collects the same tests.
NO_SUCH_ID = uuid.UUID("0193a5c0-7d1e-7000-8000-000000000000")

ENHANCEMENTS = "/api/v1/enhancements"
PRECONDITION_FAILURES = pytest.mark.parametrize(
    ("headers", "body", "status", "code"),
    [
        ({}, {}, 428, "precondition_required"),
        ({"If-Match": '"7"'}, {}, 412, "version_conflict"),
        ({}, {"version": 7}, 409, "version_conflict"),
    ],
    ids=["none", "stale-if-match", "stale-body-version"],
)


async def create(api: httpx.AsyncClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    response = await api.post(ENHANCEMENTS, json={"title": "OCR", **fields}, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def titles(api: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[str]:
    page = await api.get(ENHANCEMENTS, params=params, headers=headers)
    assert page.status_code == 200, page.text
    return [e["title"] for e in page.json()["items"]]


def check_conflict(refused: dict[str, Any], code: str) -> None:
    if code == "version_conflict":
        assert (refused["current_version"], refused["requested_version"]) == (1, 7)
        assert refused["updated_by"] == "claude-code"


# --- success paths -------------------------------------------------------------------------


async def test_create_answers_201_with_location_etag_and_the_record(
    api: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    base = await create(api, alice, title="Base")
    body = {
        "title": "OCR everywhere",
        "description": "every vendor reads scans",
        "priority": "high",
        "status": "approved",
        "target_quarter": "2027-Q1",
        "constitutional_principles": ["tests first"],
        "depends_on": [base["id"]],
    }

    response = await api.post(ENHANCEMENTS, json=body, headers=alice)

    assert response.status_code == 201, response.text
    enhancement = response.json()
    assert response.headers["Location"] == f"{ENHANCEMENTS}/{enhancement['id']}"
    assert response.headers["ETag"] == '"1"'
    assert {key: enhancement[key] for key in body} == body
    assert (enhancement["version"], enhancement["created_by"]) == (1, "claude-code")
    again = await api.get(response.headers["Location"], headers=alice)
    assert again.status_code == 200
    assert again.headers["ETag"] == '"1"'
    assert again.json() == enhancement


async def test_list_filters_and_pages_by_offset_and_cursor(
    api: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    await create(api, alice, title="low one", priority="low", target_quarter="2026-Q4")
    await create(api, alice, title="critical one", priority="critical", status="implementing")
    await create(api, alice, title="high one", priority="high", target_quarter="2026-Q4")
    await create(api, alice, title="done", priority="medium", status="completed")

    first = (await api.get(ENHANCEMENTS, params={"limit": 2}, headers=alice)).json()
    rest = await titles(api, alice, limit=2, cursor=first["next_cursor"])

    assert [e["title"] for e in first["items"]] == ["critical one", "high one"]
    assert (first["total_count"], first["has_more"]) == (4, True)
    assert rest == ["done", "low one"]
    assert await titles(api, alice, offset=3) == ["low one"]
    assert await titles(api, alice, priority="high") == ["high one"]
    assert await titles(api, alice, status="implementing") == ["critical one"]
    assert await titles(api, alice, target_quarter="2026-Q4") == ["high one", "low one"]


# --- PATCH ---------------------------------------------------------------------------------


@PRECONDITION_FAILURES
async def test_patch_without_a_current_precondition_changes_nothing(
    api: httpx.AsyncClient,
    alice: dict[str, str],
    headers: dict[str, str],
    body: dict[str, Any],
    status: int,
    code: str,
) -> None:
    enhancement = await create(api, alice)
    url = f"{ENHANCEMENTS}/{enhancement['id']}"

    response = await api.patch(url, json={"status": "approved", **body}, headers=alice | headers)

    check_conflict(problem(response, status, code), code)
    assert (await api.get(url, headers=alice)).json() == enhancement


async def test_patch_with_the_current_version_answers_the_new_etag(
    api: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    enhancement = await create(api, alice)
    url = f"{ENHANCEMENTS}/{enhancement['id']}"

    by_header = await api.patch(
        url,
        json={"status": "approved", "priority": "critical"},
        headers=alice | {"If-Match": '"1"'},
    )
    by_body = await api.patch(url, json={"version": 2, "target_quarter": None}, headers=alice)

    assert by_header.status_code == 200, by_header.text
    assert by_header.headers["ETag"] == '"2"'
    assert (by_header.json()["status"], by_header.json()["priority"]) == ("approved", "critical")
    assert by_body.status_code == 200, by_body.text
    assert by_body.headers["ETag"] == '"3"'
    assert by_body.json()["target_quarter"] is None
    assert (await api.get(url, headers=alice)).json() == by_body.json()


async def test_dependencies_refuse_self_and_cycles(
    api: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    first = await create(api, alice, title="first")
    second = await create(api, alice, title="second", depends_on=[first["id"]])
    url = f"{ENHANCEMENTS}/{first['id']}"

    cycle = await api.patch(url, json={"version": 1, "depends_on": [second["id"]]}, headers=alice)
    itself = await api.patch(url, json={"version": 1, "depends_on": [first["id"]]}, headers=alice)

    assert problem(cycle, 409, "conflict")["field"] == "depends_on"
    assert fields(problem(itself, 422, "validation_error")) == ["depends_on"]
    assert (await api.get(url, headers=alice)).json() == first


# --- DELETE --------------------------------------------------------------------------------


@PRECONDITION_FAILURES
async def test_delete_without_a_current_precondition_keeps_the_enhancement(
    api: httpx.AsyncClient,
    alice: dict[str, str],
    headers: dict[str, str],
    body: dict[str, Any],
    status: int,
    code: str,
) -> None:
    enhancement = await create(api, alice)
    url = f"{ENHANCEMENTS}/{enhancement['id']}"

    response = await api.request("DELETE", url, json=body or None, headers=alice | headers)

    check_conflict(problem(response, status, code), code)
    assert (await api.get(url, headers=alice)).json() == enhancement


@pytest.mark.parametrize(
    ("headers", "body"),
    [({"If-Match": '"2"'}, None), ({}, {"version": 2})],
    ids=["if-match", "body-version"],
)
async def test_delete_with_the_current_version_answers_204_and_removes_it(
    api: httpx.AsyncClient,
    alice: dict[str, str],
    headers: dict[str, str],
    body: dict[str, Any] | None,
) -> None:
    enhancement = await create(api, alice)
    url = f"{ENHANCEMENTS}/{enhancement['id']}"
    await api.patch(url, json={"version": 1, "title": "renamed"}, headers=alice)

    response = await api.request("DELETE", url, json=body, headers=alice | headers)

    assert response.status_code == 204, response.text
    assert response.content == b""
    problem(await api.get(url, headers=alice), 404, "not_found")
    assert await titles(api, alice) == []


@pytest.mark.parametrize("body", [{"version": 1, "cascade": True}, [1], "1"])
async def test_delete_with_a_bad_body_is_422_and_keeps_the_enhancement(
    api: httpx.AsyncClient, alice: dict[str, str], body: Any
) -> None:
    enhancement = await create(api, alice)
    url = f"{ENHANCEMENTS}/{enhancement['id']}"

    response = await api.request("DELETE", url, json=body, headers=alice)

    refused = problem(response, 422, "validation_error")
    if isinstance(body, dict):
        assert fields(refused) == ["cascade"]
    assert (await api.get(url, headers=alice)).json() == enhancement


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"target_quarter": "2026-Q5"}, "target_quarter"),
        ({"target_quarter": "Q1-2026"}, "target_quarter"),
        ({"title": " "}, "title"),
        ({"title": "t" * 201}, "title"),
        ({"description": "d" * 5001}, "description"),
        ({"priority": "urgent"}, "priority"),
        ({"status": "dreaming"}, "status"),
        ({"owner": "me"}, "owner"),
        ({"depends_on": ["not-a-uuid"]}, "depends_on.0"),
    ],
)
async def test_bad_input_on_create_is_422_naming_the_field_and_stores_nothing(
    api: httpx.AsyncClient, alice: dict[str, str], change: dict[str, Any], field: str
) -> None:
    response = await api.post(ENHANCEMENTS, json={"title": "OCR"} | change, headers=alice)

    assert field in fields(problem(response, 422, "validation_error"))
    assert await titles(api, alice) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"target_quarter": "2026-Q0"}, "target_quarter"),
        ({"title": None}, "title"),
        ({"priority": None}, "priority"),
        ({"owner": "me"}, "owner"),
        ({"version": 0}, "version"),
    ],
)
async def test_bad_input_on_patch_is_422_and_changes_nothing(
    api: httpx.AsyncClient, alice: dict[str, str], change: dict[str, Any], field: str
) -> None:
    enhancement = await create(api, alice)
    url = f"{ENHANCEMENTS}/{enhancement['id']}"

    response = await api.patch(url, json=change, headers=alice | {"If-Match": '"1"'})

    assert field in fields(problem(response, 422, "validation_error"))
    assert (await api.get(url, headers=alice)).json() == enhancement


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"target_quarter": "2026-Q9"}, "target_quarter"),
        ({"priority": "urgent"}, "priority"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": 1, "cursor": "x"}, "cursor"),
        ({"quarter": "2026-Q1"}, "quarter"),
    ],
)
async def test_bad_list_parameters_are_422(
    api: httpx.AsyncClient, alice: dict[str, str], params: dict[str, Any], field: str
) -> None:
    response = await api.get(ENHANCEMENTS, params=params, headers=alice)

    assert field in fields(problem(response, 422, "validation_error"))


async def test_depending_on_a_missing_enhancement_is_404_and_stores_nothing(
    api: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    missing = str(uuid.uuid4())

    response = await api.post(
        ENHANCEMENTS, json={"title": "OCR", "depends_on": [missing]}, headers=alice
    )

    refused = problem(response, 404, "not_found")
    assert (refused["field"], refused["missing"]) == ("depends_on", [missing])
    assert await titles(api, alice) == []


# --- isolation -----------------------------------------------------------------------------


async def test_another_accounts_enhancement_answers_exactly_like_a_missing_one(
    api: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    theirs = await create(api, bob, title="bobs")

    for method, body, extra in [
        ("GET", None, {}),
        ("PATCH", {"title": "mine now"}, {"If-Match": '"1"'}),
        ("PATCH", {"title": "mine now", "version": 1}, {}),
        ("DELETE", None, {"If-Match": '"1"'}),
        ("DELETE", {"version": 1}, {}),
    ]:
        answers = [
            await api.request(method, f"{ENHANCEMENTS}/{ident}", json=body, headers=alice | extra)
            for ident in (theirs["id"], str(uuid.uuid4()))
        ]
        problem(answers[0], 404, "not_found")
        assert masked(answers[0]) == masked(answers[1])

    assert (await api.get(f"{ENHANCEMENTS}/{theirs['id']}", headers=bob)).json() == theirs


async def test_lists_and_links_show_none_of_another_accounts_enhancements(
    api: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    theirs = await create(api, bob, title="bobs", priority="critical")
    await create(api, alice, title="mine")

    page = (await api.get(ENHANCEMENTS, headers=alice)).json()
    links = [
        await api.post(ENHANCEMENTS, json={"title": "x", "depends_on": [ident]}, headers=alice)
        for ident in (theirs["id"], str(uuid.uuid4()))
    ]

    assert ([e["title"] for e in page["items"]], page["total_count"]) == (["mine"], 1)
    assert await titles(api, alice, priority="critical") == []
    problem(links[0], 404, "not_found")
    assert masked(links[0]) == masked(links[1])
    assert await titles(api, alice) == ["mine"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", ENHANCEMENTS),
        ("POST", ENHANCEMENTS),
        ("GET", f"{ENHANCEMENTS}/{NO_SUCH_ID}"),
        ("PATCH", f"{ENHANCEMENTS}/{NO_SUCH_ID}"),
        ("DELETE", f"{ENHANCEMENTS}/{NO_SUCH_ID}"),
    ],
)
async def test_every_route_needs_a_bearer_token(
    api: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await api.request(method, path, json={"title": "x", "version": 1})

    problem(response, 401, "unauthorized")


async def test_openapi_declares_each_routes_failures(api: httpx.AsyncClient) -> None:
    paths = (await api.get("/openapi.json")).json()["paths"]
    one = paths[f"{ENHANCEMENTS}/{{enhancement_id}}"]

    assert {"201", "404", "409", "422"} <= set(paths[ENHANCEMENTS]["post"]["responses"])
    assert "404" in one["get"]["responses"]
    assert {"200", "404", "409", "412", "428"} <= set(one["patch"]["responses"])
    assert {"204", "404", "409", "412", "428"} <= set(one["delete"]["responses"])


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", "{ENHANCEMENTS}", None),
        ("POST", "{ENHANCEMENTS}", {"title": "new"}),
        ("GET", "{ENHANCEMENTS}/{id}", None),
        ("PATCH", "{ENHANCEMENTS}/{id}", {"version": 1, "title": "x"}),
        ("DELETE", "{ENHANCEMENTS}/{id}", {"version": 1}),
    ],
)
async def test_an_unknown_query_parameter_is_422_naming_it_on_every_route(
    api: httpx.AsyncClient, alice: dict[str, str], method: str, url: str, body: Any
) -> None:
    """A misspelt parameter must not be silently dropped (docs/reference/rest.md)."""
    existing = await create(api, alice)
    url = url.format(ENHANCEMENTS=ENHANCEMENTS, id=existing["id"])

    response = await api.request(method, url, params={"verbose": "1"}, json=body, headers=alice)

    assert fields(problem(response, 422, "validation_error")) == ["verbose"]
