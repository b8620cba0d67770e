"""Declarative base, naming convention and the shared column mixins."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import uuid_utils.compat as uuid_utils
from sqlalchemy import ForeignKey, Integer, MetaData, String, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from workledger.db.types import JSONDocument, UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> uuid.UUID:
    """Time-ordered (v7) UUIDs: index-friendly, and sorting by id follows creation."""
    return uuid_utils.uuid7()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        uuid.UUID: Uuid(),
        datetime: UTCDateTime(),
        dict[str, Any]: JSONDocument,
        list[str]: JSONDocument,
    }


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, sort_order=-10)


class AccountScopedMixin:
    @declared_attr
    @classmethod
    def account_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(
            # No index of its own: each table's composite indexes lead with account_id.
            ForeignKey("accounts.id", ondelete="CASCADE"),
            sort_order=-9,
        )


class AuditMixin:
    """``version`` (optimistic locking, +1 per change) and who/when of create and update."""

    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))
    updated_by: Mapped[str] = mapped_column(String(100))

    @declared_attr.directive
    @classmethod
    def __mapper_args__(cls) -> dict[str, Any]:
        # The ORM adds "AND version = :loaded" to every UPDATE and bumps it: a last
        # line of defence behind the row lock the repositories take.
        return {"version_id_col": cls.version}


def enum_check(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"
