"""Ledgers, their members and roles (docs/reference/ledgers.md)."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import StringConstraints

from workledger.schemas.common import ReadModel, Role
from workledger.schemas.strict import StrictModel

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,39}$"
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
LedgerName = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]


class LedgerCreate(StrictModel):
    slug: Slug
    name: LedgerName | None = None


class LedgerRead(ReadModel):
    id: uuid.UUID
    slug: str
    name: str
    role: Role


class MemberRead(ReadModel):
    email: str
    role: Role


class MemberSet(StrictModel):
    role: Role
