"""The REST door on an app: its error rendering, its routes and the health check."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute

from workledger.api import problems
from workledger.api.deps import ledger_ref, refuse_unknown_query
from workledger.api.openapi import errors
from workledger.api.routes import (
    auth,
    configuration,
    conflicts,
    deployments,
    enhancements,
    history,
    ledgers,
    status,
    tasks,
    vendors,
    work_items,
)
from workledger.container import Container
from workledger.services.health import Health

ROUTES = (auth, tasks, ledgers)
# What a ledger holds: served under /api/v1/ledgers/{ledger}/…, and under /api/v1/… for
# the token's ledger, else the account's default.
LEDGER_ROUTES = (
    conflicts,
    work_items,
    history,
    vendors,
    deployments,
    enhancements,
    configuration,
    status,
)
IN_LEDGER = "/api/v1/ledgers/{ledger}"


def install(app: FastAPI, container: Container) -> None:
    problems.install(app)
    checked = [Depends(refuse_unknown_query)]
    for routes in ROUTES:
        app.include_router(routes.router, dependencies=checked)
    for routes in LEDGER_ROUTES:
        app.include_router(
            routes.router, prefix="/api/v1", dependencies=checked, responses=errors(403)
        )
    for routes in LEDGER_ROUTES:
        app.include_router(
            routes.router,
            prefix=IN_LEDGER,
            dependencies=[Depends(ledger_ref), *checked],
            generate_unique_id_function=_in_ledger,
            responses=errors(403, 404),
        )

    @app.get("/health", tags=["operations"])
    async def health() -> Health:
        """Whether the database answers: ``ok`` or ``degraded``."""
        return await container.health.check()


def _in_ledger(route: APIRoute) -> str:
    """The operation id of a route served under a named ledger."""
    return f"{route.name}_in_ledger"
