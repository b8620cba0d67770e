"""/api/v1/work-items over REST (docs/reference/rest.md), on SQLite and PostgreSQL.

Every route, the precondition matrix, account isolation (another account's id answers
exactly like an id that does not exist), the problem+json error shape, the request
guards (unparsable JSON, unknown fields and parameters, the 1 MiB body limit) and the
audit identity (X-Client-Name, the API token's name, else "api").
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.api.checks import assert_answers_like_a_random_id, masked, problem
from workledger.api.limits import MAX_BODY_BYTES
from workledger.container import Container
from workledger.schemas.common import Actor

BASE = "/api/v1/work-items"
Headers = dict[str, str]


async def create(api: httpx.AsyncClient, headers: Headers, **fields: Any) -> dict[str, Any]:
    body = {"item_type": "task", "title": "a task", **fields}
    response = await api.post(BASE, json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def if_match(version: int) -> Headers:
    return {"If-Match": f'"{version}"'}


def etag(response: httpx.Response) -> str:
    return response.headers["ETag"]


# --- create and read ------------------------------------------------------------------------


async def test_create_answers_201_with_location_and_etag(
    api: httpx.AsyncClient, alice: Headers
) -> None:
    response = await api.post(BASE, json={"item_type": "project", "title": "Ship"}, headers=alice)
    assert response.status_code == 201, response.text
    item = response.json()
    assert response.headers["Location"] == f"{BASE}/{item['id']}"
    assert etag(response) == '"1"'
    assert response.headers["content-type"] == "application/json"
    assert (item["item_type"], item["title"], item["version"], item["depth"]) == (
        "project",
        "Ship",
        1,
        0,
    )
    assert (item["status"], item["priority"], item["tags"], item["metadata"]) == (
        "active",
        "medium",
        [],
        {},
    )
    assert item["deleted_at"] is None

    fetched = await api.get(response.headers["Location"], headers=alice)
    assert fetched.status_code == 200
    assert etag(fetched) == '"1"'
    assert fetched.json() == {**item, "ancestors": None, "descendants": None}


async def test_create_keeps_every_field(api: httpx.AsyncClient, alice: Headers) -> None:
    parent = await create(api, alice, item_type="project", title="Parent")
    blocker = await create(api, alice, title="Blocker")
    commit = "ABCDEF0123" * 4
    item = await create(
        api,
        alice,
        title="Child",
        parent_id=parent["id"],
        description="all of it",
        status="blocked",
        priority="critical",
        due_date="2026-12-31",
        tags=["api", "rest"],
        branch_name="feat/rest",
        commit_hash=commit,
        pr_number=42,
        metadata={"estimated_hours": 3.5, "blocked_reason": "waiting"},
        dependencies=[{"depends_on_id": blocker["id"], "dependency_type": "blocks"}],
    )
    assert item["parent_id"] == parent["id"]
    assert item["depth"] == 1
    assert item["commit_hash"] == commit.lower()
    assert item["metadata"] == {"estimated_hours": 3.5, "blocked_reason": "waiting"}
    assert item["dependencies"] == [{"depends_on_id": blocker["id"], "dependency_type": "blocks"}]
    assert (item["status"], item["priority"], item["due_date"], item["tags"]) == (
        "blocked",
        "critical",
        "2026-12-31",
        ["api", "rest"],
    )
    fetched = (await api.get(f"{BASE}/{item['id']}", headers=alice)).json()
    assert {key: fetched[key] for key in item} == item


async def test_invalid_fields_are_named(api: httpx.AsyncClient, alice: Headers) -> None:
    response = await api.post(
        BASE,
        json={"item_type": "epic", "title": "  ", "metadata": {"token_budget": 5}},
        headers=alice,
    )
    fields = {error["field"] for error in problem(response, 422, "validation_error")["errors"]}
    assert {"item_type", "title"} <= fields
    wrong_metadata = await api.post(
        BASE,
        json={"item_type": "task", "title": "t", "metadata": {"token_budget": 5000}},
        headers=alice,
    )
    errors = problem(wrong_metadata, 422, "validation_error")["errors"]
    assert [e["field"] for e in errors] == ["metadata.token_budget"]


# --- lists ----------------------------------------------------------------------------------


@pytest.fixture
async def listing(api: httpx.AsyncClient, alice: Headers) -> dict[str, Any]:
    """A project with four tasks of mixed status, tags, due dates and priorities."""
    project = await create(api, alice, item_type="project", title="Roadmap")
    tasks = [
        await create(
            api,
            alice,
            title=title,
            parent_id=project["id"],
            status=status,
            priority=priority,
            tags=tags,
            due_date=due,
        )
        for title, status, priority, tags, due in (
            ("delta write docs", "active", "low", ["docs"], "2026-03-01"),
            ("alpha fix login", "blocked", "critical", ["bug"], "2026-01-15"),
            ("charlie add search", "completed", "high", ["feature"], None),
            ("bravo fix paging", "active", "medium", ["bug", "api"], "2026-02-01"),
        )
    ]
    return {"project": project, "tasks": tasks}


async def titles(api: httpx.AsyncClient, headers: Headers, **params: Any) -> list[str]:
    response = await api.get(BASE, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [item["title"] for item in response.json()["items"]]


async def test_list_envelope(
    api: httpx.AsyncClient, alice: Headers, listing: dict[str, Any]
) -> None:
    response = await api.get(BASE, params={"limit": 2}, headers=alice)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    page = response.json()
    assert set(page) == {"items", "total_count", "has_more", "next_cursor"}
    assert (page["total_count"], page["has_more"], len(page["items"])) == (5, True, 2)
    assert isinstance(page["next_cursor"], str)
    summary = page["items"][0]
    assert "description" not in summary
    assert "metadata" not in summary
    assert {"id", "title", "status", "version", "parent_id", "depth"} <= summary.keys()


async def test_list_filters(
    api: httpx.AsyncClient, alice: Headers, listing: dict[str, Any]
) -> None:
    project_id = listing["project"]["id"]
    assert await titles(api, alice, item_type="project") == ["Roadmap"]
    assert await titles(api, alice, root_only="true") == ["Roadmap"]
    assert sorted(await titles(api, alice, status="active")) == [
        "Roadmap",
        "bravo fix paging",
        "delta write docs",
    ]
    assert sorted(await titles(api, alice, tag="bug")) == ["alpha fix login", "bravo fix paging"]
    assert sorted(await titles(api, alice, search="fix")) == ["alpha fix login", "bravo fix paging"]
    assert len(await titles(api, alice, parent_id=project_id)) == 4
    assert await titles(api, alice, parent_id=project_id, status="completed") == [
        "charlie add search"
    ]
    invalid = await api.get(BASE, params={"status": "done", "limit": 0}, headers=alice)
    fields = {error["field"] for error in problem(invalid, 422, "validation_error")["errors"]}
    assert fields == {"status", "limit"}


async def test_list_sorts(api: httpx.AsyncClient, alice: Headers, listing: dict[str, Any]) -> None:
    tasks = {"parent_id": listing["project"]["id"]}
    by_title = ["alpha fix login", "bravo fix paging", "charlie add search", "delta write docs"]
    assert await titles(api, alice, sort="title", **tasks) == by_title
    assert await titles(api, alice, sort="title", order="desc", **tasks) == by_title[::-1]
    newest_first = [t["title"] for t in reversed(listing["tasks"])]
    assert await titles(api, alice, **tasks) == newest_first
    assert await titles(api, alice, sort="priority", **tasks) == [
        "alpha fix login",
        "charlie add search",
        "bravo fix paging",
        "delta write docs",
    ]
    by_due = await titles(api, alice, sort="due_date", **tasks)
    assert by_due[:3] == ["alpha fix login", "bravo fix paging", "delta write docs"]


async def test_list_pages_by_offset_and_cursor(
    api: httpx.AsyncClient, alice: Headers, listing: dict[str, Any]
) -> None:
    everything = await titles(api, alice, sort="title")
    assert len(everything) == 5
    by_offset = [
        *await titles(api, alice, sort="title", limit=2),
        *await titles(api, alice, sort="title", limit=2, offset=2),
        *await titles(api, alice, sort="title", limit=2, offset=4),
    ]
    assert by_offset == everything

    walked: list[str] = []
    params: dict[str, Any] = {"sort": "title", "limit": 2}
    for _ in range(5):
        page = (await api.get(BASE, params=params, headers=alice)).json()
        walked += [item["title"] for item in page["items"]]
        assert page["total_count"] == 5
        if not page["has_more"]:
            assert page["next_cursor"] is None
            break
        params["cursor"] = page["next_cursor"]
    assert walked == everything

    both = await api.get(BASE, params={"offset": 1, "cursor": params["cursor"]}, headers=alice)
    assert problem(both, 422, "validation_error")["errors"][0]["field"] == "cursor"
    forged = await api.get(BASE, params={"cursor": "not-a-cursor"}, headers=alice)
    assert problem(forged, 422, "validation_error")["errors"][0]["field"] == "cursor"


# --- hierarchy ------------------------------------------------------------------------------


async def test_get_with_hierarchy_and_max_depth(api: httpx.AsyncClient, alice: Headers) -> None:
    chain = [await create(api, alice, item_type="project", title="level 0")]
    for level in range(1, 5):
        chain.append(await create(api, alice, title=f"level {level}", parent_id=chain[-1]["id"]))
    leaf = chain[-1]
    assert leaf["depth"] == 4
    sixth = await api.post(
        BASE,
        json={"item_type": "task", "title": "too deep", "parent_id": leaf["id"]},
        headers=alice,
    )
    problem(sixth, 409, "conflict")

    up = await api.get(f"{BASE}/{leaf['id']}", params={"include_hierarchy": "true"}, headers=alice)
    assert up.status_code == 200
    assert etag(up) == '"1"'
    assert [a["id"] for a in up.json()["ancestors"]] == [item["id"] for item in chain[:4]]
    assert up.json()["descendants"] == []

    root = chain[0]["id"]
    down = await api.get(f"{BASE}/{root}", params={"include_hierarchy": "true"}, headers=alice)
    assert [(d["id"], d["depth"]) for d in down.json()["descendants"]] == [
        (item["id"], item["depth"]) for item in chain[1:]
    ]
    shallow = await api.get(
        f"{BASE}/{root}", params={"include_hierarchy": "true", "max_depth": 2}, headers=alice
    )
    assert [d["id"] for d in shallow.json()["descendants"]] == [chain[1]["id"], chain[2]["id"]]
    plain = (await api.get(f"{BASE}/{root}", headers=alice)).json()
    assert (plain["ancestors"], plain["descendants"]) == (None, None)
    for bad in (0, 6):
        refused = await api.get(
            f"{BASE}/{root}", params={"include_hierarchy": "true", "max_depth": bad}, headers=alice
        )
        assert problem(refused, 422, "validation_error")["errors"][0]["field"] == "max_depth"


# --- changes and preconditions --------------------------------------------------------------


async def test_patch_changes_only_what_is_sent(api: httpx.AsyncClient, alice: Headers) -> None:
    item = await create(api, alice, title="Draft", tags=["keep"], priority="low")
    response = await api.patch(
        f"{BASE}/{item['id']}",
        json={"title": "Final", "status": "completed", "due_date": None},
        headers={**alice, **if_match(1)},
    )
    assert response.status_code == 200, response.text
    assert etag(response) == '"2"'
    changed = response.json()
    assert (changed["title"], changed["status"], changed["version"]) == ("Final", "completed", 2)
    assert (changed["tags"], changed["priority"]) == (["keep"], "low")
    again = await api.get(f"{BASE}/{item['id']}", headers=alice)
    assert (etag(again), again.json()["title"]) == ('"2"', "Final")
    with_version = await api.patch(
        f"{BASE}/{item['id']}", json={"version": 2, "priority": "high"}, headers=alice
    )
    assert (with_version.status_code, etag(with_version)) == (200, '"3"')
    assert with_version.json()["priority"] == "high"
    refused = await api.patch(
        f"{BASE}/{item['id']}", json={"title": None}, headers={**alice, **if_match(3)}
    )
    assert problem(refused, 422, "validation_error")["errors"][0]["field"] == "title"


MUTATIONS = {
    "PATCH": {"title": "changed"},
    "DELETE": {},
}


async def mutate(
    api: httpx.AsyncClient,
    method: str,
    item_id: str,
    headers: Headers,
    *,
    version: int | None = None,
) -> httpx.Response:
    body = dict(MUTATIONS[method])
    if version is not None:
        body["version"] = version
    return await api.request(method, f"{BASE}/{item_id}", json=body or None, headers=headers)


@pytest.fixture
async def changed_by_other(api: httpx.AsyncClient, alice: Headers) -> dict[str, Any]:
    """An item another client of the account has moved on to version 2."""
    item = await create(api, alice, title="Shared")
    response = await api.patch(
        f"{BASE}/{item['id']}",
        json={"version": 1, "priority": "high"},
        headers={**alice, "X-Client-Name": "claude-desktop"},
    )
    assert response.status_code == 200, response.text
    changed: dict[str, Any] = response.json()
    return changed


@pytest.mark.parametrize("method", list(MUTATIONS))
async def test_mutation_without_precondition_is_428(
    api: httpx.AsyncClient, alice: Headers, changed_by_other: dict[str, Any], method: str
) -> None:
    response = await mutate(api, method, changed_by_other["id"], alice)
    problem(response, 428, "precondition_required")
    assert (await api.get(f"{BASE}/{changed_by_other['id']}", headers=alice)).json()["version"] == 2


@pytest.mark.parametrize("method", list(MUTATIONS))
@pytest.mark.parametrize("how", ["if-match", "body"])
async def test_stale_version_is_a_conflict_naming_who(
    api: httpx.AsyncClient,
    alice: Headers,
    changed_by_other: dict[str, Any],
    method: str,
    how: str,
) -> None:
    item_id = changed_by_other["id"]
    if how == "if-match":
        response = await mutate(api, method, item_id, {**alice, **if_match(1)})
        body = problem(response, 412, "version_conflict")
    else:
        response = await mutate(api, method, item_id, alice, version=1)
        body = problem(response, 409, "version_conflict")
    assert (body["current_version"], body["requested_version"]) == (2, 1)
    assert body["updated_by"] == "claude-desktop"
    assert datetime.fromisoformat(body["updated_at"]) == datetime.fromisoformat(
        changed_by_other["updated_at"]
    )
    after = await api.get(f"{BASE}/{item_id}", headers=alice)
    assert after.json() == {**changed_by_other, "ancestors": None, "descendants": None}


@pytest.mark.parametrize("method", list(MUTATIONS))
@pytest.mark.parametrize("value", ["2", "'2'", '"two"', '""', '"-1"'])
async def test_malformed_if_match_is_422(
    api: httpx.AsyncClient,
    alice: Headers,
    changed_by_other: dict[str, Any],
    method: str,
    value: str,
) -> None:
    response = await mutate(api, method, changed_by_other["id"], {**alice, "If-Match": value})
    errors = problem(response, 422, "validation_error")["errors"]
    assert [e["field"].lower() for e in errors] == ["if-match"]


@pytest.mark.parametrize("method", list(MUTATIONS))
@pytest.mark.parametrize("how", ["if-match", "weak-if-match", "body"])
async def test_current_version_succeeds_with_new_etag(
    api: httpx.AsyncClient,
    alice: Headers,
    changed_by_other: dict[str, Any],
    method: str,
    how: str,
) -> None:
    item_id = changed_by_other["id"]
    if how == "body":
        response = await mutate(api, method, item_id, alice, version=2)
    else:
        tag = 'W/"2"' if how == "weak-if-match" else '"2"'
        response = await mutate(api, method, item_id, {**alice, "If-Match": tag})
    assert response.status_code == 200, response.text
    assert etag(response) == '"3"'
    assert response.json()["version"] == 3
    assert response.json()["updated_by"] == "claude-code"  # alice's client


# --- soft delete and restore ----------------------------------------------------------------


async def test_delete_is_soft_and_restore_needs_no_precondition(
    api: httpx.AsyncClient, alice: Headers
) -> None:
    item = await create(api, alice, title="Doomed")
    url = f"{BASE}/{item['id']}"
    deleted = await api.delete(url, headers={**alice, **if_match(1)})
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["deleted_at"] is not None
    assert etag(deleted) == '"2"'

    problem(await api.get(url, headers=alice), 404, "not_found")
    hidden = await api.get(url, params={"include_deleted": "true"}, headers=alice)
    assert (hidden.status_code, hidden.json()["deleted_at"]) == (200, deleted.json()["deleted_at"])
    assert await titles(api, alice) == []
    assert await titles(api, alice, include_deleted="true") == ["Doomed"]
    problem(
        await api.patch(url, json={"title": "x"}, headers={**alice, **if_match(2)}),
        404,
        "not_found",
    )

    restored = await api.post(f"{url}/restore", headers=alice)
    assert restored.status_code == 200, restored.text
    assert restored.json()["deleted_at"] is None
    assert etag(restored) == '"3"'
    assert (await api.get(url, headers=alice)).json()["version"] == 3
    assert await titles(api, alice) == ["Doomed"]


async def test_delete_with_live_children_needs_cascade(
    api: httpx.AsyncClient, alice: Headers
) -> None:
    parent = await create(api, alice, item_type="project", title="Parent")
    child = await create(api, alice, title="Child", parent_id=parent["id"])
    url = f"{BASE}/{parent['id']}"
    refused = await api.delete(url, headers={**alice, **if_match(1)})
    problem(refused, 409, "conflict")
    assert "cascade" in refused.json()["detail"]

    cascaded = await api.delete(url, params={"cascade": "true"}, headers={**alice, **if_match(1)})
    assert cascaded.status_code == 200, cascaded.text
    problem(await api.get(f"{BASE}/{child['id']}", headers=alice), 404, "not_found")
    problem(await api.post(f"{BASE}/{child['id']}/restore", headers=alice), 409, "conflict")

    restored = await api.post(f"{url}/restore", headers=alice)
    assert restored.status_code == 200, restored.text
    back = await api.get(f"{BASE}/{child['id']}", headers=alice)
    assert (back.status_code, back.json()["deleted_at"]) == (200, None)


async def test_restore_of_a_missing_item_is_404(api: httpx.AsyncClient, alice: Headers) -> None:
    problem(await api.post(f"{BASE}/{uuid.uuid4()}/restore", headers=alice), 404, "not_found")


# --- isolation ------------------------------------------------------------------------------


async def test_another_accounts_ids_answer_like_missing_ones(
    api: httpx.AsyncClient, alice: Headers, bob: Headers
) -> None:
    theirs = (await create(api, bob, item_type="project", title="Bob's secret"))["id"]
    await create(api, bob, title="Bob's child", parent_id=theirs)
    mine = (await create(api, alice, title="Alice's"))["id"]
    missing = str(uuid.uuid4())

    def requests(target: str) -> list[tuple[str, str, dict[str, Any]]]:
        one = f"{BASE}/{target}"
        return [
            ("GET", one, {}),
            ("GET", one, {"params": {"include_hierarchy": "true"}}),
            ("GET", one, {"params": {"include_deleted": "true"}}),
            ("PATCH", one, {"json": {"title": "mine now"}, "headers": if_match(1)}),
            ("PATCH", one, {"json": {"title": "mine now", "version": 1}}),
            ("PATCH", one, {"json": {"title": "mine now"}}),
            ("DELETE", one, {"headers": if_match(1)}),
            ("DELETE", one, {"params": {"cascade": "true"}, "json": {"version": 1}}),
            ("POST", f"{one}/restore", {}),
            ("GET", BASE, {"params": {"parent_id": target}}),
            ("POST", BASE, {"json": {"item_type": "task", "title": "t", "parent_id": target}}),
            (
                "POST",
                BASE,
                {
                    "json": {
                        "item_type": "task",
                        "title": "t",
                        "dependencies": [{"depends_on_id": target}],
                    }
                },
            ),
            ("PATCH", f"{BASE}/{mine}", {"json": {"parent_id": target}, "headers": if_match(1)}),
            (
                "PATCH",
                f"{BASE}/{mine}",
                {"json": {"dependencies": [{"depends_on_id": target}]}, "headers": if_match(1)},
            ),
        ]

    await assert_answers_like_a_random_id(api, alice, requests, theirs)

    gone = (await create(api, bob, title="Bob's deleted"))["id"]
    assert (await api.delete(f"{BASE}/{gone}", headers={**bob, **if_match(1)})).status_code == 200
    for method, suffix, params in (
        ("GET", "", {"include_deleted": "true"}),
        ("POST", "/restore", {}),
    ):
        answer = await api.request(method, f"{BASE}/{gone}{suffix}", params=params, headers=alice)
        expected = await api.request(
            method, f"{BASE}/{missing}{suffix}", params=params, headers=alice
        )
        assert masked(answer) == masked(expected), f"{method} {suffix}"
    assert (await api.get(f"{BASE}/{gone}", headers=bob)).status_code == 404  # still deleted

    everything = await api.get(BASE, params={"include_deleted": "true"}, headers=alice)
    assert [item["id"] for item in everything.json()["items"]] == [mine]
    assert everything.json()["total_count"] == 1
    searched = await api.get(BASE, params={"search": "Bob"}, headers=alice)
    assert (searched.json()["items"], searched.json()["total_count"]) == ([], 0)
    untouched = await api.get(f"{BASE}/{theirs}", headers=bob)
    assert (untouched.json()["version"], untouched.json()["title"]) == (1, "Bob's secret")


# --- errors and guards ----------------------------------------------------------------------


async def test_requests_without_a_valid_token_are_401(api: httpx.AsyncClient) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic eA=="}):
        response = await api.get(BASE, headers=headers)
        problem(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "path", ["/api/v1/nothing-here", "/api/v1/work-items/x/y/z", "/nowhere", "/api/v2/work-items"]
)
async def test_unknown_routes_are_404_problems(
    api: httpx.AsyncClient, alice: Headers, path: str
) -> None:
    problem(await api.get(path, headers=alice), 404, "not_found")


async def test_unsupported_method_on_a_known_route_is_405(
    api: httpx.AsyncClient, alice: Headers
) -> None:
    item = await create(api, alice)
    response = await api.put(f"{BASE}/{item['id']}", json={"title": "x"}, headers=alice)
    assert response.status_code == 405, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert {"GET", "PATCH", "DELETE"} <= set(response.headers["Allow"].replace(" ", "").split(","))


async def test_unparsable_json_is_400(api: httpx.AsyncClient, alice: Headers) -> None:
    json_headers = {**alice, "Content-Type": "application/json"}
    created = await api.post(BASE, content=b'{"item_type": "task",', headers=json_headers)
    problem(created, 400, "validation_error")
    item = await create(api, alice)
    patched = await api.patch(
        f"{BASE}/{item['id']}", content=b"{nope}", headers={**json_headers, **if_match(1)}
    )
    problem(patched, 400, "validation_error")
    not_utf8 = await api.post(BASE, content=b'{"title": "\xff\xfe"}', headers=json_headers)
    problem(not_utf8, 400, "validation_error")


async def test_valid_json_nested_too_deeply_is_said_so_not_called_invalid(
    api: httpx.AsyncClient, alice: Headers
) -> None:
    nested = "[" * 5000 + "]" * 5000
    body = f'{{"item_type": "task", "title": "deep", "metadata": {{"k": {nested}}}}}'
    json_headers = {**alice, "Content-Type": "application/json"}

    refused = await api.post(BASE, content=body.encode(), headers=json_headers)

    said = problem(refused, 400, "validation_error")
    assert said["detail"] == "the body nests deeper than the server reads (about 1,000 levels)"
    assert "not valid JSON" not in refused.text
    listed = await api.get(BASE, headers=alice)
    assert listed.json()["total_count"] == 0


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE"])
async def test_unknown_body_fields_are_422_naming_them(
    api: httpx.AsyncClient, alice: Headers, method: str
) -> None:
    item = await create(api, alice)
    body: dict[str, Any] = {"version": 1, "colour": "red"}
    url = f"{BASE}/{item['id']}"
    if method == "POST":
        body = {"item_type": "task", "title": "t", "colour": "red"}
        url = BASE
    response = await api.request(method, url, json=body, headers=alice)
    errors = problem(response, 422, "validation_error")["errors"]
    assert [e["field"] for e in errors] == ["colour"]
    assert (await api.get(f"{BASE}/{item['id']}", headers=alice)).json()["version"] == 1


async def test_unknown_query_parameters_are_422_naming_them(
    api: httpx.AsyncClient, alice: Headers
) -> None:
    """A misspelt parameter (``cascad=true``) must not be silently dropped, on any route."""
    item = await create(api, alice)
    one = f"{BASE}/{item['id']}"
    routes: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", BASE, {}),
        ("POST", BASE, {"json": {"item_type": "task", "title": "t"}}),
        ("GET", one, {}),
        ("PATCH", one, {"json": {"version": 1, "title": "x"}}),
        ("DELETE", one, {"json": {"version": 1}}),
        ("POST", f"{one}/restore", {}),
    ]
    ignored = []
    for method, url, options in routes:
        response = await api.request(
            method, url, params={"cascad": "true"}, headers=alice, **options
        )
        if response.status_code != 422:
            ignored.append(f"{method} {url.replace(item['id'], '{id}')} -> {response.status_code}")
            continue
        errors = problem(response, 422, "validation_error")["errors"]
        assert [e["field"] for e in errors] == ["cascad"]
    assert not ignored, f"?cascad=true was accepted by: {ignored}"


async def test_bodies_over_one_mebibyte_are_413(api: httpx.AsyncClient, alice: Headers) -> None:
    def body_of(size: int) -> bytes:
        head = b'{"item_type": "task", "title": "t", "description": "'
        return head + b"x" * (size - len(head) - 2) + b'"}'

    json_headers = {**alice, "Content-Type": "application/json"}
    at_limit = await api.post(BASE, content=body_of(MAX_BODY_BYTES), headers=json_headers)
    assert problem(at_limit, 422, "validation_error")["errors"][0]["field"] == "description"
    declared = await api.post(BASE, content=body_of(MAX_BODY_BYTES + 1), headers=json_headers)
    problem(declared, 413, "too_large")

    async def chunks() -> AsyncIterator[bytes]:
        data = body_of(2 * MAX_BODY_BYTES)
        for start in range(0, len(data), 64 * 1024):
            yield data[start : start + 64 * 1024]

    streamed = await api.post(BASE, content=chunks(), headers=json_headers)
    assert "content-length" not in streamed.request.headers
    problem(streamed, 413, "too_large")
    assert (await api.get(BASE, headers=alice)).json()["total_count"] == 0


# --- who changed it -------------------------------------------------------------------------


async def test_client_name_is_recorded_as_created_by_and_updated_by(
    api: httpx.AsyncClient, container: Container, actor: Actor, alice: Headers
) -> None:
    item = await create(api, {**alice, "X-Client-Name": "claude-code"})
    assert (item["created_by"], item["updated_by"]) == ("claude-code", "claude-code")

    patched = await api.patch(
        f"{BASE}/{item['id']}",
        json={"title": "by the web app"},
        headers={**alice, **if_match(1), "X-Client-Name": "web-ui"},
    )
    assert (patched.json()["created_by"], patched.json()["updated_by"]) == ("claude-code", "web-ui")

    plain = await create(api, {"Authorization": alice["Authorization"]})  # no client name
    assert (plain["created_by"], plain["updated_by"]) == ("api", "api")

    api_token = await container.accounts.create_api_token(actor=actor, name="nightly-ci")
    by_token = await create(api, {"Authorization": f"Bearer {api_token.token}"})
    assert by_token["created_by"] == "nightly-ci"
    named = await create(
        api, {"Authorization": f"Bearer {api_token.token}", "X-Client-Name": "copilot"}
    )
    assert named["created_by"] == "copilot"

    too_long = await api.post(
        BASE,
        json={"item_type": "task", "title": "t"},
        headers={**alice, "X-Client-Name": "x" * 101},
    )
    errors = problem(too_long, 422, "validation_error")["errors"]
    assert [e["field"].lower() for e in errors] == ["x-client-name"]


# --- readiness, claims and short ids ---------------------------------------


async def test_claim_takes_an_item_once_and_names_who_has_it(
    api: httpx.AsyncClient, alice: Headers
) -> None:
    item = await create(api, alice, title="take me")
    url = f"{BASE}/{item['id']}/claim"
    problem(await api.post(url, headers={**alice, **if_match(7)}), 412, "version_conflict")

    claimed = await api.post(url, headers={**alice, **if_match(1)})
    assert claimed.status_code == 200, claimed.text
    assert etag(claimed) == '"2"'
    assert (claimed.json()["assignee"], claimed.json()["ready"]) == ("claude-code", True)
    renewed = await api.post(url, json={"lease_seconds": 600}, headers=alice)  # no precondition
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["claimed_until"] < claimed.json()["claimed_until"]

    bob_agent = {**alice, "X-Client-Name": "agent-bob"}
    body = problem(await api.post(url, json={"version": 2}, headers=bob_agent), 409, "conflict")
    assert (body["assignee"], body["field"]) == ("claude-code", "assignee")
    assert "claude-code" in body["detail"]
    seen_by_bob = (await api.get(f"{BASE}/{item['id']}", headers=bob_agent)).json()
    assert (seen_by_bob["assignee"], seen_by_bob["ready"]) == ("claude-code", False)

    done = await api.patch(
        f"{BASE}/{item['id']}",
        json={"status": "completed"},
        headers={**alice, **if_match(3)},
    )
    assert (done.json()["status"], done.json()["assignee"]) == ("completed", None)  # released


async def test_claim_next_release_and_what_a_claim_refuses(
    api: httpx.AsyncClient, alice: Headers
) -> None:
    epic = await create(api, alice, item_type="project", title="epic", priority="critical")
    first = await create(api, alice, title="first", priority="high", parent_id=epic["id"])
    waiting = await create(api, alice, title="waits", dependencies=[{"depends_on_id": first["id"]}])
    await create(api, alice, title="reading", item_type="research", tags=["docs"])

    by_tag = await api.post(f"{BASE}/claim-next", json={"tag": "docs"}, headers=alice)
    assert (by_tag.status_code, by_tag.json()["item"]["title"]) == (200, "reading")
    taken = await api.post(f"{BASE}/claim-next", headers=alice)  # no body: any ready item
    assert (taken.json()["item"]["title"], taken.json()["item"]["assignee"]) == (
        "first",
        "claude-code",
    )
    nothing = await api.post(f"{BASE}/claim-next", json={"lease_seconds": 60}, headers=alice)
    assert (nothing.status_code, nothing.json()) == (200, {"item": None})
    problem(
        await api.post(f"{BASE}/claim-next", json={"lease_seconds": 5}, headers=alice),
        422,
        "validation_error",
    )
    problem(
        await api.post(f"{BASE}/claim-next", json={"parent_id": "0000beef"}, headers=alice),
        404,
        "not_found",
    )

    blocked = problem(
        await api.post(f"{BASE}/{waiting['id']}/claim", headers=alice), 409, "conflict"
    )
    assert (blocked["field"], blocked["blocked_by"]) == ("blocked_by", [first["id"]])

    mine = taken.json()["item"]
    stale = await api.post(f"{BASE}/{mine['id']}/release", headers={**alice, **if_match(1)})
    problem(stale, 412, "version_conflict")
    # An owner drops any client's claim (members only their own: tests/services).
    bob_agent = {**alice, "X-Client-Name": "agent-bob"}
    released = await api.post(
        f"{BASE}/{mine['id'][-8:]}/release", headers={**bob_agent, **if_match(mine["version"])}
    )
    assert released.status_code == 200, released.text
    assert (released.json()["assignee"], etag(released)) == (None, f'"{mine["version"] + 1}"')


async def test_work_is_logged_and_summed_on_the_item(
    api: httpx.AsyncClient, alice: Headers
) -> None:
    item = await create(api, alice, title="parse")
    url = f"{BASE}/{item['id'][-8:]}/work-log"
    logged = await api.post(url, json={"tokens": 4000, "cost_usd": 0.25}, headers=alice)
    assert logged.status_code == 201, logged.text
    assert (logged.json()["tokens"], logged.json()["author"]) == (4000, "claude-code")
    await api.post(url, json={"minutes": 30, "note": "tests"}, headers=alice)
    problem(await api.post(url, json={"note": "nothing"}, headers=alice), 422, "validation_error")
    problem(await api.post(url, json={"minutes": -5}, headers=alice), 422, "validation_error")

    read = (await api.get(f"{BASE}/{item['id']}", headers=alice)).json()
    assert (read["spent"], read["version"]) == (
        {"minutes": 30, "tokens": 4000, "cost_usd": 0.25},
        1,
    )


async def test_ready_lists_what_can_be_picked_and_why_the_rest_waits(
    api: httpx.AsyncClient, alice: Headers
) -> None:
    first = await create(api, alice, title="first", priority="high")
    later = await create(api, alice, title="later", dependencies=[{"depends_on_id": first["id"]}])
    await create(api, alice, title="someone else's", assignee="agent-bob")

    page = (await api.get(BASE, params={"ready": "true"}, headers=alice)).json()
    assert ([i["title"] for i in page["items"]], page["total_count"]) == (["first"], 1)
    waiting = (await api.get(f"{BASE}/{later['id']}", headers=alice)).json()
    assert (waiting["ready"], waiting["blocked_by"]) == (False, [first["id"]])
    mine = await api.get(BASE, params={"assignee": "agent-bob"}, headers=alice)
    assert [i["title"] for i in mine.json()["items"]] == ["someone else's"]


async def test_short_ids_work_in_paths_and_bodies(api: httpx.AsyncClient, alice: Headers) -> None:
    root = await create(api, alice, item_type="project", title="root")
    short = root["id"][-8:]
    child = await create(api, alice, title="child", parent_id=short)
    assert child["parent_id"] == root["id"]

    fetched = await api.get(f"{BASE}/{short}", headers=alice)
    assert (fetched.status_code, fetched.json()["id"]) == (200, root["id"])
    patched = await api.patch(
        f"{BASE}/{child['id'][-8:]}", json={"title": "renamed"}, headers={**alice, **if_match(1)}
    )
    assert (patched.status_code, patched.json()["title"]) == (200, "renamed")
    problem(await api.get(f"{BASE}/0badcafe", headers=alice), 404, "not_found")
    body = problem(await api.get(f"{BASE}/b8ea44", headers=alice), 422, "validation_error")
    assert "short id" in body["errors"][0]["message"]


async def test_a_body_sent_without_a_json_content_type_says_so(
    api: httpx.AsyncClient, alice: Headers
) -> None:
    response = await api.post(
        BASE, content=b'{"item_type": "task", "title": "x"}', headers={**alice, "Content-Type": ""}
    )
    body = problem(response, 422, "validation_error")
    assert body["errors"] == [
        {"field": "body", "message": "send the body as JSON, with Content-Type: application/json"}
    ]


async def test_an_unknown_field_or_parameter_names_the_one_it_likely_meant(
    api: httpx.AsyncClient, alice: Headers
) -> None:
    body = problem(
        await api.post(BASE, json={"item_type": "task", "titel": "x"}, headers=alice),
        422,
        "validation_error",
    )
    assert {"field": "titel", "message": "unknown field; did you mean title?"} in body["errors"]
    query = problem(
        await api.get(BASE, params={"staus": "active"}, headers=alice), 422, "validation_error"
    )
    assert {"field": "staus", "message": "unknown field; did you mean status?"} in query["errors"]


async def test_an_unknown_body_field_named_like_a_location_is_named(
    api: httpx.AsyncClient, alice: Headers
) -> None:
    """Found by the fuzzer: a body field called "query" (or "path") is a field too."""
    response = await api.post(
        BASE, json={"item_type": "task", "title": "x", "query": None}, headers=alice
    )
    body = problem(response, 422, "validation_error")
    assert body["errors"] == [{"field": "query", "message": "unknown field"}]
