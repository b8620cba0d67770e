"""Alembic, driven from code: ``workledger db upgrade | downgrade REV | current``."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from workledger.errors import ValidationError

if TYPE_CHECKING:  # Alembic loads when a migration runs, not for every command
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# Alembic's plugins log their set-up whenever it loads: never worth a line of a log.
logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head", *, quiet: bool = False) -> None:
    """Migrate to ``revision``; Alembic says each step it runs, unless ``quiet`` (a copy
    of the database, such as the outage mirror, whose steps nobody needs to read)."""
    _known(revision)
    from alembic import command

    with _alembic_says(logging.WARNING if quiet else logging.INFO):
        await _migrating(engine, lambda sync: command.upgrade(alembic_config(sync), revision))


@contextmanager
def _alembic_says(level: int) -> Iterator[None]:
    """Alembic's log at ``level`` for a while."""
    alembic = logging.getLogger("alembic")
    was = alembic.level
    alembic.setLevel(level)
    try:
        yield
    finally:
        alembic.setLevel(was)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    from alembic import command

    _known(revision)
    await _migrating(engine, lambda sync: command.downgrade(alembic_config(sync), revision))


async def _migrating(engine: AsyncEngine, step: Callable[[Connection], None]) -> None:
    """``step`` in one transaction. SQLite changes a table by copying it and dropping the
    original, which with foreign keys on would delete (or null) every row referring to it:
    they are off while it runs (SQLite ignores the switch inside a transaction), checked
    before the commit, and the connection is then thrown away rather than pooled."""
    if engine.dialect.name != "sqlite":
        async with engine.begin() as conn:
            await conn.run_sync(step)
        return
    async with engine.connect() as conn:
        try:
            await conn.run_sync(_foreign_keys_off)
            async with conn.begin():
                await conn.run_sync(step)
                broken = (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all()
                if broken:
                    raise RuntimeError(f"the migration broke references: {broken[:5]}")
        finally:
            await conn.invalidate()


def _foreign_keys_off(sync: Connection) -> None:
    cursor = sync.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    cursor.execute("PRAGMA foreign_keys=OFF")
    cursor.close()


def revisions() -> list[str]:
    """Every revision, oldest first."""
    from alembic.script import ScriptDirectory

    walked = ScriptDirectory.from_config(alembic_config()).walk_revisions()
    return [script.revision for script in reversed(list(walked))]


def _known(revision: str) -> None:
    """A revision to move to: ``head``, ``base``, a relative step (``-1``, ``+1``) or one
    that exists; anything else is refused naming the ones there are."""
    known = revisions()
    if revision in ("head", "base", *known) or (
        revision.lstrip("+-").isdigit() and (revision[0] in "+-")
    ):
        return
    raise ValidationError.single(
        "revision", f"no revision {revision!r}: use head, base or one of {', '.join(known)}"
    )


async def current(engine: AsyncEngine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    async with engine.connect() as conn:
        return await conn.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


# The newest revision, named here so that a process can tell an up-to-date database
# without loading Alembic (tests/test_migrations.py holds it to Alembic's own head).
HEAD = "0009"


async def is_current(engine: AsyncEngine) -> bool:
    """Whether the database is at HEAD: one query, no Alembic."""
    try:
        async with engine.connect() as conn:
            found = await conn.execute(text("SELECT version_num FROM alembic_version"))
            return [row[0] for row in found] == [HEAD]
    except SQLAlchemyError:  # no table yet: a new database
        return False


def head() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
