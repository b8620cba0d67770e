"""The OpenAPI document is correct: schemathesis finds no server error and no response that
breaks the declared status codes, content types, headers or schemas (TARGETS.md, robustness),
and every error carries the code CONTRACT.md §8 gives its status.

One test per operation of the document and per database. The app runs in-process (ASGI)
as a fresh account with a valid bearer token, so the authorized paths are exercised;
``user_id`` in the task paths is that account's id. Each operation gets the examples and
coverage cases schemathesis derives from the schema, then a bounded number of generated
cases, valid and invalid alike. Generation is derandomized: the same document yields the
same cases on every run.

Schemathesis drives the app from an event loop of its own (a thread), so the app gets a
container of its own, created here but first used there, and the account is created on a
loop that is closed before the fuzzing starts. (``schemathesis.pytest.from_fixture``
would load the document from a fixture, but schemathesis 4.32 sets ``Node._nodeid``,
which pytest 9 no longer has; so the document is read once at import, from an app over
a scratch SQLite file that is never opened.)
"""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.python.asgi import shutdown_lifespans

from tests.conftest import make_settings
from workledger.api.app import create_app
from workledger.config import Settings
from workledger.container import Container

# Generated cases per operation, valid and invalid, on top of the examples and coverage cases.
MAX_EXAMPLES = 12
SEED = 20260401
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)


def fuzz_config(*, coverage: str) -> schemathesis.Config:
    """``coverage``: which coverage cases to send: "all" or only the "positive" ones."""
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {"mode": "all", "deterministic": True, "max-examples": MAX_EXAMPLES},
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
            # Generation must not feed on the server's answers (which hold fresh ids and
            # times): the same document then yields the same cases on every run.
            "phases": {
                "examples": {"extra-data-sources": {"responses": False}},
                "coverage": {
                    "extra-data-sources": {"responses": False},
                    "generation": {"mode": coverage},
                },
                "fuzzing": {
                    "extra-data-sources": {"responses": False},
                    "error-feedback": {"enabled": False},
                },
            },
            "warnings": False,
        }
    )


def openapi_document() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="workledger_openapi_") as home:
        settings_ = make_settings(f"sqlite+aiosqlite:///{home}/unused.db", Path(home))
        return create_app(Container.from_settings(settings_)).openapi()


DOCUMENT = openapi_document()
# The invalid coverage cases (most of all cases) are refused by the validation layer before
# any query: they run once, on SQLite. Values the validation lets through, where the two
# databases differ (32-bit integers, text limits, time zones), run on both.
every_case = schemathesis.openapi.from_dict(DOCUMENT, config=fuzz_config(coverage="all"))
valid_coverage = schemathesis.openapi.from_dict(DOCUMENT, config=fuzz_config(coverage="positive"))
HYPOTHESIS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@dataclass(frozen=True)
class Target:
    app: FastAPI
    account_id: uuid.UUID
    headers: dict[str, str]


async def _fresh_account(settings: Settings) -> tuple[uuid.UUID, str]:
    container = Container.from_settings(settings)
    try:
        account = await container.accounts.ensure(f"fuzz-{uuid.uuid4().hex[:8]}@example.com")
        return account.id, container.accounts.issue_access_token(account.id).access_token
    finally:
        await container.close()


@pytest.fixture
def target(database_url: str, tmp_path: Path) -> Iterator[Target]:
    settings_ = make_settings(database_url, tmp_path)
    account_id, token = asyncio.run(_fresh_account(settings_))
    app = create_app(Container.from_settings(settings_))
    try:
        yield Target(app, account_id, {"Authorization": f"Bearer {token}"})
    finally:
        shutdown_lifespans()  # runs the app's lifespan shutdown: the container closes


# CONTRACT §8: the error code each status may carry (429 is the auth routes' rate limit).
CODES = {
    400: {"validation_error"},
    401: {"unauthorized"},
    403: {"forbidden"},
    404: {"not_found"},
    409: {"version_conflict", "conflict"},
    412: {"version_conflict"},
    413: {"too_large"},
    422: {"validation_error"},
    428: {"precondition_required"},
    429: {"rate_limited"},
    503: {"storage_unavailable"},
}


def problem_follows_the_contract(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """Beyond the schema (whose ``code`` is any string): the contract's code for the
    status, the status repeated in the body, field errors for validation errors."""
    status = response.status_code
    if status < 400:
        return None
    body = response.json()
    assert body["status"] == status, f"body status {body['status']} on a {status} response"
    if status in CODES:
        assert body["code"] in CODES[status], f"code {body['code']!r} on a {status} response"
    if body["code"] == "validation_error":
        errors = body.get("errors")
        assert errors, "a validation_error without errors"
        assert all(set(error) == {"field", "message"} for error in errors), errors
    if status == 401:
        assert response.headers.get("www-authenticate", [""])[0].startswith("Bearer")
    return True


def call_and_validate(case: schemathesis.Case, target: Target) -> None:
    if case.path_parameters and "user_id" in case.path_parameters:
        case.path_parameters["user_id"] = str(target.account_id)
    case.call_and_validate(
        app=target.app, headers=target.headers, additional_checks=[problem_follows_the_contract]
    )


@pytest.mark.parametrize("backend", ["sqlite"])
@every_case.parametrize()
@HYPOTHESIS
def test_operation_conforms_on_sqlite(case: schemathesis.Case, target: Target) -> None:
    call_and_validate(case, target)


@pytest.mark.parametrize("backend", ["postgresql"])
@valid_coverage.parametrize()
@HYPOTHESIS
def test_operation_conforms_on_postgresql(case: schemathesis.Case, target: Target) -> None:
    call_and_validate(case, target)
