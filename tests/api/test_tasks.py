"""/api/{user_id}/tasks: the todo API (docs/reference/rest.md, the todo API scenario)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.api.conftest import PASSWORD, auth_headers
from tests.api.test_auth import problem_of
from workledger.container import Container
from workledger.schemas.common import Actor
from workledger.schemas.item_type import ItemType
from workledger.schemas.work_item import WorkItemCreate

# An id no record has; fixed, so every test process collects the same tests.
NO_SUCH_ID = uuid.UUID("0193a5c0-7d1e-7000-8000-000000000000")

TASK_FIELDS = {
    "id",
    "user_id",
    "title",
    "description",
    "completed",
    "due_date",
    "created_at",
    "updated_at",
    "version",
}


class User:
    """A signed-up account seen through the API: its id, headers and tasks URL."""

    def __init__(self, api: httpx.AsyncClient, account_id: str, headers: dict[str, str]) -> None:
        self.api = api
        self.id = account_id
        self.headers = headers
        self.tasks = f"/api/{account_id}/tasks"

    async def create(self, **body: Any) -> dict[str, Any]:
        created = await self.api.post(self.tasks, json=body, headers=self.headers)
        assert created.status_code == 201, created.text
        task: dict[str, Any] = created.json()
        return task

    async def titles(self, **params: str) -> list[str]:
        listed = await self.api.get(self.tasks, params=params, headers=self.headers)
        assert listed.status_code == 200, listed.text
        return [task["title"] for task in listed.json()]


async def sign_up(api: httpx.AsyncClient, email: str) -> User:
    """Sign up, log in with the OAuth2 form, and learn the account id from /me."""
    created = await api.post("/api/v1/auth/signup", json={"email": email, "password": PASSWORD})
    assert created.status_code == 201, created.text
    token = await api.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    me = await api.get("/api/v1/auth/me", headers=headers)
    assert me.json()["id"] == created.json()["id"]
    return User(api, me.json()["id"], headers)


def fixture_user(api: httpx.AsyncClient, container: Container, actor: Actor) -> User:
    return User(api, str(actor.account_id), auth_headers(container, actor))


# --- scenario 9 -----------------------------------------------------------------------------


async def test_the_todo_scenario_end_to_end(api: httpx.AsyncClient) -> None:
    alice = await sign_up(api, "alice@todo.example")
    json_login = await api.post(
        "/api/v1/auth/token", json={"email": "alice@todo.example", "password": PASSWORD}
    )
    assert json_login.status_code == 200
    alice.headers = {"Authorization": f"Bearer {json_login.json()['access_token']}"}

    # Create, oldest first.
    milk = await alice.create(title="buy milk", due_date="2026-03-01")
    taxes = await alice.create(
        title="File taxes", description="before the deadline", due_date="2026-04-15"
    )
    call = await alice.create(title="call mum")
    bike = await alice.create(title="Fix bike", due_date="2026-02-10")
    assert set(milk) == TASK_FIELDS
    assert milk["user_id"] == alice.id
    assert milk["completed"] is False
    assert milk["version"] == 1
    assert taxes["description"] == "before the deadline"
    assert call["due_date"] is None

    # Sorted.
    newest_first = ["Fix bike", "call mum", "File taxes", "buy milk"]
    assert await alice.titles() == newest_first
    assert await alice.titles(sort="created") == newest_first
    assert await alice.titles(sort="created", order="asc") == newest_first[::-1]
    assert await alice.titles(sort="title") == ["buy milk", "call mum", "File taxes", "Fix bike"]
    assert await alice.titles(sort="title", order="desc") == [
        "Fix bike",
        "File taxes",
        "call mum",
        "buy milk",
    ]
    by_due = ["Fix bike", "buy milk", "File taxes", "call mum"]  # no due date: last
    assert await alice.titles(sort="due_date") == by_due
    assert await alice.titles(sort="due_date", order="asc") == by_due
    assert await alice.titles(sort="due_date", order="desc") == by_due[::-1]

    # Toggle twice, and set.
    toggled = await api.patch(f"{alice.tasks}/{milk['id']}/complete", headers=alice.headers)
    assert toggled.status_code == 200, toggled.text
    assert toggled.json()["completed"] is True
    assert toggled.headers["ETag"] == '"2"'
    await api.patch(f"{alice.tasks}/{bike['id']}/complete", headers=alice.headers)
    back = await api.patch(f"{alice.tasks}/{bike['id']}/complete", headers=alice.headers)
    assert back.json()["completed"] is False
    done = await api.patch(
        f"{alice.tasks}/{taxes['id']}/complete", json={"completed": True}, headers=alice.headers
    )
    assert done.json()["completed"] is True

    # Filtered.
    assert await alice.titles(status="completed") == ["File taxes", "buy milk"]
    assert await alice.titles(status="pending") == ["Fix bike", "call mum"]
    assert await alice.titles(status="all") == newest_first
    assert await alice.titles(status="pending", sort="title", order="desc") == [
        "Fix bike",
        "call mum",
    ]

    # Edit.
    edited = await api.put(
        f"{alice.tasks}/{call['id']}",
        json={"title": "Call mum on Sunday", "description": "about the trip", "due_date": None},
        headers=alice.headers,
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["title"] == "Call mum on Sunday"
    assert edited.json()["description"] == "about the trip"
    assert edited.json()["version"] == 2
    assert edited.headers["ETag"] == '"2"'
    read = await api.get(f"{alice.tasks}/{call['id']}", headers=alice.headers)
    assert read.json() == edited.json()

    # Delete.
    deleted = await api.delete(f"{alice.tasks}/{bike['id']}", headers=alice.headers)
    assert deleted.status_code == 204
    gone = await api.get(f"{alice.tasks}/{bike['id']}", headers=alice.headers)
    problem_of(gone, 404, "not_found")
    assert await alice.titles() == ["Call mum on Sunday", "File taxes", "buy milk"]

    # A second user sees none of it and can touch none of it.
    bob = await sign_up(api, "bob@todo.example")
    assert await bob.titles() == []
    for method, path, body in [
        ("GET", alice.tasks, None),
        ("POST", alice.tasks, {"title": "sneaky"}),
        ("GET", f"{alice.tasks}/{milk['id']}", None),
        ("PUT", f"{alice.tasks}/{milk['id']}", {"title": "mine now"}),
        ("DELETE", f"{alice.tasks}/{milk['id']}", None),
        ("PATCH", f"{alice.tasks}/{milk['id']}/complete", None),
    ]:
        refused = await api.request(method, path, json=body, headers=bob.headers)
        problem_of(refused, 403, "forbidden")
    for method, path, body in [
        ("GET", f"{bob.tasks}/{milk['id']}", None),
        ("PUT", f"{bob.tasks}/{milk['id']}", {"title": "mine now"}),
        ("DELETE", f"{bob.tasks}/{milk['id']}", None),
        ("PATCH", f"{bob.tasks}/{milk['id']}/complete", None),
    ]:
        refused = await api.request(method, path, json=body, headers=bob.headers)
        problem_of(refused, 404, "not_found")
    assert await alice.titles() == ["Call mum on Sunday", "File taxes", "buy milk"]
    untouched = await api.get(f"{alice.tasks}/{milk['id']}", headers=alice.headers)
    assert untouched.json() == toggled.json()


# --- single tasks ---------------------------------------------------------------------------


async def test_a_created_task_has_a_location_and_an_etag(
    api: httpx.AsyncClient, container: Container, actor: Actor
) -> None:
    user = fixture_user(api, container, actor)

    created = await api.post(
        user.tasks, json={"title": "write tests", "due_date": "2026-05-01"}, headers=user.headers
    )

    assert created.status_code == 201, created.text
    assert created.headers["ETag"] == '"1"'
    location = created.headers["Location"]
    assert location == f"{user.tasks}/{created.json()['id']}"
    read = await api.get(location, headers=user.headers)
    assert read.status_code == 200
    assert read.headers["ETag"] == '"1"'
    assert read.json() == created.json()


async def test_tasks_are_work_items_of_type_task(
    api: httpx.AsyncClient, container: Container, actor: Actor
) -> None:
    user = fixture_user(api, container, actor)
    task = await user.create(title="a todo")
    project = await container.work_items.create(
        actor=actor, data=WorkItemCreate(item_type=ItemType.project, title="a project")
    )

    item = await api.get(f"/api/v1/work-items/{task['id']}", headers=user.headers)
    not_a_task = await api.get(f"{user.tasks}/{project.id}", headers=user.headers)

    assert item.json()["item_type"] == "task"
    assert item.json()["status"] == "active"
    problem_of(not_a_task, 404, "not_found")
    assert await user.titles() == ["a todo"]
    await api.patch(f"{user.tasks}/{task['id']}/complete", headers=user.headers)
    item = await api.get(f"/api/v1/work-items/{task['id']}", headers=user.headers)
    assert item.json()["status"] == "completed"


async def test_a_blocked_task_is_pending(
    api: httpx.AsyncClient, container: Container, actor: Actor
) -> None:
    user = fixture_user(api, container, actor)
    await container.work_items.create(
        actor=actor,
        data=WorkItemCreate(item_type=ItemType.task, title="blocked", status="blocked"),
    )
    await user.create(title="open")

    assert await user.titles(status="pending") == ["open", "blocked"]
    assert await user.titles(status="completed") == []


async def test_another_accounts_task_is_indistinguishable_from_a_missing_one(
    api: httpx.AsyncClient, container: Container, actor: Actor, other_actor: Actor
) -> None:
    mine = fixture_user(api, container, actor)
    theirs = fixture_user(api, container, other_actor)
    task = await mine.create(title="private")

    foreign = await api.get(f"{theirs.tasks}/{task['id']}", headers=theirs.headers)
    random = await api.get(f"{theirs.tasks}/{uuid.uuid4()}", headers=theirs.headers)

    assert foreign.status_code == random.status_code == 404
    assert foreign.json()["code"] == random.json()["code"] == "not_found"
    assert foreign.json()["detail"].replace(task["id"], "?") == random.json()["detail"].replace(
        random.url.path.rsplit("/", 1)[1], "?"
    )


async def test_only_your_own_user_id_is_allowed(
    api: httpx.AsyncClient, container: Container, actor: Actor
) -> None:
    headers = auth_headers(container, actor)

    refused = await api.get(f"/api/{NO_SUCH_ID}/tasks", headers=headers)

    problem_of(refused, 403, "forbidden")


@pytest.mark.parametrize("user_id", ["someone", "nobody", "v1"])
async def test_a_user_id_that_is_no_account_id_is_a_validation_error(
    api: httpx.AsyncClient, container: Container, actor: Actor, user_id: str
) -> None:
    """Not "belongs to another account": it is nobody's id at all."""
    headers = auth_headers(container, actor)

    refused = await api.get(f"/api/{user_id}/tasks", headers=headers)

    body = problem_of(refused, 422, "validation_error")
    assert [error["field"] for error in body["errors"]] == ["user_id"]
    assert "another account" not in refused.text


