from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from workledger.schemas.common import ReadModel, Role
from workledger.schemas.strict import StrictModel

# What _plausible takes: something, an @, then a domain with a dot; no spaces.
EMAIL_PATTERN = r"^\s*[^ ]+@[^@ ]*\.[^@ ]*\s*$"
Email = Annotated[
    str,
    StringConstraints(min_length=3, max_length=320, strip_whitespace=True),
    Field(json_schema_extra={"pattern": EMAIL_PATTERN}),
]
Password = Annotated[str, StringConstraints(min_length=8, max_length=1024)]
TokenName = Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]


class AccountCreate(StrictModel):
    email: Email
    password: Password | None = None

    @field_validator("email")
    @classmethod
    def _plausible(cls, value: str) -> str:
        local, _, domain = value.rpartition("@")
        if not local or "." not in domain or " " in value:
            raise ValueError("must be an email address")
        return value.lower()


Secret = Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class Signup(AccountCreate):
    password: Password


class TokenRequest(StrictModel):
    """JSON credentials."""

    email: Annotated[str, StringConstraints(min_length=1, max_length=320)]
    password: Secret


class TokenForm(StrictModel):
    """The OAuth2 password grant (RFC 6749 §4.3); parameters it does not know are ignored,
    as §3.2 asks of a token endpoint."""

    model_config = ConfigDict(extra="ignore")

    grant_type: Literal["password"] = "password"
    username: Annotated[str, StringConstraints(min_length=1, max_length=320)]
    password: Secret


class AccountRead(ReadModel):
    id: uuid.UUID
    email: str


class ApiTokenCreate(StrictModel):
    name: TokenName
    # Bind the token to one ledger (a slug or an id), with at most the creator's role
    # there; a role alone binds it to the ledger the request acts on.
    ledger: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    role: Role | None = None


class ApiTokenRead(ReadModel):
    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    ledger: str | None = None  # the slug of the one ledger it serves (None: every one)
    role: Role | None = None


class ApiTokenCreated(BaseModel):
    """The one response that shows the secret."""

    id: uuid.UUID
    name: str
    token: str
    created_at: datetime
    ledger: str | None = None
    role: Role | None = None


class AccessToken(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="seconds")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a bearer token (or the command line) speaks for: an account, and for an API
    token bound to one ledger, that ledger and the most the token may do there."""

    account_id: uuid.UUID
    email: str
    default_ledger_id: uuid.UUID | None = None
    token_name: str | None = None
    token_ledger_id: uuid.UUID | None = None
    token_role: str | None = None
