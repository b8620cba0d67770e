"""Keyset (cursor) paging: opaque cursors that carry the last row's sort key."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, literal, tuple_

from workledger.errors import ValidationError

# Reads one value of a cursor back, refusing (ValueError) what the server never wrote.
Decoder = Callable[[object], object]


def _iso(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return value.hex
    return value


@dataclass(frozen=True)
class Keyset:
    """An ordering by ``columns`` (all in one direction) that pages by their last values."""

    name: str
    columns: Sequence[ColumnElement[Any]]
    decoders: Sequence[Decoder]
    descending: bool

    def order(self, stmt: Select[Any]) -> Select[Any]:
        return stmt.order_by(*(c.desc() if self.descending else c.asc() for c in self.columns))

    def after(self, stmt: Select[Any], cursor: str) -> Select[Any]:
        values = self.decode(cursor)
        row = tuple_(*self.columns)
        last = tuple_(*(literal(v, c.type) for v, c in zip(values, self.columns, strict=True)))
        return stmt.where(row < last if self.descending else row > last)

    def encode(self, values: Sequence[object]) -> str:
        payload = {"k": self.name, "d": self.descending, "v": [_iso(v) for v in values]}
        raw = json.dumps(payload, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode(self, cursor: str) -> list[object]:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            payload = json.loads(raw)
            if payload["k"] != self.name or payload["d"] != self.descending:
                raise ValidationError.single(
                    "cursor", "belongs to another sort order: keep sort and order unchanged"
                )
            values = payload["v"]
            if len(values) != len(self.decoders):
                raise ValueError
            return [decode(v) for decode, v in zip(self.decoders, values, strict=True)]
        except ValidationError:
            raise
        except (ValueError, KeyError, TypeError, binascii.Error, json.JSONDecodeError):
            raise ValidationError.single(
                "cursor", "is not a cursor this server issued: pass next_cursor unchanged"
            ) from None


def encode_offset(offset: int) -> str:
    """A cursor for short lists that page by position."""
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def decode_offset(cursor: str) -> int:
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        offset = payload["o"]
        if not isinstance(offset, int) or offset < 0:
            raise ValueError
        return offset
    except (ValueError, KeyError, TypeError, binascii.Error, json.JSONDecodeError):
        raise ValidationError.single(
            "cursor", "is not a cursor this server issued: pass next_cursor unchanged"
        ) from None


def as_uuid(value: object) -> uuid.UUID:
    return uuid.UUID(hex=str(value))


def as_datetime(value: object) -> datetime:
    return datetime.fromisoformat(str(value))


def as_date(value: object) -> date:
    return date.fromisoformat(str(value))


def as_str(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError
    return value


def as_int(value: object) -> int:
    if not isinstance(value, int):
        raise ValueError
    return value
