"""REST /api/v1/deployments: recording once per PR and commit, links, listing, isolation."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from tests.api.checks import fields, masked, problem

# An id no record has; fixed, so every test process collects the same tests.
NO_SUCH_ID = uuid.UUID("0193a5c0-7d1e-7000-8000-000000000000")

DEPLOYMENTS = "/api/v1/deployments"
COMMIT = "a1b2c3d4" * 5


async def post(api: httpx.AsyncClient, path: str, headers: dict[str, str], **body: Any) -> str:
    response = await api.post(path, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def vendor(api: httpx.AsyncClient, headers: dict[str, str], name: str) -> str:
    return await post(api, "/api/v1/vendors", headers, name=name)


async def task(api: httpx.AsyncClient, headers: dict[str, str], title: str) -> str:
    return await post(api, "/api/v1/work-items", headers, item_type="task", title=title)


async def record(
    api: httpx.AsyncClient, headers: dict[str, str], pr_number: int = 42, **fields: Any
) -> dict[str, Any]:
    body = {"pr_number": pr_number, "pr_title": f"PR {pr_number}", "commit_hash": COMMIT}
    response = await api.post(DEPLOYMENTS, json=body | fields, headers=headers)
    assert response.status_code == 201, response.text
    recorded: dict[str, Any] = response.json()
    return recorded


async def listed(api: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[int]:
    """The PR numbers a listing shows, newest first."""
    page = await api.get(DEPLOYMENTS, params=params, headers=headers)
    assert page.status_code == 200, page.text
    return [d["pr_number"] for d in page.json()["items"]]


# --- recording -----------------------------------------------------------------------------


async def test_record_answers_201_with_every_link_named(
    api: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    vendors = [await vendor(api, alice, name) for name in ("gamma", "alpha", "beta")]
    items = [await task(api, alice, title) for title in ("Ship importer", "Fix parser")]

    response = await api.post(
        DEPLOYMENTS,
        json={
            "pr_number": 42,
            "pr_title": "Importer",
            "commit_hash": COMMIT.upper(),
            "deployed_at": "2026-05-01T10:00:00Z",
            "test_summary": {"unit": 120, "integration": 14},
            "constitutional_compliance": True,
            "vendor_ids": vendors,
            "work_item_ids": items,
        },
        headers=alice,
    )

    assert response.status_code == 201, response.text
    deployment = response.json()
    assert response.headers["Location"] == f"{DEPLOYMENTS}/{deployment['id']}"
    assert response.headers["ETag"] == '"1"'
    assert deployment["created"] is True
    assert deployment["commit_hash"] == COMMIT
    assert deployment["deployed_at"] == "2026-05-01T10:00:00Z"
    assert deployment["test_summary"] == {"unit": 120, "integration": 14}
    assert [v["name"] for v in deployment["affected_vendors"]] == ["alpha", "beta", "gamma"]
    assert sorted(deployment["vendor_ids"]) == sorted(vendors)
    assert [i["title"] for i in deployment["related_work_items"]] == ["Fix parser", "Ship importer"]
    assert sorted(deployment["work_item_ids"]) == sorted(items)
    assert deployment["created_by"] == "claude-code"
    again = await api.get(response.headers["Location"], headers=alice)
    assert again.status_code == 200
    assert again.headers["ETag"] == '"1"'
    assert again.json() == {**deployment, "created": False}


async def test_deployed_at_answers_in_utc_on_record_as_on_read(
    api: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    recorded = await record(api, alice, deployed_at="2026-05-01T12:00:00+02:00")

    read = await api.get(f"{DEPLOYMENTS}/{recorded['id']}", headers=alice)

    assert read.json()["deployed_at"] == "2026-05-01T10:00:00Z"
    assert recorded["deployed_at"] == "2026-05-01T10:00:00Z"


async def test_vendors_may_be_named_instead_of_given_by_id(
    api: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    acme = await vendor(api, alice, "acme")

    deployment = await record(api, alice, vendor_names=["acme"])

    assert deployment["vendor_ids"] == [acme]


async def test_the_same_pr_and_commit_again_answers_200_with_the_first_record(
    api: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    first = await record(api, alice, pr_title="Importer")

    again = await api.post(
        DEPLOYMENTS,
        json={"pr_number": 42, "pr_title": "Other title", "commit_hash": COMMIT.upper()},
        headers=alice,
    )

    assert again.status_code == 200, again.text
    assert again.headers["Location"] == f"{DEPLOYMENTS}/{first['id']}"
    assert again.headers["ETag"] == '"1"'
    assert again.json() == {**first, "created": False}
    assert await listed(api, alice) == [42]
    other_commit = await record(api, alice, commit_hash="f" * 40)
    assert other_commit["id"] != first["id"]


async def test_a_short_commit_hash_is_taken_and_its_full_hash_for_the_same_pr_is_409(
    api: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    short = await record(api, alice, commit_hash=COMMIT[:7].upper())
    assert short["commit_hash"] == COMMIT[:7]

    full = await api.post(
        DEPLOYMENTS,
        json={"pr_number": 42, "pr_title": "PR 42", "commit_hash": COMMIT},
        headers=alice,
    )

    body = problem(full, 409, "conflict")
    assert (body["field"], body["commit_hash"], body["deployment_id"]) == (
        "commit_hash",
        COMMIT[:7],
        short["id"],
    )
    assert await listed(api, alice) == [42]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"commit_hash": "xyz"}, "commit_hash"),
        ({"commit_hash": "a" * 6}, "commit_hash"),
        ({"commit_hash": "a" * 41}, "commit_hash"),
        ({"pr_number": 0}, "pr_number"),
        ({"pr_title": "   "}, "pr_title"),
        ({"branch": "main"}, "branch"),
        ({"test_summary": {"unit": -1}}, "test_summary.unit"),
        ({"deployed_at": "2026-05-01T12:00:00"}, "deployed_at"),
        ({"vendor_ids": ["0190b7a6-0000-7000-8000-000000000001"] * 2}, "vendor_ids"),
        ({"vendor_ids": [str(NO_SUCH_ID)], "vendor_names": ["acme"]}, "vendor_names"),
        ({"work_item_ids": ["nope"]}, "work_item_ids.0"),
    ],
)
async def test_bad_input_is_422_naming_the_field_and_stores_nothing(
    api: httpx.AsyncClient, alice: dict[str, str], change: dict[str, Any], field: str
) -> None:
    body = {"pr_number": 42, "pr_title": "Importer", "commit_hash": COMMIT} | change

    response = await api.post(DEPLOYMENTS, json=body, headers=alice)

    assert field in fields(problem(response, 422, "validation_error"))
    assert await listed(api, alice) == []


@pytest.mark.parametrize("field", ["vendor_ids", "work_item_ids", "vendor_names"])
async def test_a_missing_link_is_404_naming_the_field_and_stores_nothing(
    api: httpx.AsyncClient, alice: dict[str, str], field: str
) -> None:
    await vendor(api, alice, "acme")
    await task(api, alice, "real task")
    missing = "ghost" if field == "vendor_names" else str(uuid.uuid4())

    response = await api.post(
        DEPLOYMENTS,
        json={"pr_number": 42, "pr_title": "Importer", "commit_hash": COMMIT, field: [missing]},
        headers=alice,
    )

    refused = problem(response, 404, "not_found")
    assert (refused["field"], refused["missing"]) == (field, [missing])
    assert await listed(api, alice) == []


# --- listing -------------------------------------------------------------------------------


async def test_list_is_newest_first_and_pages_with_a_cursor(
    api: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    for n in range(1, 6):
        await record(api, alice, pr_number=n, deployed_at=f"2026-05-0{n}T12:00:00Z")

    first = await api.get(DEPLOYMENTS, params={"limit": 2}, headers=alice)
    body = first.json()
    second = await api.get(
        DEPLOYMENTS, params={"limit": 2, "cursor": body["next_cursor"]}, headers=alice
    )
    last = await api.get(
        DEPLOYMENTS, params={"limit": 2, "cursor": second.json()["next_cursor"]}, headers=alice
    )

    assert [d["pr_number"] for d in body["items"]] == [5, 4]
    assert (body["total_count"], body["has_more"]) == (5, True)
    assert [d["pr_number"] for d in second.json()["items"]] == [3, 2]
    assert [d["pr_number"] for d in last.json()["items"]] == [1]
    assert (last.json()["has_more"], last.json()["next_cursor"]) == (False, None)


async def test_list_filters_by_vendor_work_item_and_time(
    api: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    acme = await vendor(api, alice, "acme")
    item = await task(api, alice, "Importer")
    await record(api, alice, pr_number=1, deployed_at="2026-01-10T00:00:00Z", vendor_ids=[acme])
    await record(api, alice, pr_number=2, deployed_at="2026-02-10T00:00:00Z", work_item_ids=[item])
    await record(api, alice, pr_number=3, deployed_at="2026-03-10T00:00:00Z")

    assert await listed(api, alice, vendor_id=acme) == [1]
    assert await listed(api, alice, work_item_id=item) == [2]
    assert await listed(api, alice, since="2026-02-01T00:00:00Z") == [3, 2]
    assert await listed(api, alice, until="2026-02-11T00:00:00Z") == [2, 1]
    assert await listed(api, alice, vendor_id=str(uuid.uuid4())) == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"vendor_id": "nope"}, "vendor_id"),
        ({"since": "yesterday"}, "since"),
        ({"vendor": "acme"}, "vendor"),
    ],
)
async def test_bad_list_parameters_are_422(
    api: httpx.AsyncClient, alice: dict[str, str], params: dict[str, Any], field: str
) -> None:
    response = await api.get(DEPLOYMENTS, params=params, headers=alice)

    assert field in fields(problem(response, 422, "validation_error"))


# --- isolation -----------------------------------------------------------------------------


async def test_another_accounts_deployment_answers_exactly_like_a_missing_one(
    api: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    theirs = await record(api, bob)

    answers = [
        await api.get(f"{DEPLOYMENTS}/{deployment_id}", headers=alice)
        for deployment_id in (theirs["id"], str(uuid.uuid4()))
    ]

    problem(answers[0], 404, "not_found")
    assert masked(answers[0]) == masked(answers[1])


async def test_lists_show_none_of_another_accounts_deployments(
    api: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    bobs_vendor = await vendor(api, bob, "acme")
    theirs = await record(api, bob, pr_number=7, vendor_ids=[bobs_vendor])
    await record(api, alice, pr_number=8)

    mine = await api.get(DEPLOYMENTS, headers=alice)

    assert [d["pr_number"] for d in mine.json()["items"]] == [8]
    assert mine.json()["total_count"] == 1
    assert await listed(api, alice, vendor_id=bobs_vendor) == []
    same_pr = await record(api, alice, pr_number=7)  # bob's PR and commit are no duplicate
    assert (same_pr["created"], same_pr["id"] != theirs["id"]) == (True, True)


@pytest.mark.parametrize("field", ["vendor_ids", "work_item_ids", "vendor_names"])
async def test_linking_another_accounts_record_answers_like_a_missing_one(
    api: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str], field: str
) -> None:
    if field == "work_item_ids":
        theirs, missing = await task(api, bob, "bobs"), str(uuid.uuid4())
    elif field == "vendor_ids":
        theirs, missing = await vendor(api, bob, "bobs"), str(uuid.uuid4())
    else:
        await vendor(api, bob, "bobs")
        theirs, missing = "bobs", "ghost"

    answers = [
        await api.post(
            DEPLOYMENTS,
            json={"pr_number": 1, "pr_title": "t", "commit_hash": COMMIT, field: [link]},
            headers=alice,
        )
        for link in (theirs, missing)
    ]

    problem(answers[0], 404, "not_found")
    hidden = masked(answers[0])[2]
    assert json.loads(json.dumps(hidden).replace("bobs", "ghost")) == masked(answers[1])[2]
    assert await listed(api, alice) == []


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", DEPLOYMENTS), ("POST", DEPLOYMENTS), ("GET", f"{DEPLOYMENTS}/{NO_SUCH_ID}")],
)
async def test_every_route_needs_a_bearer_token(
    api: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await api.request(
        method, path, json={"pr_number": 1, "pr_title": "t", "commit_hash": COMMIT}
    )

    problem(response, 401, "unauthorized")


async def test_openapi_declares_both_answers_of_record(api: httpx.AsyncClient) -> None:
    paths = (await api.get("/openapi.json")).json()["paths"]

    record_answers = paths[DEPLOYMENTS]["post"]["responses"]
    assert {"200", "201", "404", "422"} <= set(record_answers)
    for status in ("200", "201"):
        schema = record_answers[status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/DeploymentRead"}
    assert "404" in paths[f"{DEPLOYMENTS}/{{deployment_id}}"]["get"]["responses"]


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", "{DEPLOYMENTS}", None),
        ("POST", "{DEPLOYMENTS}", {"pr_number": 9, "pr_title": "t", "commit_hash": COMMIT}),
        ("GET", "{DEPLOYMENTS}/{id}", None),
    ],
)
async def test_an_unknown_query_parameter_is_422_naming_it_on_every_route(
    api: httpx.AsyncClient, alice: dict[str, str], method: str, url: str, body: Any
) -> None:
    """A misspelt parameter must not be silently dropped (docs/reference/rest.md)."""
    existing = await record(api, alice)
    url = url.format(DEPLOYMENTS=DEPLOYMENTS, id=existing["id"])

    response = await api.request(method, url, params={"verbose": "1"}, json=body, headers=alice)

    assert fields(problem(response, 422, "validation_error")) == ["verbose"]
