"""What the OpenAPI document says about failures, so it matches what the server does."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, ConfigDict

from workledger.api.problems import PROBLEM_JSON


class Problem(BaseModel):
    """RFC 9457 problem details with the contract's error ``code``."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    code: str


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Declared error responses: always 400, 401, 413, 422 and 503 (and 500), plus
    ``statuses``."""
    every = sorted({400, 401, 413, 422, 500, 503, *statuses})
    return {
        status: {
            "model": Problem,
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in every
    }
