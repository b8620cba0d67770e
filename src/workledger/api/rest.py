"""The REST door on an app: its error rendering, its routes and the health check."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from workledger.api import problems
from workledger.api.deps import refuse_unknown_query
from workledger.api.routes import (
    auth,
    configuration,
    conflicts,
    deployments,
    enhancements,
    status,
    tasks,
    vendors,
    work_items,
)
from workledger.container import Container
from workledger.services.health import Health

ROUTES = (
    auth,
    tasks,
    conflicts,
    work_items,
    vendors,
    deployments,
    enhancements,
    configuration,
    status,
)


def install(app: FastAPI, container: Container) -> None:
    problems.install(app)
    for routes in ROUTES:
        app.include_router(routes.router, dependencies=[Depends(refuse_unknown_query)])

    @app.get("/health", tags=["operations"])
    async def health() -> Health:
        """Whether the database answers: ``ok`` or ``degraded``."""
        return await container.health.check()
