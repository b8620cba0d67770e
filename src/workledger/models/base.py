"""Declarative base, naming convention and the shared column mixins."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
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


def ids_ending_in(tails: Sequence[str]) -> list[uuid.UUID]:
    """Fresh v7 ids, ascending in the order given, the n-th ending in the n-th 8 hex digits.

    The report names work items by the last 8 hex digits of their ids; an import gives
    them those digits back, so the names people wrote down keep working, and gives them
    ids in document order, so siblings keep their order."""
    start_ms = new_id().int >> 80
    ids = []
    for n, tail in enumerate(tails):
        value = (start_ms + (n >> 12)) << 80  # 48-bit timestamp, ticking every 4096 ids
        value |= 0x7 << 76 | (n & 0xFFF) << 64  # version 7, then a counter (rand_a)
        value |= 0b10 << 62 | secrets.randbits(30) << 32 | int(tail, 16)  # variant, rand_b
        ids.append(uuid.UUID(int=value))
    return ids


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


class LedgerScopedMixin:
    @declared_attr
    @classmethod
    def ledger_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(
            # No index of its own: each table's composite indexes lead with ledger_id.
            ForeignKey("ledgers.id", ondelete="CASCADE"),
            sort_order=-9,
        )


class AuditMixin:
    """``version`` (optimistic locking, +1 per change) and who/when of create and update:
    the client (``created_by``) and the person (``created_by_account``, an email)."""

    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))
    updated_by: Mapped[str] = mapped_column(String(100))
    created_by_account: Mapped[str | None] = mapped_column(String(320))
    updated_by_account: Mapped[str | None] = mapped_column(String(320))

    @declared_attr.directive
    @classmethod
    def __mapper_args__(cls) -> dict[str, object]:
        # The ORM adds "AND version = :loaded" to every UPDATE and bumps it: a last
        # line of defence behind the row lock the repositories take.
        return {"version_id_col": cls.version}


def enum_check(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"
