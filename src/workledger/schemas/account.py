from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, field_validator

from workledger.schemas.common import ReadModel, StrictModel

Email = Annotated[str, StringConstraints(min_length=3, max_length=320, strip_whitespace=True)]
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


class AccountRead(ReadModel):
    id: uuid.UUID
    email: str


class ApiTokenCreate(StrictModel):
    name: TokenName


class ApiTokenRead(ReadModel):
    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiTokenCreated(BaseModel):
    """The one response that shows the secret."""

    id: uuid.UUID
    name: str
    token: str
    created_at: datetime


class AccessToken(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="seconds")
