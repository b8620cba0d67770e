"""Is the database answering? Used by ``GET /health`` and the configuration's health."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, WithJsonSchema

from workledger.db.unit_of_work import Database
from workledger.errors import StorageUnavailable
from workledger.fallback.provenance import Source
from workledger.repositories.health import ping
from workledger.services.common import Service

# /health answers within 2 s (docs/reference/outage.md), however long the database takes to fail.
ANSWER_WITHIN_SECONDS = 1.5


# /health's schema names the sources inline, as it did before they were an enum.
_AS_BEFORE = WithJsonSchema(
    {"enum": [s.value for s in Source], "title": "Source", "type": "string"}
)


class JournalCounts(BaseModel):
    pending: int
    conflicts: int


class Health(BaseModel):
    status: str
    database: str
    backend: str
    # The layer reads come from now (docs/reference/outage.md), and what the journal holds.
    source: Annotated[Source, _AS_BEFORE]
    journal: JournalCounts
    # When the local mirror last matched the database (PostgreSQL only).
    mirror_synced_at: datetime | None = None


class HealthService(Service):
    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self._probe: asyncio.Task[bool] | None = None

    async def check(self) -> Health:
        """``ok`` when a ping succeeds within ``ANSWER_WITHIN_SECONDS`` and the database is
        not held to be away, else ``degraded``.

        A slow ping is left to finish (or fail) on its own rather than cancelled inside
        the driver, and concurrent checks share it: a monitor polling a frozen database
        starts one ping at a time."""
        if self._probe is None or self._probe.done():
            self._probe = asyncio.create_task(self._ping(), name="workledger-health-ping")
        try:
            answering = await asyncio.wait_for(asyncio.shield(self._probe), ANSWER_WITHIN_SECONDS)
        except TimeoutError:
            answering = False
        # A ping down a pooled connection that outlived an outage is no proof it is over:
        # until the outage path has confirmed the database back, it is not.
        return self._health(answering and not self.db.outage.away)

    def last_known(self) -> Health:
        """What the latest unit of work of this process found, without asking again: for
        answers that have just read the database anyway."""
        return self._health(not self.db.outage.away)

    def _health(self, answering: bool) -> Health:
        outage = self.db.outage
        journal, mirror = outage.journal, outage.mirror
        counts = JournalCounts(
            pending=journal.pending if journal else 0,
            conflicts=journal.conflicts if journal else 0,
        )
        return Health(
            status="ok" if answering else "degraded",
            database="ok" if answering else "unavailable",
            backend=self.db.dialect.name,
            source=outage.serving,
            journal=counts,
            mirror_synced_at=mirror.synced_at if mirror else None,
        )

    async def _ping(self) -> bool:
        try:
            async with self.db.transaction(write=False, layer="database") as session:
                await ping(session)
        except (StorageUnavailable, OSError):
            return False
        return True
