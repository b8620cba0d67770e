"""Shared schema pieces: the actor, the field types every record uses, the version a
change is made against, and the paging envelope. The input models they go into are in
``schemas/strict.py``.

The few types that JSON can only spell as strings (ids, dates and times, enum values) say
so here: they take their text form, in ISO 8601 for dates and times."""

from __future__ import annotations

import re
import typing
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    Strict,
    StringConstraints,
)
from pydantic_core import core_schema

from workledger.errors import Forbidden, who

T = TypeVar("T")

CLIENT_NAME_MAX = 100
MAX_PAGE = 100


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting, and where: the ledger every query is scoped to, the client and
    the person (account) to audit, and the role they (or their token) have there.

    Doors build it once per request (services/ledger.py resolves the role); services
    take it as given and never look membership up themselves."""

    ledger_id: uuid.UUID
    account_id: uuid.UUID
    client: str = "api"
    account: str | None = None  # the person's email
    role: str = "owner"
    ledger: str | None = None  # the ledger's slug
    bound: bool = False  # acting through an API token bound to this ledger

    def __post_init__(self) -> None:
        name = (self.client or "").strip()[:CLIENT_NAME_MAX] or "api"
        object.__setattr__(self, "client", name)

    def as_client(self, client: str) -> Actor:
        """The same person in the same ledger, through another client."""
        return replace(self, client=client)

    @property
    def who(self) -> str:
        """How people read who did it: ``ada@example.com via claude-code``."""
        return who(self.client, self.account)

    def may(self, role: str) -> bool:
        """Whether the actor's role is ``role`` or stronger."""
        return ROLES.index(self.role) <= ROLES.index(role)

    def require(self, role: str) -> None:
        """Forbidden unless the actor's role is ``role`` or stronger."""
        if not self.may(role):
            where = self.ledger or str(self.ledger_id)
            doing = "change records" if role == "member" else "manage the ledger"
            raise Forbidden(
                f"you are a {self.role} of ledger {where}: a {self.role} cannot {doing}",
                ledger=where,
                role=self.role,
            )


class WireEnum(StrEnum):
    """An enum whose JSON form is its value: strict models take the value's text."""

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        schema = dict(handler(source))
        schema["strict"] = False
        return typing.cast(core_schema.CoreSchema, schema)


class Role(WireEnum):
    """Strongest first: an owner may do everything (members and tokens included), a
    member read and write records, a reader only read."""

    owner = "owner"
    member = "member"
    reader = "reader"


# Strongest first; a role may do everything the roles after it may.
ROLES: tuple[str, ...] = tuple(role.value for role in Role)


def weaker(a: str, b: str | None) -> str:
    """The lower of two roles (``None``: no limit)."""
    return a if b is None else ROLES[max(ROLES.index(a), ROLES.index(b))]


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[Tt ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?(?:[Zz]|[+-][0-9]{2}:?[0-9]{2})?)?"
)


def _iso(pattern: re.Pattern[str], what: str) -> Any:
    def only_iso_text(value: Any) -> Any:
        # Not a number either: pydantic would read 0 or "0" as a Unix time.
        if isinstance(value, str) and not pattern.fullmatch(value):
            raise ValueError(f"must be an ISO 8601 {what}")
        if not isinstance(value, str | date):
            raise ValueError(f"must be an ISO 8601 {what}, as a string")
        return value

    return BeforeValidator(only_iso_text)


# Ids, dates and times as JSON carries them: as text.
Uuid = Annotated[uuid.UUID, Strict(False)]
IsoDate = Annotated[date, Strict(False), _iso(_ISO_DATE, "date (YYYY-MM-DD)")]
IsoDateTime = Annotated[
    datetime, Strict(False), _iso(_ISO_TIME, "date and time (YYYY-MM-DDTHH:MM:SSZ)")
]


class Priority(WireEnum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


PRIORITY_RANK = {Priority.critical: 0, Priority.high: 1, Priority.medium: 2, Priority.low: 3}


# Something besides whitespace, as JSON Schema's (ECMAScript's) \s counts it; Python's
# str.strip would also strip the control characters U+001C to U+001F.
NOT_BLANK_PATTERN = "[^\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
_NOT_BLANK = re.compile(NOT_BLANK_PATTERN)


def not_blank(value: str) -> str:
    if not _NOT_BLANK.search(value):
        raise ValueError("must not be blank")
    return value


NotBlank = (AfterValidator(not_blank), Field(json_schema_extra={"pattern": NOT_BLANK_PATTERN}))


def _lower(value: str) -> str:
    return value.lower()


Title = Annotated[str, StringConstraints(min_length=1, max_length=200), *NotBlank]
# A commit as git names it: in full (40 hex digits) or abbreviated to 7 or more.
CommitHash = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9a-fA-F]{7,40}$"),
    AfterValidator(_lower),
]
Quarter = Annotated[str, StringConstraints(pattern=r"^\d{4}-Q[1-4]$"), Field(examples=["2026-Q3"])]
Principles = Annotated[
    list[Annotated[str, StringConstraints(min_length=1, max_length=500)]], Field(max_length=50)
]
PageLimit = Annotated[int, Field(ge=1, le=MAX_PAGE)]
# For a list whose validation refuses an entry twice: the JSON schema says so.
UNIQUE_ITEMS: dict[str, Any] = {"uniqueItems": True}
# The cursors the server issues are URL-safe base64 without padding (repositories.paging).
CURSOR_PATTERN = r"^[A-Za-z0-9_-]{1,2000}$"


def _issued_cursor(value: str) -> str:
    if not re.fullmatch(CURSOR_PATTERN, value):
        raise ValueError("is not a cursor this server issued: pass next_cursor unchanged")
    return value


Cursor = Annotated[
    str, AfterValidator(_issued_cursor), Field(json_schema_extra={"pattern": CURSOR_PATTERN})
]
INT32_MAX = 2_147_483_647  # integer columns are 32-bit on PostgreSQL
PrNumber = Annotated[int, Field(ge=1, le=INT32_MAX)]
Count = Annotated[int, Field(ge=0, le=INT32_MAX)]
Version = Annotated[int, Field(ge=1, le=INT32_MAX, description="the version you read")]


class WithVersion(BaseModel):
    """Made against the version read: what the services apply (a stale one is refused)."""

    version: Version


class WithVersionOrIfMatch(BaseModel):
    """A REST body: the version read comes here or as If-Match (not as null)."""

    not_nullable: ClassVar[frozenset[str]] = frozenset({"version"})

    version: Version | None = Field(default=None, description="the version you read, or If-Match")


class ReadModel(BaseModel):
    """Output; frozen, so one answer can be shared (and cached) safely."""

    model_config = ConfigDict(from_attributes=True, frozen=True)


class Page(BaseModel, Generic[T]):
    """The list envelope: one page of items, the total, and how to get the next page.
    Frozen, so one page can be shared (and cached) safely."""

    model_config = ConfigDict(frozen=True)

    items: list[T]
    total_count: int
    has_more: bool
    next_cursor: str | None = None
