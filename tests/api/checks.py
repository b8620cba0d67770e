"""Assertions the REST resource tests share."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert body["status"] == status
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
