"""The few statements whose SQL differs by dialect."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists, func, select, true, type_coerce
from sqlalchemy.dialects.postgresql import JSONB


def json_array_contains(column: Any, value: str, dialect: str) -> ColumnElement[bool]:
    """``value`` is an element of the JSON array in ``column``."""
    if dialect == "postgresql":
        return type_coerce(column, JSONB).contains([value])
    each = func.json_each(column).table_valued("value")
    return exists(select(true()).select_from(each).where(each.c.value == value))


def like_prefix(value: str) -> str:
    """A LIKE pattern matching strings that start with ``value`` (escape char: backslash)."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def like_contains(value: str) -> str:
    return "%" + like_prefix(value)
