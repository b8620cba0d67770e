"""Is the database answering? Used by ``GET /health`` and the configuration's health."""

from __future__ import annotations

from pydantic import BaseModel

from workledger.errors import StorageUnavailable
from workledger.repositories.health import ping
from workledger.services.common import Service


class Health(BaseModel):
    status: str
    database: str
    backend: str


class HealthService(Service):
    async def check(self) -> Health:
        try:
            async with self.db.transaction(write=False) as session:
                await ping(session)
        except (StorageUnavailable, OSError):
            return Health(status="degraded", database="unreachable", backend=self.db.dialect.name)
        return Health(status="ok", database="ok", backend=self.db.dialect.name)
