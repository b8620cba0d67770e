"""REST /api/v1/configuration: one per account, defaults on first read, guarded updates."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.api.checks import fields, masked, problem

CONFIGURATION = "/api/v1/configuration"
# Fields that are read live, so they differ between two reads of an unchanged record.
LIVE = ("health_check_status", "git_state")


def stored(configuration: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in configuration.items() if key not in LIVE}


async def read(api: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    response = await api.get(CONFIGURATION, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == f'"{response.json()["version"]}"'
    body: dict[str, Any] = response.json()
    return body


async def session_item(api: httpx.AsyncClient, headers: dict[str, str], kind: str) -> str:
    response = await api.post(
        "/api/v1/work-items", json={"item_type": kind, "title": f"a {kind}"}, headers=headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_the_first_read_answers_the_defaults_at_version_1(
    api: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await api.get(CONFIGURATION, headers=alice)

    assert response.status_code == 200
    assert response.headers["ETag"] == '"1"'
    configuration = response.json()
    assert configuration["active_context_type"] == "feature"
    assert configuration["default_token_budget"] == 200_000
    assert (configuration["token_budgets"], configuration["current_session_id"]) == ({}, None)
    assert configuration["health_check_status"]["database"] == "ok"
    assert configuration["git_state"] is None  # the test's repo dir is no git work tree
    assert stored(await read(api, alice)) == stored(configuration)


@pytest.mark.parametrize(
    ("headers", "body", "status", "code"),
    [
        ({}, {}, 428, "precondition_required"),
        ({"If-Match": '"7"'}, {}, 412, "version_conflict"),
        ({}, {"version": 7}, 409, "version_conflict"),
    ],
    ids=["none", "stale-if-match", "stale-body-version"],
)
async def test_patch_without_a_current_precondition_changes_nothing(
    api: httpx.AsyncClient,
    alice: dict[str, str],
    headers: dict[str, str],
    body: dict[str, Any],
    status: int,
    code: str,
) -> None:
    before = await read(api, alice)

    response = await api.patch(
        CONFIGURATION, json={"default_token_budget": 5_000, **body}, headers=alice | headers
    )

    refused = problem(response, status, code)
    if code == "version_conflict":
        assert (refused["current_version"], refused["requested_version"]) == (1, 7)
        assert refused["updated_by"] == "claude-code"
    assert stored(await read(api, alice)) == stored(before)


async def test_patch_with_the_current_version_answers_the_new_etag(
    api: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    await read(api, alice)

    by_header = await api.patch(
        CONFIGURATION,
        json={"active_context_type": "research", "token_budgets": {"review": 50_000}},
        headers=alice | {"If-Match": '"1"', "X-Client-Name": "ci"},
    )
    by_body = await api.patch(
        CONFIGURATION, json={"version": 2, "default_token_budget": 1_000}, headers=alice
    )

    assert by_header.status_code == 200, by_header.text
    assert by_header.headers["ETag"] == '"2"'
    assert by_header.json()["active_context_type"] == "research"
    assert by_header.json()["token_budgets"] == {"review": 50_000}
    assert by_header.json()["updated_by"] == "ci"
    assert by_body.status_code == 200, by_body.text
    assert by_body.headers["ETag"] == '"3"'
    assert stored(await read(api, alice)) == stored(by_body.json())
    assert by_body.json()["default_token_budget"] == 1_000


async def test_the_current_session_must_be_a_session_of_the_account(
    api: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    session = await session_item(api, alice, "session")
    task = await session_item(api, alice, "task")
    await read(api, alice)

    not_a_session = await api.patch(
        CONFIGURATION, json={"version": 1, "current_session_id": task}, headers=alice
    )
    chosen = await api.patch(
        CONFIGURATION, json={"version": 1, "current_session_id": session}, headers=alice
    )
    cleared = await api.patch(
        CONFIGURATION, json={"version": 2, "current_session_id": None}, headers=alice
    )

    assert fields(problem(not_a_session, 422, "validation_error")) == ["current_session_id"]
    assert chosen.json()["current_session_id"] == session
    assert cleared.json()["current_session_id"] is None
    assert cleared.headers["ETag"] == '"3"'


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"default_token_budget": 999}, "default_token_budget"),
        ({"default_token_budget": 1_000_001}, "default_token_budget"),
        ({"token_budgets": {"review": 10}}, "token_budgets.review"),
        ({"active_context_type": "vacation"}, "active_context_type"),
        ({"active_context_type": None}, "active_context_type"),
        ({"current_session_id": "nope"}, "current_session_id"),
        ({"git_state": {"branch": "main"}}, "git_state"),
        ({"version": 0}, "version"),
    ],
)
async def test_bad_input_is_422_naming_the_field_and_changes_nothing(
    api: httpx.AsyncClient, alice: dict[str, str], change: dict[str, Any], field: str
) -> None:
    before = await read(api, alice)

    response = await api.patch(CONFIGURATION, json=change, headers=alice | {"If-Match": '"1"'})

    assert field in fields(problem(response, 422, "validation_error"))
    assert stored(await read(api, alice)) == stored(before)


async def test_each_account_has_its_own_configuration(
    api: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    mine = await read(api, alice)
    theirs = await read(api, bob)

    changed = await api.patch(
        CONFIGURATION, json={"version": 1, "default_token_budget": 9_000}, headers=bob
    )

    assert changed.status_code == 200, changed.text
    assert mine["id"] != theirs["id"]
    assert stored(await read(api, alice)) == stored(mine)


async def test_another_accounts_session_answers_exactly_like_a_missing_one(
    api: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    theirs = await session_item(api, bob, "session")
    before = await read(api, alice)

    answers = [
        await api.patch(
            CONFIGURATION, json={"version": 1, "current_session_id": ident}, headers=alice
        )
        for ident in (theirs, str(uuid.uuid4()))
    ]

    problem(answers[0], 404, "not_found")
    assert masked(answers[0]) == masked(answers[1])
    assert stored(await read(api, alice)) == stored(before)


@pytest.mark.parametrize("method", ["GET", "PATCH"])
async def test_every_route_needs_a_bearer_token(api: httpx.AsyncClient, method: str) -> None:
    response = await api.request(method, CONFIGURATION, json={"version": 1})

    problem(response, 401, "unauthorized")


async def test_openapi_declares_the_patch_failures(api: httpx.AsyncClient) -> None:
    paths = (await api.get("/openapi.json")).json()["paths"]

    answers = set(paths[CONFIGURATION]["patch"]["responses"])
    assert {"200", "404", "409", "412", "422", "428"} <= answers


@pytest.mark.parametrize(("method", "body"), [("GET", None), ("PATCH", {"version": 1})])
async def test_an_unknown_query_parameter_is_422_naming_it(
    api: httpx.AsyncClient, alice: dict[str, str], method: str, body: Any
) -> None:
    """A misspelt parameter must not be silently dropped (docs/reference/rest.md)."""
    response = await api.request(
        method, CONFIGURATION, params={"verbose": "1"}, json=body, headers=alice
    )

    assert fields(problem(response, 422, "validation_error")) == ["verbose"]