async def test_your_user_id_in_capitals_is_still_yours(
    api: httpx.AsyncClient, container: Container, actor: Actor
) -> None:
    listed = await api.get(
        f"/api/{str(actor.account_id).upper()}/tasks", headers=auth_headers(container, actor)
    )

    assert listed.status_code == 200
    assert listed.json() == []


async def test_tasks_need_a_bearer_token(api: httpx.AsyncClient, actor: Actor) -> None:
    refused = await api.get(f"/api/{actor.account_id}/tasks")

    problem_of(refused, 401, "unauthorized")
    assert refused.headers["WWW-Authenticate"] == "Bearer"


# --- edits and preconditions ----------------------------------------------------------------


async def test_put_replaces_what_it_sends_and_keeps_what_it_leaves_out(
    api: httpx.AsyncClient, container: Container, actor: Actor
) -> None:
    user = fixture_user(api, container, actor)
    task = await user.create(title="draft", description="notes", due_date="2026-06-01")
    url = f"{user.tasks}/{task['id']}"

    renamed = await api.put(url, json={"title": "final"}, headers=user.headers)
    completed = await api.put(
        url, json={"title": "final", "completed": True, "description": None}, headers=user.headers
    )

    assert renamed.json()["description"] == "notes"
    assert renamed.json()["due_date"] == "2026-06-01"
    assert completed.json()["completed"] is True
    assert completed.json()["description"] is None
    assert completed.json()["version"] == 3


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"title": ""},
        {"title": "   "},
        {"title": "x" * 201},
        {"title": "ok", "status": "completed"},
        {"title": "ok", "due_date": "tomorrow"},
        {"title": "ok", "completed": "maybe"},
    ],
)
async def test_put_refuses_bad_input(
    api: httpx.AsyncClient, container: Container, actor: Actor, body: dict[str, Any]
) -> None:
    user = fixture_user(api, container, actor)
    task = await user.create(title="keep me")

    refused = await api.put(f"{user.tasks}/{task['id']}", json=body, headers=user.headers)

    problem_of(refused, 422, "validation_error")


