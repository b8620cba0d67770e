"""The OpenAPI document offers null exactly where the server takes it (issue 16): every
field of a change body that the document publishes as nullable is cleared by null, and
every other field is refused with 422 naming it. Generated clients and fuzzers believe
the document, so this reads it and tries each field on a fresh record."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.api.checks import fields, problem
from workledger.schemas.common import Actor

# Each change operation: how to make a record for it, as (its url, the body every change
# of it needs besides the field tried).
Made = tuple[str, dict[str, Any]]


async def _created(api: httpx.AsyncClient, headers: dict[str, str], url: str, **body: Any) -> str:
    made = await api.post(url, json=body, headers=headers)
    assert made.status_code == 201, made.text
    return f"{url}/{made.json()['id']}"


def _records(api: httpx.AsyncClient, headers: dict[str, str], actor: Actor) -> dict[str, Any]:
    tasks = f"/api/{actor.account_id}/tasks"
    work_items = "/api/v1/work-items"

    async def work_item() -> Made:
        project = await _created(api, headers, work_items, item_type="project", title="p")
        parent = project.rsplit("/", 1)[-1]
        return await _created(
            api, headers, work_items, item_type="task", title="t", parent_id=parent
        ), {}

    async def vendor() -> Made:
        return await _created(api, headers, "/api/v1/vendors", name=f"v{uuid.uuid4()}"), {}

    async def enhancement() -> Made:
        return await _created(api, headers, "/api/v1/enhancements", title="e"), {}

    async def configuration() -> Made:
        return "/api/v1/configuration", {}

    async def comment() -> Made:
        item = await _created(api, headers, work_items, item_type="task", title="t")
        said = await api.post(f"{item}/comments", json={"body": "said"}, headers=headers)
        assert said.status_code == 201, said.text
        return said.headers["location"], {"body": "said"}

    async def task() -> Made:
        return await _created(api, headers, tasks, title="t"), {"title": "t"}

    async def completion() -> Made:
        return f"{await _created(api, headers, tasks, title='t')}/complete", {}

    return {
        ("patch", "/api/v1/work-items/{item_id}"): work_item,
        ("patch", "/api/v1/vendors/{vendor_id}"): vendor,
        ("patch", "/api/v1/enhancements/{enhancement_id}"): enhancement,
        ("patch", "/api/v1/configuration"): configuration,
        ("patch", "/api/v1/comments/{comment_id}"): comment,
        ("put", "/api/{user_id}/tasks/{task_id}"): task,
        ("patch", "/api/{user_id}/tasks/{task_id}/complete"): completion,
    }


def _body_schema(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any]:
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    branches = [b for b in schema.get("anyOf", [schema]) if b != {"type": "null"}]
    name = branches[0]["$ref"].rsplit("/", 1)[-1]
    return dict(document["components"]["schemas"][name])


def _nullable(schema: dict[str, Any]) -> bool:
    return {"type": "null"} in schema.get("anyOf", []) or "null" in [schema.get("type")]


async def _etag(api: httpx.AsyncClient, url: str, headers: dict[str, str]) -> str:
    if url.endswith("/complete"):
        url = url.removesuffix("/complete")
    read = await api.get(url, headers=headers)
    assert read.status_code == 200, read.text
    return read.headers["etag"]


async def test_every_change_field_takes_null_exactly_where_the_document_says(
    app: FastAPI, api: httpx.AsyncClient, alice: dict[str, str], actor: Actor
) -> None:
    document = app.openapi()
    records: dict[Any, Callable[[], Awaitable[Made]]] = _records(api, alice, actor)
    tried = set()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method not in ("patch", "put") or "requestBody" not in operation:
                continue
            if path.startswith("/api/v1/ledgers/"):
                # The same routes as the unprefixed ones; a member's role is never null.
                continue
            assert (method, path) in records, f"no record to try {method.upper()} {path} on"
            tried.add((method, path))
            properties = _body_schema(document, operation)["properties"]
            for name, schema in properties.items():
                url, needed = await records[(method, path)]()
                headers = {**alice, "If-Match": await _etag(api, url, alice)}
                body = {**needed, name: None}
                answer = await api.request(method.upper(), url, json=body, headers=headers)
                where = f"{method.upper()} {path} {name}: null"
                if _nullable(schema):
                    assert answer.status_code == 200, f"{where} published, refused: {answer.text}"
                else:
                    assert fields(problem(answer, 422, "validation_error")) == [name], where
    assert tried == set(records)


@pytest.mark.parametrize("field", ["due_date", "assignee", "pr_number", "parent_id"])
async def test_a_published_null_really_clears_the_field(
    api: httpx.AsyncClient, alice: dict[str, str], field: str
) -> None:
    parent = await _created(api, alice, "/api/v1/work-items", item_type="project", title="p")
    values = {"due_date": "2027-01-01", "assignee": "me", "pr_number": 3}
    values["parent_id"] = parent.rsplit("/", 1)[-1]
    url = await _created(api, alice, "/api/v1/work-items", item_type="task", title="t", **values)
    cleared = await api.patch(url, json={"version": 1, field: None}, headers=alice)
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()[field] is None
