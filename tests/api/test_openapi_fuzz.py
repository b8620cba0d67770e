"""The OpenAPI document is correct: schemathesis, with every check it has, finds no server
error, no response that breaks the declared status codes, content types, headers or
schemas (the robustness goal), no schema-valid request refused and no invalid one
taken, no authentication ignored, and every error carries the code docs/reference/errors.md gives
its status (issue 16).

One test per operation of the document and per database, against a real `workledger
serve` (the checks that probe without credentials or with other methods send requests of
their own), as a fresh account with a valid bearer token, so the authorized paths are
exercised; ``user_id`` in the task paths is that account's id. Each operation gets the
examples and coverage cases schemathesis derives from the schema, then a bounded number of
generated cases, valid and invalid alike. Then the stateful phase: bounded sequences of
calls chained by the ids the answers hold. Generation is derandomized: the same document
yields the same cases on every run. What the checks would flag by design is configured
below, by name, each with its reason; no check is turned off.

(``schemathesis.pytest.from_fixture`` would load the document from a fixture, but
schemathesis 4.32 sets ``Node._nodeid``, which pytest 9 no longer has; so the document is
read once at import, from an app over a scratch SQLite file that is never opened.)
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings

from tests.conftest import make_settings
from tests.support.servers import HttpServers
from workledger.app import create_app
from workledger.config import Settings
from workledger.container import Container

# Generated cases per operation, valid and invalid, on top of the examples and coverage cases.
MAX_EXAMPLES = 12
SEED = 20260401
# Every check schemathesis has, each told what this API answers by design.
ACCEPTED = ["2xx", "401", "403", "404", "409", "429"]
CHECK_SETTINGS: dict[str, Any] = {
    # A valid request may still name a version that is stale by now (412) or leave out the
    # version a change must name somewhere, in If-Match or in the body (428).
    "positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "412", "428"]},
}
# The fuzzer's false positives, by operation, each with why it is one: schema-valid
# requests that these operations refuse with 422, by a rule JSON Schema cannot state.
REFUSED_BY_RULE: dict[str, tuple[str, ...]] = {
    "a cursor is opaque: only a page's next_cursor is one, however a made-up one looks": (
        "GET /api/v1/work-items",
        "GET /api/v1/deployments",
        "GET /api/v1/enhancements",
        "GET /api/v1/work-items/{item_id}/history",
        "GET /api/v1/work-items/{item_id}/comments",
    ),
    "root_only and parent_id exclude each other": ("GET /api/v1/work-items",),
    "dependencies name each item once, whatever their dependency_type": (
        "POST /api/v1/work-items",
        "PATCH /api/v1/work-items/{item_id}",
    ),
    "test_results: passing + skipped must not exceed total": (
        "POST /api/v1/vendors",
        "PATCH /api/v1/vendors/{vendor_id}",
    ),
    "a work log entry gives minutes, tokens or cost_usd: at least one of them": (
        "POST /api/v1/work-items/{item_id}/work-log",
    ),
    "the coverage phase makes 200 distinct vendor names with U+0000 (allow-x00 aside)": (
        "POST /api/v1/deployments",
    ),
}
# The same operations, served under a named ledger.
REFUSED_BY_RULE = {
    why: names + tuple(name.replace(" /api/v1/", " /api/v1/ledgers/{ledger}/") for name in names)
    for why, names in REFUSED_BY_RULE.items()
}


def fuzz_config(*, coverage: str) -> schemathesis.Config:
    """``coverage``: which coverage cases to send: "all" or only the "positive" ones."""
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            # allow-x00: PostgreSQL cannot store U+0000, so every string refuses it (422
            # naming the field, tests/api cover it); JSON Schema has no way to say so.
            "generation": {
                "mode": "all",
                "deterministic": True,
                "max-examples": MAX_EXAMPLES,
                "allow-x00": False,
            },
            "checks": {"enabled": True, **CHECK_SETTINGS},
            "operations": OPERATIONS,
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


def _taking_if_match(document: dict[str, Any]) -> tuple[str, ...]:
    return tuple(
        f"{method.upper()} {path}"
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if any(p["name"] == "if-match" for p in operation.get("parameters", []))
    )


REFUSED_BY_RULE["the coverage phase cannot put an ETag's quotes in a header, and sends 0"] = (
    _taking_if_match(DOCUMENT)
)
OPERATIONS: list[dict[str, Any]] = [
    {
        "include-name": sorted({name for names in REFUSED_BY_RULE.values() for name in names}),
        "checks": {
            "positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "412", "422", "428"]}
        },
    },
]

# The invalid coverage cases (most of all cases) are refused by the validation layer before
# any query: they run once, on SQLite. Values the validation lets through, where the two
# databases differ (32-bit integers, text limits, time zones), run on both.
# Without GET /api/v1/changes/stream (and its twin under a named ledger): a valid request
# opens server-sent events that last until the client hangs up, and the checks read an
# answer to its end, so each case would wait forever. tests/api/test_changes_feed.py reads
# it with a streaming client, and covers its refusals (401, 404, 422).
ENDLESS = r"/changes/stream$"
every_case = schemathesis.openapi.from_dict(DOCUMENT, config=fuzz_config(coverage="all")).exclude(
    path_regex=ENDLESS
)
valid_coverage = schemathesis.openapi.from_dict(
    DOCUMENT, config=fuzz_config(coverage="positive")
).exclude(path_regex=ENDLESS)
HYPOTHESIS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@dataclass(frozen=True)
class Target:
    base_url: str
    account_id: uuid.UUID
    headers: dict[str, str]
    settings: Settings


async def _fresh_account(settings: Settings) -> tuple[uuid.UUID, str]:
    container = Container.from_settings(settings)
    try:
        account = await container.accounts.ensure(f"fuzz-{uuid.uuid4().hex[:8]}@example.com")
        return account.id, container.accounts.issue_access_token(account.id).access_token
    finally:
        await container.close()


@pytest.fixture(scope="module")
def fuzz_sqlite_url(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("fuzz-db") / "workledger.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def target(
    backend: str, request: pytest.FixtureRequest, http_servers: HttpServers, tmp_path: Path
) -> Target:
    """The real `workledger serve` of the test's database (the checks that probe without
    credentials, or with other methods, send requests of their own), acting as a fresh
    account of its own."""
    fixture = "fuzz_sqlite_url" if backend == "sqlite" else "database_url"
    url = str(request.getfixturevalue(fixture))
    server = http_servers.get(url)
    settings_ = make_settings(url, tmp_path)
    account_id, token = asyncio.run(_fresh_account(settings_))
    return Target(server.base_url, account_id, {"Authorization": f"Bearer {token}"}, settings_)


# the errors reference: the error code each status may carry (429 is the auth routes' rate limit).
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
        base_url=target.base_url,
        headers=target.headers,
        additional_checks=[problem_follows_the_contract],
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


# The stateful phase: sequences of calls chained by the ids the answers hold (create a
# work item, then read, change, claim and delete that one), on both databases.
SCENARIOS = 25
STEPS = 8
# Without sign-up and sign-in: their rate limit is the server's, not a scenario's, so a
# replayed scenario could meet a 429 the first run did not (each route is fuzzed above).
# Without the routes under /api/v1/ledgers/{ledger}/ too: the same handlers as the
# unprefixed routes the sequences walk, behind a path parameter no answer links to.
STATEFUL = valid_coverage.exclude(path_regex="^/api/v1/(auth|ledgers)/")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_sequences_of_calls_conform(target: Target) -> None:
    class Sequences(STATEFUL.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            """Each scenario as an account of its own: what one left behind would change
            the next one's answers, and Hypothesis replays a scenario to report it."""
            account_id, token = asyncio.run(_fresh_account(target.settings))
            self.account_id = account_id
            self.headers = {"Authorization": f"Bearer {token}"}

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            if case.path_parameters and "user_id" in case.path_parameters:
                case.path_parameters["user_id"] = str(self.account_id)
            return {"base_url": target.base_url, "headers": self.headers}

        def validate_response(
            self,
            response: schemathesis.Response,
            case: schemathesis.Case,
            additional_checks: list[Any] | None = None,
            **kwargs: Any,
        ) -> None:
            checks = [*(additional_checks or []), problem_follows_the_contract]
            super().validate_response(response, case, additional_checks=checks, **kwargs)

    Sequences.run(
        settings=settings(
            max_examples=SCENARIOS,
            stateful_step_count=STEPS,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            # A failure is reported as found: shrinking replays scenarios against a server
            # whose ids and times differ from the first run's.
            phases=(Phase.explicit, Phase.generate),
        )
    )
