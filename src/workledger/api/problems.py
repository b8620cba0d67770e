"""Every failure as application/problem+json (RFC 9457), with the error codes of
docs/reference/errors.md."""

from __future__ import annotations

import logging
from collections.abc import Collection
from http import HTTPStatus
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from workledger.api.deps import body_names
from workledger.errors import (
    FieldError,
    StorageUnavailable,
    Unauthorized,
    ValidationError,
    WorkledgerError,
)
from workledger.http.status import http_status
from workledger.schemas.strict import unknown_field

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = 5


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_JSON


def problem(
    status: int, code: str, detail: str, *, headers: dict[str, str] | None = None, **extra: object
) -> ProblemResponse:
    body = {
        "type": f"/problems/{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return ProblemResponse(body, status_code=status, headers=headers)


def domain_problem(exc: WorkledgerError) -> ProblemResponse:
    status = http_status(exc)
    headers = {}
    if isinstance(exc, Unauthorized):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, StorageUnavailable):
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    details = {k: v for k, v in exc.details.items() if k not in {"code", "status"}}
    return problem(status, exc.code, exc.message, headers=headers or None, **details)


def install(app: FastAPI) -> None:
    """Route every failure through the problem renderer."""

    @app.exception_handler(WorkledgerError)
    async def _domain(request: Request, exc: WorkledgerError) -> ProblemResponse:
        return domain_problem(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> ProblemResponse:
        known = body_names(request)
        errors = [_field_error(error, known) for error in exc.errors()]
        if any(error.get("type") == "json_invalid" for error in exc.errors()):
            return problem(
                400,
                "validation_error",
                "the body is not valid JSON",
                errors=[{"field": "body", "message": "not valid JSON"}],
            )
        if _body_not_sent_as_json(request, exc):
            errors = [
                FieldError("body", "send the body as JSON, with Content-Type: application/json")
            ]
        refused = ValidationError(errors)
        return domain_problem(refused)

    def _body_not_sent_as_json(request: Request, exc: RequestValidationError) -> bool:
        """FastAPI reads a body without a JSON Content-Type as a string, then says it is
        not "a valid dictionary": the fix is the header."""
        content_type = request.headers.get("content-type", "")
        wrong_type = any(
            tuple(error.get("loc", ())) == ("body",)
            and error.get("type") in ("model_attributes_type", "dict_type")
            for error in exc.errors()
        )
        return wrong_type and "json" not in content_type

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> ProblemResponse:
        if exc.status_code == 400 and isinstance(exc.__cause__, RecursionError):
            # Valid JSON, nested deeper than Python's parser goes (about 1,000 levels).
            return problem(
                400,
                "validation_error",
                "the body nests deeper than the server reads (about 1,000 levels)",
                errors=[{"field": "body", "message": "nested too deeply"}],
            )
        if exc.status_code == 400:  # FastAPI's answer to a body it could not parse
            return problem(
                400,
                "validation_error",
                "the body is not valid JSON",
                errors=[{"field": "body", "message": "not valid JSON"}],
            )
        code = {
            401: "unauthorized",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
            413: "too_large",
            429: "rate_limited",
        }.get(exc.status_code, "http_error")
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return problem(exc.status_code, code, detail, headers=headers or None)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> ProblemResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem(500, "internal_error", "the server failed; the error was logged")


def _allowed_methods(request: Request) -> list[str]:
    """Every method the API offers for this path (Starlette names only the first route's):
    of the templates it matches, the most specific ones (``…/claim-next`` is that path,
    not an ``…/{item_id}``)."""
    matching = [
        (template.count("{"), operations)
        for template, operations in request.app.openapi()["paths"].items()
        if compile_path(template)[0].match(request.url.path)
    ]
    fewest = min((params for params, _ in matching), default=0)
    return sorted(
        {method.upper() for params, ops in matching if params == fewest for method in ops}
    )


# Where FastAPI found a value: the first part of an error's location, not a field name.
LOCATIONS = frozenset({"body", "query", "path", "header"})


def _field_error(error: ErrorDetails, known: Collection[str]) -> FieldError:
    parts = list(error.get("loc", ()))
    if parts and parts[0] in LOCATIONS:
        parts = parts[1:]  # a body field may itself be called "query"
    loc = [str(part) for part in parts if part != "[key]"]
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    if error.get("type") == "extra_forbidden" and loc:
        message = unknown_field(loc[-1], known if len(loc) == 1 else ())
    return FieldError(".".join(loc) or "body", message)
