"""The few statements whose SQL differs by database, chosen once when the database is
built: one small class per dialect, as Prefect's server keeps them. Each imports its
SQLAlchemy dialect when first used: a command on SQLite never loads PostgreSQL's."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    ColumnElement,
    ColumnExpressionArgument,
    Insert,
    Table,
    bindparam,
    exists,
    func,
    select,
    true,
    type_coerce,
)

from workledger.errors import SettingsError

if TYPE_CHECKING:  # each dialect's INSERT is imported when first made (see above)
    from sqlalchemy.dialects import postgresql, sqlite

    # An INSERT that can say what to do ON CONFLICT, in either dialect.
    OnConflictInsert = sqlite.Insert | postgresql.Insert


class Dialect(ABC):
    name: ClassVar[str]
    # Whether rows can be locked (SELECT … FOR UPDATE) and sessions can hold advisory
    # locks; SQLite has one writer per file, which makes both unnecessary there.
    locks: ClassVar[bool]
    # One write transaction at a time per database: this process queues its writers.
    single_writer: ClassVar[bool]
    # Whether a read of one statement runs without BEGIN and COMMIT (two round trips
    # fewer). Not on SQLite: there they cost no round trip, and the engine emits BEGIN
    # itself (engine.py), which autocommit would leave open.
    autocommit_statements: ClassVar[bool]
    # Whether the database numbers a write's events itself as it commits (a deferred
    # trigger, migration 0008) rather than the app taking their numbers just before
    # (repositories/history.py).
    numbers_events: ClassVar[bool]

    @abstractmethod
    def json_array_contains(
        self, column: ColumnExpressionArgument[list[str]], value: str
    ) -> ColumnElement[bool]:
        """``value`` is an element of the JSON array in ``column``."""

    @abstractmethod
    def json_rows(self, *columns: Any) -> ColumnElement[Any]:
        """An aggregate: the group's ``columns`` as a JSON array of arrays (as text; a
        group of none may give NULL)."""

    @abstractmethod
    def insert(self, table: Table) -> OnConflictInsert:
        """An INSERT into ``table`` that can say what to do ON CONFLICT."""

    def upsert(
        self, table: Table, *, columns: list[str], conflict: list[str], increment: str
    ) -> Insert:
        """Insert a row of ``table`` (its ``columns`` bound by name at execution), or add
        the new row's ``increment`` to the existing row's. Made once and executed with
        parameters, it is compiled once; on a table, not a model, it skips the ORM."""
        stmt = self.insert(table).values({name: bindparam(name) for name in columns})
        return stmt.on_conflict_do_update(
            index_elements=conflict,
            set_={increment: table.c[increment] + stmt.excluded[increment]},
        )


class SQLite(Dialect):
    name = "sqlite"
    locks = False
    single_writer = True
    autocommit_statements = False
    numbers_events = False  # one writer at a time: nothing to gain

    def json_array_contains(
        self, column: ColumnExpressionArgument[list[str]], value: str
    ) -> ColumnElement[bool]:
        each = func.json_each(column).table_valued("value")
        return exists(select(true()).select_from(each).where(each.c.value == value))

    def json_rows(self, *columns: Any) -> ColumnElement[Any]:
        return func.json_group_array(func.json_array(*columns))

    def insert(self, table: Table) -> OnConflictInsert:
        from sqlalchemy.dialects.sqlite import insert

        return insert(table)


class PostgreSQL(Dialect):
    name = "postgresql"
    locks = True
    single_writer = False
    autocommit_statements = True
    numbers_events = True

    def json_array_contains(
        self, column: ColumnExpressionArgument[list[str]], value: str
    ) -> ColumnElement[bool]:
        from sqlalchemy.dialects.postgresql import JSONB

        return type_coerce(column, JSONB).contains([value])

    def json_rows(self, *columns: Any) -> ColumnElement[Any]:
        return func.json_agg(func.json_build_array(*columns))

    def insert(self, table: Table) -> OnConflictInsert:
        from sqlalchemy.dialects.postgresql import insert

        return insert(table)


_DIALECTS: dict[str, Dialect] = {d.name: d for d in (SQLite(), PostgreSQL())}


def dialect_named(name: str) -> Dialect:
    try:
        return _DIALECTS[name]
    except KeyError:
        raise SettingsError(
            f"WORKLEDGER_DATABASE_URL: workledger runs on SQLite or PostgreSQL, not {name}"
        ) from None


def like_prefix(value: str) -> str:
    """A LIKE pattern matching strings that start with ``value`` (escape char: backslash)."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def like_contains(value: str) -> str:
    return "%" + like_prefix(value)
