"""REST /api/v1/vendors: create, read by id and name, list, preconditions, isolation."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.api.checks import fields, masked, problem

# An id no record has; fixed, so every test process collects the same tests.
NO_SUCH_ID = uuid.UUID("0193a5c0-7d1e-7000-8000-000000000000")

VENDORS = "/api/v1/vendors"
ACME = {
    "name": "acme",
    "status": "broken",
    "test_results": {"passing": 7, "total": 10, "skipped": 1},
    "format_support": {"excel": True, "pdf": True},
    "extractor_version": "2.1.0",
    "manifest_compliant": True,
}


async def create(api: httpx.AsyncClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    response = await api.post(VENDORS, json={**ACME, **fields}, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def names(api: httpx.AsyncClient, headers: dict[str, str], **params: str) -> list[str]:
    listing = (await api.get(VENDORS, params=params, headers=headers)).json()
    assert listing["total_count"] == len(listing["items"])
    return [vendor["name"] for vendor in listing["items"]]


# --- success paths -------------------------------------------------------------------------


async def test_create_answers_201_with_location_etag_and_the_full_record(
    api: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await api.post(VENDORS, json=ACME, headers=alice)

    assert response.status_code == 201
    vendor = response.json()
    assert response.headers["Location"] == f"{VENDORS}/{vendor['id']}"
    assert response.headers["ETag"] == '"1"'
    assert vendor["version"] == 1
    assert {key: vendor[key] for key in ACME} == {
        **ACME,
        "format_support": {"excel": True, "csv": False, "pdf": True, "ocr": False},
    }
    assert vendor["created_by"] == vendor["updated_by"] == "claude-code"
    again = await api.get(response.headers["Location"], headers=alice)
    assert again.status_code == 200
    assert again.headers["ETag"] == '"1"'
    assert again.json() == vendor


async def test_defaults_fill_what_create_leaves_out(
    api: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await api.post(VENDORS, json={"name": "bare"}, headers=alice)

    assert response.status_code == 201, response.text
    vendor = response.json()
    assert vendor["status"] == "operational"
    assert vendor["test_results"] == {"passing": 0, "total": 0, "skipped": 0}
    assert vendor["format_support"] == {"excel": False, "csv": False, "pdf": False, "ocr": False}
    assert (vendor["extractor_version"], vendor["manifest_compliant"]) == (None, False)


async def test_list_answers_the_envelope_and_filters_by_status(
    api: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    await create(api, alice, name="beta", status="operational")
    await create(api, alice, name="alpha", status="broken")
    await create(api, alice, name="gamma", status="operational")

    listing = await api.get(VENDORS, headers=alice)

    assert listing.status_code == 200
    body = listing.json()
    assert (body["total_count"], body["has_more"], body["next_cursor"]) == (3, False, None)
    assert sorted(v["name"] for v in body["items"]) == ["alpha", "beta", "gamma"]
    assert await names(api, alice, status="broken") == ["alpha"]
    assert sorted(await names(api, alice, status="operational")) == ["beta", "gamma"]


async def test_by_name_finds_one_vendor_among_many_even_with_a_slash_in_its_name(
    api: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    for n in range(12):
        await create(api, alice, name=f"vendor-{n:02d}", extractor_version=f"{n}.0")
    slashed = await create(api, alice, name="acme/eu extractor")

    found = await api.get(f"{VENDORS}/by-name/vendor-07", headers=alice)
    by_slash = await api.get(f"{VENDORS}/by-name/{quote(slashed['name'], safe='')}", headers=alice)

    assert found.status_code == 200
    assert found.headers["ETag"] == '"1"'
    assert (found.json()["name"], found.json()["extractor_version"]) == ("vendor-07", "7.0")
    assert by_slash.status_code == 200
    assert by_slash.json() == slashed


async def test_by_name_finds_a_name_whatever_its_case_and_a_miss_suggests_the_closest(
    api: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    await create(api, alice)

    found = await api.get(f"{VENDORS}/by-name/ACME", headers=alice)
    assert (found.status_code, found.json()["name"]) == (200, "acme")
    missed = await api.get(f"{VENDORS}/by-name/acne", headers=alice)
    body = problem(missed, 404, "not_found")
    assert body["detail"] == "vendor 'acne' not found; did you mean 'acme'?"
    assert body["suggestions"] == ["acme"]


# --- preconditions -------------------------------------------------------------------------


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
    vendor = await create(api, alice)
    url = f"{VENDORS}/{vendor['id']}"

    response = await api.patch(url, json={"status": "operational", **body}, headers=alice | headers)

    refused = problem(response, status, code)
    if code == "version_conflict":
        assert refused["current_version"] == 1
        assert refused["requested_version"] == 7
        assert refused["updated_by"] == "claude-code"
        assert refused["updated_at"]
    assert (await api.get(url, headers=alice)).json() == vendor


async def test_patch_with_the_current_version_answers_the_new_etag(
    api: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    vendor = await create(api, alice)
    url = f"{VENDORS}/{vendor['id']}"

    by_header = await api.patch(
        url,
        json={"status": "operational", "test_results": {"passing": 10, "total": 10}},
        headers=alice | {"If-Match": '"1"', "X-Client-Name": "ci"},
    )
    by_body = await api.patch(url, json={"version": 2, "name": "acme-2"}, headers=alice)

    assert by_header.status_code == 200, by_header.text
    assert by_header.headers["ETag"] == '"2"'
    assert by_header.json()["status"] == "operational"
    assert by_header.json()["test_results"] == {"passing": 10, "total": 10, "skipped": 0}
    assert by_header.json()["updated_by"] == "ci"
    assert by_body.status_code == 200, by_body.text
    assert by_body.headers["ETag"] == '"3"'
    assert (by_body.json()["name"], by_body.json()["version"]) == ("acme-2", 3)
    reread = await api.get(f"{VENDORS}/by-name/acme-2", headers=alice)
    assert reread.headers["ETag"] == '"3"'
    assert reread.json() == by_body.json()


async def test_the_second_of_two_writers_at_one_version_gets_a_conflict(
    api: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    vendor = await create(api, alice)
    url = f"{VENDORS}/{vendor['id']}"

    first = await api.patch(url, json={"version": 1, "status": "operational"}, headers=alice)
    second = await api.patch(
        url, json={"version": 1, "extractor_version": "9"}, headers=alice | {"X-Client-Name": "b"}
    )

    assert first.status_code == 200
    refused = problem(second, 409, "version_conflict")
    assert (refused["current_version"], refused["requested_version"]) == (2, 1)
    assert refused["updated_by"] == "claude-code"
    assert (await api.get(url, headers=alice)).json()["extractor_version"] == "2.1.0"


async def test_a_malformed_if_match_is_a_validation_error(
    api: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    vendor = await create(api, alice)

    response = await api.patch(
        f"{VENDORS}/{vendor['id']}",
        json={"status": "operational"},
        headers=alice | {"If-Match": "1"},
    )

    assert fields(problem(response, 422, "validation_error")) == ["If-Match"]


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"test_results": {"passing": 8, "total": 10, "skipped": 3}}, "test_results"),
        ({"test_results": {"passing": -1, "total": 10}}, "test_results.passing"),
        ({"colour": "red"}, "colour"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"status": "sleeping"}, "status"),
        ({"format_support": {"docx": True}}, "format_support.docx"),
        ({"extractor_version": "v" * 51}, "extractor_version"),
    ],
)
async def test_bad_input_on_create_is_422_naming_the_field_and_stores_nothing(
    api: httpx.AsyncClient, alice: dict[str, str], change: dict[str, Any], field: str
) -> None:
    response = await api.post(VENDORS, json={**ACME, **change}, headers=alice)

    refused = problem(response, 422, "validation_error")
    assert field in fields(refused)
    assert await names(api, alice) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"test_results": {"passing": 11, "total": 10}}, "test_results"),
        ({"name": None}, "name"),
        ({"status": None}, "status"),
        ({"colour": "red"}, "colour"),
        ({"version": 0}, "version"),
    ],
)
async def test_bad_input_on_patch_is_422_and_leaves_the_vendor_as_it_was(
    api: httpx.AsyncClient, alice: dict[str, str], change: dict[str, Any], field: str
) -> None:
    vendor = await create(api, alice)
    url = f"{VENDORS}/{vendor['id']}"

    response = await api.patch(url, json=change, headers=alice | {"If-Match": '"1"'})

    assert field in fields(problem(response, 422, "validation_error"))
    assert (await api.get(url, headers=alice)).json() == vendor


async def test_unparsable_json_is_400(api: httpx.AsyncClient, alice: dict[str, str]) -> None:
    response = await api.post(
        VENDORS, content=b'{"name": ', headers=alice | {"Content-Type": "application/json"}
    )

    problem(response, 400, "validation_error")
    assert await names(api, alice) == []


async def test_a_bad_status_filter_or_id_is_422(
    api: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    assert fields(
        problem(await api.get(f"{VENDORS}?status=x", headers=alice), 422, "validation_error")
    ) == ["status"]
    assert fields(
        problem(await api.get(f"{VENDORS}/not-a-uuid", headers=alice), 422, "validation_error")
    ) == ["vendor_id"]
    assert fields(
        problem(await api.get(f"{VENDORS}?stats=broken", headers=alice), 422, "validation_error")
    ) == ["stats"]


async def test_a_duplicate_name_is_a_conflict_on_create_and_on_rename(
    api: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    await create(api, alice, name="acme")
    other = await create(api, alice, name="zeta")

    duplicate = await api.post(VENDORS, json={"name": "acme"}, headers=alice)
    rename = await api.patch(
        f"{VENDORS}/{other['id']}", json={"version": 1, "name": "acme"}, headers=alice
    )

    assert "acme" in problem(duplicate, 409, "conflict")["detail"]
    problem(rename, 409, "conflict")
    assert sorted(await names(api, alice)) == ["acme", "zeta"]
    assert (await api.get(f"{VENDORS}/{other['id']}", headers=alice)).json() == other


# --- isolation -----------------------------------------------------------------------------


async def test_another_accounts_vendor_answers_exactly_like_a_missing_one(
    api: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    theirs = await create(api, bob, name="bobs-vendor")
    missing = str(uuid.uuid4())

    for method, body, extra in [
        ("GET", None, {}),
        ("PATCH", {"status": "operational"}, {"If-Match": '"1"'}),
        ("PATCH", {"status": "operational", "version": 1}, {}),
    ]:
        answers = [
            await api.request(method, f"{VENDORS}/{vendor_id}", json=body, headers=alice | extra)
            for vendor_id in (theirs["id"], missing)
        ]
        problem(answers[0], 404, "not_found")
        assert masked(answers[0]) == masked(answers[1])

    by_name = await api.get(f"{VENDORS}/by-name/bobs-vendor", headers=alice)
    problem(by_name, 404, "not_found")
    assert (await api.get(f"{VENDORS}/{theirs['id']}", headers=bob)).json() == theirs


async def test_lists_and_names_are_per_account(
    api: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    await create(api, bob, name="acme")
    await create(api, bob, name="bobs-only")

    mine = await api.post(VENDORS, json={"name": "acme"}, headers=alice)

    assert mine.status_code == 201, mine.text
    assert await names(api, alice) == ["acme"]
    assert await names(api, alice, status="broken") == []
    assert sorted(await names(api, bob)) == ["acme", "bobs-only"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", VENDORS),
        ("POST", VENDORS),
        ("GET", f"{VENDORS}/{NO_SUCH_ID}"),
        ("PATCH", f"{VENDORS}/{NO_SUCH_ID}"),
        ("GET", f"{VENDORS}/by-name/acme"),
    ],
)
async def test_every_route_needs_a_bearer_token(
    api: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await api.request(method, path, json={"name": "acme"})

    problem(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("name", ["%00", "x" * 101])
async def test_a_name_no_vendor_can_have_is_422_on_by_name(
    api: httpx.AsyncClient, alice: dict[str, str], name: str
) -> None:
    response = await api.get(f"{VENDORS}/by-name/{name}", headers=alice)

    assert fields(problem(response, 422, "validation_error")) == ["name"]


async def test_openapi_declares_each_routes_failures(api: httpx.AsyncClient) -> None:
    paths = (await api.get("/openapi.json")).json()["paths"]

    def declared(path: str, method: str) -> set[str]:
        return set(paths[path][method]["responses"])

    assert {"201", "409", "422"} <= declared(VENDORS, "post")
    assert {"404"} <= declared(f"{VENDORS}/{{vendor_id}}", "get")
    assert {"404"} <= declared(f"{VENDORS}/by-name/{{name}}", "get")
    assert {"200", "404", "409", "412", "428"} <= declared(f"{VENDORS}/{{vendor_id}}", "patch")


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", "{VENDORS}", None),
        ("POST", "{VENDORS}", {"name": "new"}),
        ("GET", "{VENDORS}/{id}", None),
        ("GET", "{VENDORS}/by-name/acme", None),
        ("PATCH", "{VENDORS}/{id}", {"version": 1, "status": "operational"}),
    ],
)
async def test_an_unknown_query_parameter_is_422_naming_it_on_every_route(
    api: httpx.AsyncClient, alice: dict[str, str], method: str, url: str, body: Any
) -> None:
    """A misspelt parameter must not be silently dropped (docs/reference/rest.md)."""
    existing = await create(api, alice)
    url = url.format(VENDORS=VENDORS, id=existing["id"])

    response = await api.request(method, url, params={"verbose": "1"}, json=body, headers=alice)

    assert fields(problem(response, 422, "validation_error")) == ["verbose"]