@pytest.mark.parametrize(
    "body", [{}, {"title": ""}, {"title": "ok", "priority": "high"}, {"title": "ok", "version": 1}]
)
async def test_create_refuses_bad_input(
    api: httpx.AsyncClient, container: Container, actor: Actor, body: dict[str, Any]
) -> None:
    user = fixture_user(api, container, actor)

    refused = await api.post(user.tasks, json=body, headers=user.headers)

    problem_of(refused, 422, "validation_error")
    assert await user.titles() == []


@pytest.mark.parametrize(
    "params", [{"status": "done"}, {"sort": "priority"}, {"order": "up"}, {"page": "2"}]
)
async def test_list_refuses_unknown_filters(
    api: httpx.AsyncClient, container: Container, actor: Actor, params: dict[str, str]
) -> None:
    user = fixture_user(api, container, actor)

    refused = await api.get(user.tasks, params=params, headers=user.headers)

    problem_of(refused, 422, "validation_error")


async def test_preconditions_are_honoured_when_sent(
    api: httpx.AsyncClient, container: Container, actor: Actor
) -> None:
    user = fixture_user(api, container, actor)
    task = await user.create(title="contested")
    url = f"{user.tasks}/{task['id']}"
    await api.put(url, json={"title": "first change"}, headers=user.headers)  # now version 2

    stale_etag = await api.put(
        url, json={"title": "lost"}, headers={**user.headers, "If-Match": '"1"'}
    )
    stale_body = await api.put(url, json={"title": "lost", "version": 1}, headers=user.headers)
    stale_toggle = await api.patch(f"{url}/complete", headers={**user.headers, "If-Match": '"1"'})
    stale_delete = await api.delete(url, headers={**user.headers, "If-Match": '"1"'})
    fresh = await api.put(url, json={"title": "won"}, headers={**user.headers, "If-Match": '"2"'})

    conflict = problem_of(stale_etag, 412, "version_conflict")
    assert conflict["current_version"] == 2
    assert conflict["requested_version"] == 1
    # A task, as the 404 of this API says too; not a "work item".
    assert conflict["resource"] == "task"
    assert conflict["detail"].startswith("task is at version 2, not 1")
    problem_of(stale_body, 409, "version_conflict")
    problem_of(stale_toggle, 412, "version_conflict")
    problem_of(stale_delete, 412, "version_conflict")
    assert fresh.status_code == 200
    assert fresh.json()["title"] == "won"
    assert fresh.headers["ETag"] == '"3"'
    bad = await api.put(url, json={"title": "x"}, headers={**user.headers, "If-Match": "3"})
    problem_of(bad, 422, "validation_error")


