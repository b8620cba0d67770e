"""The few statements whose SQL differs by dialect."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Insert, exists, func, select, true, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert


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


def upsert(
    model: Any,
    *,
    values: dict[str, Any],
    conflict: list[str],
    increment: str,
    dialect: str,
) -> Insert:
    """Insert a row of ``model``, or add ``values[increment]`` to the existing row's column."""
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(model).values(**values)
    column = getattr(model, increment)
    return stmt.on_conflict_do_update(
        index_elements=conflict, set_={increment: column + stmt.excluded[increment]}
    )
