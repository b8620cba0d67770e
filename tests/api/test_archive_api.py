"""Archived work items over REST: 404 on every active route, listed with
include_archived=true, and brought back whole by POST /api/v1/work-items/{id}/restore."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.checks import assert_answers_like_a_random_id, problem
from tests.services.work_items import archive
from workledger.container import Container
from workledger.schemas.common import Actor

BASE = "/api/v1/work-items"
STATUS = "/api/v1/status"
Headers = dict[str, str]
OLD_TITLES = {"Old project", "Old task", "Old subtask"}


async def create(api: httpx.AsyncClient, headers: Headers, **fields: Any) -> dict[str, Any]:
    body = {"item_type": "task", "title": "a task", **fields}
    response = await api.post(BASE, json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def closed_tree(api: httpx.AsyncClient, headers: Headers) -> tuple[dict[str, Any], ...]:
    """A completed project, a completed task below it and a completed subtask below that,
    which blocks on the task."""
    project = await create(
        api, headers, item_type="project", title="Old project", status="completed"
    )
    parent = await create(
        api, headers, title="Old task", parent_id=project["id"], status="completed"
    )
    leaf = await create(
        api,
        headers,
        title="Old subtask",
        parent_id=parent["id"],
        status="completed",
        dependencies=[{"depends_on_id": parent["id"], "dependency_type": "blocks"}],
    )
    return project, parent, leaf


async def page(api: httpx.AsyncClient, headers: Headers, **params: Any) -> dict[str, Any]:
    response = await api.get(BASE, params={"limit": 100, **params}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def with_archived(
    api: httpx.AsyncClient, headers: Headers, **params: Any
) -> dict[str, dict[str, Any]]:
    """The summaries listed with include_archived=true, by title."""
    listed = await page(api, headers, include_archived="true", **params)
    return {item["title"]: item for item in listed["items"]}


def if_match(version: int) -> Headers:
    return {"If-Match": f'"{version}"'}


async def test_archived_items_are_404_on_every_route(
    api: httpx.AsyncClient, container: Container, actor: Actor, alice: Headers
) -> None:
    project, parent, leaf = await closed_tree(api, alice)
    warm = await api.get(
        f"{BASE}/{project['id']}", params={"include_hierarchy": "true"}, headers=alice
    )
    assert warm.status_code == 200, warm.text
    assert await archive(container, actor) == 3

    for item in (project, parent, leaf):
        url = f"{BASE}/{item['id']}"
        for params in ({}, {"include_deleted": "true"}, {"include_hierarchy": "true"}):
            problem(await api.get(url, params=params, headers=alice), 404, "not_found")
    url, version = f"{BASE}/{leaf['id']}", if_match(leaf["version"])
    changed = await api.patch(url, json={"title": "renamed"}, headers={**alice, **version})
    problem(changed, 404, "not_found")
    problem(await api.delete(url, headers={**alice, **version}), 404, "not_found")
    below = await api.post(
        BASE, json={"item_type": "task", "title": "new", "parent_id": parent["id"]}, headers=alice
    )
    problem(below, 404, "not_found")


async def test_include_archived_lists_them_with_archived_at_and_counts_them(
    api: httpx.AsyncClient, container: Container, actor: Actor, alice: Headers
) -> None:
    project, _, _ = await closed_tree(api, alice)
    await create(api, alice, title="Still open")
    await archive(container, actor)

    active = await page(api, alice)
    assert ([i["title"] for i in active["items"]], active["total_count"]) == (["Still open"], 1)
    everything = await with_archived(api, alice)
    assert set(everything) == {*OLD_TITLES, "Still open"}
    assert everything["Still open"]["archived_at"] is None
    for title in OLD_TITLES:
        assert everything[title]["archived_at"] is not None, title
        assert (everything[title]["status"], everything[title]["version"]) == ("completed", 1)

    async def total(**params: Any) -> int:
        return int((await page(api, alice, **params))["total_count"])

    assert await total(include_archived="true") == 4
    assert await total(status="completed") == 0
    assert await total(status="completed", include_archived="true") == 3
    assert await total(parent_id=project["id"]) == 0
    assert await total(parent_id=project["id"], include_archived="true") == 1


async def test_restore_brings_back_the_whole_subtree_with_its_dependencies(
    api: httpx.AsyncClient, container: Container, actor: Actor, alice: Headers
) -> None:
    keeper = await create(api, alice, title="Still open")
    project, parent, leaf = await closed_tree(api, alice)
    needs_keeper = [{"depends_on_id": keeper["id"], "dependency_type": "depends_on"}]
    linked = await api.patch(
        f"{BASE}/{parent['id']}", json={"version": 1, "dependencies": needs_keeper}, headers=alice
    )
    assert linked.status_code == 200, linked.text
    await archive(container, actor)
    version = (await with_archived(api, alice))["Old project"]["version"]

    restored = await api.post(f"{BASE}/{project['id']}/restore", headers=alice)
    assert restored.status_code == 200, restored.text
    assert restored.headers["ETag"] == f'"{version + 1}"'
    body = restored.json()
    assert (body["id"], body["version"], body["status"], body["archived_at"]) == (
        project["id"],
        version + 1,
        "completed",
        None,
    )

    tree = await api.get(
        f"{BASE}/{project['id']}", params={"include_hierarchy": "true"}, headers=alice
    )
    assert [(d["id"], d["depth"], d["parent_id"]) for d in tree.json()["descendants"]] == [
        (parent["id"], 1, project["id"]),
        (leaf["id"], 2, parent["id"]),
    ]
    blocks = [{"depends_on_id": parent["id"], "dependency_type": "blocks"}]
    assert (await api.get(f"{BASE}/{leaf['id']}", headers=alice)).json()["dependencies"] == blocks
    back = await api.get(f"{BASE}/{parent['id']}", headers=alice)
    assert back.json()["dependencies"] == needs_keeper
    assert (await page(api, alice))["total_count"] == 4
    assert [i["archived_at"] for i in (await with_archived(api, alice)).values()] == [None] * 4


async def test_restoring_with_a_stale_version_is_a_version_conflict(
    api: httpx.AsyncClient, container: Container, actor: Actor, alice: Headers
) -> None:
    item = await create(api, alice, title="Done", status="completed")
    url = f"{BASE}/{item['id']}"
    tagged = await api.patch(url, json={"version": 1, "tags": ["shipped"]}, headers=alice)
    assert tagged.status_code == 200, tagged.text
    await archive(container, actor)

    by_header = await api.patch(url, json={"deleted": False}, headers={**alice, **if_match(1)})
    by_body = await api.patch(url, json={"deleted": False, "version": 1}, headers=alice)
    # The restore route needs no precondition, but a stale one sent is refused.
    by_restore = await api.post(f"{url}/restore", headers={**alice, **if_match(1)})
    for body in (
        problem(by_header, 412, "version_conflict"),
        problem(by_body, 409, "version_conflict"),
        problem(by_restore, 412, "version_conflict"),
    ):
        assert (body["current_version"], body["requested_version"]) == (2, 1)
        assert body["updated_by"] == "claude-code"

    problem(await api.get(url, headers=alice), 404, "not_found")
    still = (await with_archived(api, alice))["Done"]
    assert still["archived_at"] is not None
    assert (still["version"], still["tags"]) == (2, ["shipped"])


def requests(target: str) -> list[tuple[str, str, dict[str, Any]]]:
    """Every way to address a work item by id; the If-Match header is added separately."""
    one = f"{BASE}/{target}"
    return [
        ("GET", one, {}),
        ("GET", one, {"params": {"include_deleted": "true"}}),
        ("GET", one, {"params": {"include_hierarchy": "true"}}),
        ("POST", f"{one}/restore", {}),
        ("PATCH", one, {"json": {"deleted": False, "version": 1}}),
        ("PATCH", one, {"json": {"title": "mine now", "version": 1}}),
        ("DELETE", one, {"json": {"version": 1}}),
        ("GET", BASE, {"params": {"parent_id": target, "include_archived": "true"}}),
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
    ]


async def test_another_accounts_archived_id_answers_like_a_random_one(
    api: httpx.AsyncClient,
    container: Container,
    other_actor: Actor,
    alice: Headers,
    bob: Headers,
) -> None:
    theirs = (await create(api, bob, title="Bob's old", status="completed"))["id"]
    assert await archive(container, other_actor) == 1

    await assert_answers_like_a_random_id(api, alice, requests, theirs)
    problem(await api.post(f"{BASE}/{theirs}/restore", headers=alice), 404, "not_found")
    for params in ({"search": "Bob"}, {"include_deleted": "true"}):
        listed = await page(api, alice, include_archived="true", **params)
        assert (listed["items"], listed["total_count"]) == ([], 0), params

    untouched = (await with_archived(api, bob))["Bob's old"]
    assert (untouched["version"], untouched["archived_at"] is not None) == (1, True)


async def test_restoring_below_an_archived_parent_is_409_and_changes_nothing(
    api: httpx.AsyncClient, container: Container, actor: Actor, alice: Headers
) -> None:
    _, parent, _ = await closed_tree(api, alice)
    await archive(container, actor)
    before = await with_archived(api, alice)

    refused = await api.post(f"{BASE}/{parent['id']}/restore", headers=alice)
    body = problem(refused, 409, "conflict")
    assert "restore the parent first" in body["detail"]

    assert await with_archived(api, alice) == before
    problem(await api.get(f"{BASE}/{parent['id']}", headers=alice), 404, "not_found")
    assert (await page(api, alice))["total_count"] == 0


async def test_the_status_report_no_longer_shows_an_archived_item(
    api: httpx.AsyncClient, container: Container, actor: Actor, alice: Headers
) -> None:
    await create(api, alice, item_type="project", title="Old project", status="completed")
    await create(api, alice, title="Still open")
    before = await api.get(STATUS, headers=alice)
    assert "Old project" in before.text

    await archive(container, actor)
    markdown = await api.get(STATUS, headers=alice)
    assert markdown.status_code == 200, markdown.text
    assert "Old project" not in markdown.text
    assert "Still open" in markdown.text
    report = (await api.get(STATUS, headers={**alice, "Accept": "application/json"})).json()
    assert "Old project" not in report["markdown"]
    assert (report["counts"]["work_items"], report["counts"]["work_items_completed"]) == (1, 0)
