"""The version a change was made against, and how it was given (docs/reference/rest.md).

A change names it as ``If-Match: "<version>"`` (stale: 412) or as ``version`` in the body
(stale: 409); with neither it is refused with 428, except where an endpoint honours a
precondition without requiring one (restore, the task endpoints)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header

from workledger.errors import (
    PreconditionFailed,
    PreconditionRequired,
    ValidationError,
    VersionConflict,
)
from workledger.schemas.common import WithVersion, WithVersionOrIfMatch
from workledger.schemas.strict import StrictModel

# A version of up to nine digits (a record would need a billion changes to pass it).
ETAG_PATTERN = r'^(?:W/)?"([1-9][0-9]{0,8})"$'
_ETAG = re.compile(ETAG_PATTERN)


def _etag_schema(schema: dict[str, Any]) -> None:
    """A header is never null: a string of the ETag's pattern, as it is checked."""
    schema.pop("anyOf", None)
    schema.update(type="string", pattern=ETAG_PATTERN)


U = TypeVar("U", bound=WithVersion)


@dataclass(frozen=True, slots=True)
class VersionPrecondition:
    """The If-Match header's version, if one was sent."""

    if_match: int | None

    def version(self, stated: int | None) -> int:
        """If-Match, else the body's ``version``; with neither, 428."""
        version = self.optional_version(stated)
        if version is None:
            raise PreconditionRequired(
                "this change needs a precondition: "
                'send If-Match: "<version>" or "version" in the body'
            )
        return version

    def optional_version(self, stated: int | None) -> int | None:
        return self.if_match if self.if_match is not None else stated

    def applied(self, patch: WithVersionOrIfMatch, to: type[U]) -> U:
        """The REST body ``patch`` as the services' update ``to``, with its version."""
        fields: dict[str, Any] = {name: getattr(patch, name) for name in patch.model_fields_set}
        fields["version"] = self.version(patch.version)
        return to.model_validate(fields)


async def _precondition(
    if_match: Annotated[
        str | None,
        Header(description='the ETag you read, e.g. "3"', json_schema_extra=_etag_schema),
    ] = None,
) -> AsyncIterator[VersionPrecondition]:
    version = None
    if if_match is not None:
        found = _ETAG.match(if_match.strip())
        if found is None:
            raise ValidationError.single("If-Match", 'must be an ETag like "3"')
        version = int(found.group(1))
    try:
        yield VersionPrecondition(version)
    except VersionConflict as stale:
        if version is None or isinstance(stale, PreconditionFailed):
            raise
        raise PreconditionFailed.of(stale) from None


Precondition = Annotated[VersionPrecondition, Depends(_precondition)]


class VersionBody(StrictModel, WithVersionOrIfMatch):
    """A body for a change without fields (DELETE): the version read, unless If-Match."""
