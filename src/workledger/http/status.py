"""The HTTP status of each domain error, for every door that answers over HTTP (the
REST problems, the web pages' inline refusals)."""

from __future__ import annotations

from workledger.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    StorageUnavailable,
    Unauthorized,
    ValidationError,
    VersionConflict,
    WorkledgerError,
)

STATUS: dict[type[WorkledgerError], int] = {
    ValidationError: 422,
    NotFound: 404,
    PreconditionFailed: 412,  # before its base class: the first match wins
    VersionConflict: 409,
    PreconditionRequired: 428,
    Conflict: 409,
    Unauthorized: 401,
    Forbidden: 403,
    StorageUnavailable: 503,
}


def http_status(exc: WorkledgerError) -> int:
    """The status that says what refused ``exc``'s request (500 for one not foreseen)."""
    return next((status for kind, status in STATUS.items() if isinstance(exc, kind)), 500)
