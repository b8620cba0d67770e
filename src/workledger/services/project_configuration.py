"""The project configuration: one per account, created with defaults on first read."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from workledger.db.types import utcnow
from workledger.db.unit_of_work import Database
from workledger.errors import NotFound, ValidationError
from workledger.fallback import commands
from workledger.fallback.journaling import journaled
from workledger.models import ProjectConfiguration
from workledger.repositories.project_configuration import ProjectConfigurationRepository
from workledger.repositories.work_item import WorkItemRepository
from workledger.schemas.common import Actor
from workledger.schemas.item_type import ItemType
from workledger.schemas.project_configuration import (
    HealthCheckStatus,
    ProjectConfigurationRead,
    ProjectConfigurationUpdate,
)
from workledger.services.common import Service, authored, check_version, stamp
from workledger.services.git_state import read_git_state
from workledger.services.health import HealthService

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

RESOURCE = "project configuration"


class ProjectConfigurationService(Service):
    def __init__(self, db: Database, *, repo_dir: Path, health: HealthService) -> None:
        super().__init__(db)
        self.repo_dir = repo_dir
        self.health = health

    async def get(self, *, actor: Actor) -> ProjectConfigurationRead:
        """The configuration, created with its defaults on the account's very first read:
        only that read writes, so the others take no write lock (SQLite's is per file)."""
        async with self.db.transaction(write=False) as session:
            found = await ProjectConfigurationRepository(session, ledger_id=actor.ledger_id).get()
        if found is None:
            async with self.db.transaction() as session:
                found = await _load_or_create(session, actor)
        return await self._read(found)

    async def current(self, *, actor: Actor, record_id: uuid.UUID) -> ProjectConfigurationRead:
        return await self.get(actor=actor)

    @journaled(commands.UpdateConfiguration)
    async def update(
        self, *, actor: Actor, data: ProjectConfigurationUpdate
    ) -> ProjectConfigurationRead:
        changes = data.changes()
        async with self.writing(actor) as session:
            configuration = await _load_or_create(session, actor, lock=True)
            check_version(configuration, requested=data.version, resource=RESOURCE)
            if changes.get("current_session_id") is not None:
                items = WorkItemRepository(session, ledger_id=actor.ledger_id)
                [session_id] = await items.resolve(
                    [changes["current_session_id"]], field="current_session_id"
                )
                await _check_session(items, session_id)
                changes["current_session_id"] = session_id
            for name, value in changes.items():
                setattr(configuration, name, dict(value) if name == "token_budgets" else value)
            stamp(configuration, actor, at=utcnow())
        # git is read after commit, so no database lock is held while it runs.
        return await self._read(configuration)

    async def _read(self, configuration: ProjectConfiguration) -> ProjectConfigurationRead:
        health = self.health.last_known()  # this answer has just read the database
        return ProjectConfigurationRead(
            id=configuration.id,
            active_context_type=configuration.active_context_type,
            default_token_budget=configuration.default_token_budget,
            token_budgets=configuration.token_budgets,
            current_session_id=configuration.current_session_id,
            git_state=await read_git_state(self.repo_dir),
            health_check_status=HealthCheckStatus(
                database=health.database, data_source=health.backend, checked_at=utcnow()
            ),
            version=configuration.version,
            created_at=configuration.created_at,
            updated_at=configuration.updated_at,
            created_by=configuration.created_by,
            updated_by=configuration.updated_by,
            created_by_account=configuration.created_by_account,
            updated_by_account=configuration.updated_by_account,
        )


async def _load_or_create(
    session: AsyncSession, actor: Actor, *, lock: bool = False
) -> ProjectConfiguration:

    repo = ProjectConfigurationRepository(session, ledger_id=actor.ledger_id)
    found = await repo.get(lock=lock)
    if found is None:
        await repo.add_if_missing(_defaults(actor))  # false: another caller just did
        found = await repo.get(lock=lock)
    if found is None:
        raise NotFound(RESOURCE, "of this account")
    return found


async def _check_session(items: WorkItemRepository, session_id: uuid.UUID) -> None:
    item = await items.get(session_id)
    if item is None:
        raise NotFound("work item", session_id, field="current_session_id")
    if item.item_type != ItemType.session.value:
        raise ValidationError.single(
            "current_session_id", f"must name a session work item, not a {item.item_type}"
        )


def _defaults(actor: Actor) -> ProjectConfiguration:
    now = utcnow()
    return ProjectConfiguration(
        ledger_id=actor.ledger_id,
        active_context_type="feature",
        default_token_budget=200_000,
        token_budgets={},
        version=1,
        created_at=now,
        updated_at=now,
        **authored(actor),
    )
