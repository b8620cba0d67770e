"""Assertions the REST resource tests share."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from typing import Any

import httpx

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The problem+json body of a failed response, checked for the contract's shape."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert (body["status"], body["code"]) == (status, code)
    for key in ("type", "title", "detail"):
        assert isinstance(body[key], str), key
        assert body[key], key
    return body


def fields(body: dict[str, Any]) -> list[str]:
    return [error["field"] for error in body["errors"]]


def masked(response: httpx.Response) -> tuple[int, str, Any]:
    """What a caller can tell from an answer once the ids in it are hidden."""
    return (
        response.status_code,
        response.headers["content-type"],
        json.loads(UUID.sub("<id>", response.text)),
    )


# (method, url, httpx request options) for one id; options may hold extra "headers".
Requests = Callable[[str], list[tuple[str, str, dict[str, Any]]]]


async def assert_answers_like_a_random_id(
    api: httpx.AsyncClient, headers: dict[str, str], requests: Requests, theirs: str
) -> None:
    """Every request about another account's id gets exactly the answer the same
    request about an id that exists nowhere gets."""
    missing = str(uuid.uuid4())
    for (method, url, options), (_, missing_url, missing_options) in zip(
        requests(theirs), requests(missing), strict=True
    ):
        sent = {**headers, **options.pop("headers", {})}
        missing_options.pop("headers", None)
        answer = await api.request(method, url, headers=sent, **options)
        expected = await api.request(method, missing_url, headers=sent, **missing_options)
        assert answer.status_code < 500, answer.text
        assert masked(answer) == masked(expected), f"{method} {url} {options}"
