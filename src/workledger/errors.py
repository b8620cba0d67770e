"""The domain's error vocabulary. Each door renders these its own way (docs/reference/errors.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Self, TypeVar


def who(client: str, account: str | None = None) -> str:
    """Who did something, as every message and page names them: the person and the
    client (``ada@example.com via claude-code``), or the client alone when no account is
    known."""
    return client if not account else f"{account} via {client}"


class SettingsError(Exception):
    """A bad configuration value; the message is one line naming the variable."""


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str


class WorkledgerError(Exception):
    """Base of every error a client may see. ``code`` is its error code
    (docs/reference/errors.md)."""

    code: ClassVar[str] = "error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, object]:
        return {"error": self.code, "message": self.message, **self.details}


class ValidationError(WorkledgerError):
    code = "validation_error"

    def __init__(self, errors: Sequence[FieldError], message: str | None = None) -> None:
        self.errors = list(errors)
        summary = "; ".join(f"{e.field}: {e.message}" for e in self.errors)
        super().__init__(
            message or f"invalid input: {summary}",
            errors=[{"field": e.field, "message": e.message} for e in self.errors],
        )

    @classmethod
    def single(cls, field: str, message: str) -> ValidationError:
        return cls([FieldError(field, message)])


class NotFound(WorkledgerError):
    code = "not_found"

    def __init__(
        self, resource: str, identifier: object, *, hint: str = "", **details: object
    ) -> None:
        """``hint``: said after the message, e.g. "; did you mean 'Globex'?"."""
        super().__init__(f"{resource} {identifier} not found{hint}", resource=resource, **details)


V = TypeVar("V", bound="VersionConflict")


class VersionConflict(WorkledgerError):
    code = "version_conflict"

    def __init__(
        self,
        resource: str,
        *,
        current_version: int,
        requested_version: int,
        updated_by: str,
        updated_at: datetime,
        updated_by_account: str | None = None,
        record_id: object = None,
    ) -> None:
        super().__init__(
            f"{resource} is at version {current_version}, not {requested_version}: "
            f"it was changed by {who(updated_by, updated_by_account)} at {updated_at.isoformat()}. "
            "Re-read it, re-apply your change and retry with the current version.",
            resource=resource,
            current_version=current_version,
            requested_version=requested_version,
            updated_by=updated_by,
            updated_by_account=updated_by_account,
            updated_at=updated_at.isoformat(),
        )
        self.resource = resource
        self.current_version = current_version
        self.requested_version = requested_version
        self.updated_by = updated_by
        self.updated_by_account = updated_by_account
        self.updated_at = updated_at
        # Which record: the service that refused adds ``changes_since`` from its history.
        self.record_id = record_id

    def explain(self, changes_since: dict[str, list[object]]) -> None:
        """Add what changed from the requested version to the current one, merged, so
        that a client decides again without reading the record first."""
        self.details["changes_since"] = changes_since

    def of_resource(self, resource: str) -> Self:
        """The same conflict, naming the record as ``resource`` (a work item is a "task"
        in the todo API)."""
        return self.copied_as(type(self), resource)

    def copied_as(self, kind: type[V], resource: str) -> V:
        """This conflict as a ``kind``, naming the record ``resource``; what was added to
        it (``changes_since``) kept."""
        copy = kind(
            resource,
            current_version=self.current_version,
            requested_version=self.requested_version,
            updated_by=self.updated_by,
            updated_at=self.updated_at,
            updated_by_account=self.updated_by_account,
            record_id=self.record_id,
        )
        copy.details.update({k: v for k, v in self.details.items() if k not in copy.details})
        return copy


class PreconditionFailed(VersionConflict):
    """A stale version given as If-Match: the same conflict, which HTTP answers 412."""

    @classmethod
    def of(cls, stale: VersionConflict) -> PreconditionFailed:
        return stale.copied_as(cls, stale.resource)


class PreconditionRequired(WorkledgerError):
    code = "precondition_required"


class Conflict(WorkledgerError):
    """A rule refused the change: duplicate name, cycle, depth, live children."""

    code = "conflict"


class Unauthorized(WorkledgerError):
    code = "unauthorized"


class Forbidden(WorkledgerError):
    code = "forbidden"


class StorageUnavailable(WorkledgerError):
    code = "storage_unavailable"


class StorageUnreachable(StorageUnavailable):
    """No connection could be had: nothing of the unit of work reached the database."""