async def test_setting_completion_to_what_it_is_writes_nothing(
    api: httpx.AsyncClient, container: Container, actor: Actor
) -> None:
    user = fixture_user(api, container, actor)
    task = await user.create(title="idempotent")
    url = f"{user.tasks}/{task['id']}/complete"

    first = await api.patch(url, json={"completed": True}, headers=user.headers)
    second = await api.patch(url, json={"completed": True}, headers=user.headers)
    undone = await api.patch(url, json={"completed": False, "version": 2}, headers=user.headers)

    assert first.json()["version"] == second.json()["version"] == 2
    assert second.json()["completed"] is True
    assert undone.json()["completed"] is False
    assert undone.json()["version"] == 3
    bad = await api.patch(url, json={"completed": "yes"}, headers=user.headers)
    problem_of(bad, 422, "validation_error")


async def test_a_deleted_task_is_gone_everywhere(
    api: httpx.AsyncClient, container: Container, actor: Actor
) -> None:
    user = fixture_user(api, container, actor)
    task = await user.create(title="temporary")
    url = f"{user.tasks}/{task['id']}"

    deleted = await api.request("DELETE", url, json={"version": 1}, headers=user.headers)

    assert deleted.status_code == 204
    assert deleted.content == b""
    for method in ("GET", "PUT", "DELETE"):
        body = {"title": "back"} if method == "PUT" else None
        refused = await api.request(method, url, json=body, headers=user.headers)
        problem_of(refused, 404, "not_found")
    problem_of(await api.patch(f"{url}/complete", headers=user.headers), 404, "not_found")
    assert await user.titles() == []
    # Soft: the work item is still there for the ones who ask for deleted items.
    item = await api.get(
        f"/api/v1/work-items/{task['id']}", params={"include_deleted": True}, headers=user.headers
    )
    assert item.json()["deleted_at"] is not None


async def test_the_list_holds_every_task_beyond_one_page(
    api: httpx.AsyncClient, container: Container, actor: Actor
) -> None:
    user = fixture_user(api, container, actor)
    for n in range(230):
        await container.work_items.create(
            actor=actor,
            data=WorkItemCreate(item_type=ItemType.task, title=f"task {n:03}"),
        )

    titles = await user.titles(sort="title")

    assert titles == [f"task {n:03}" for n in range(230)]
