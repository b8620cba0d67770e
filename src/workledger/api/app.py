"""The ASGI application served by ``workledger serve``: REST under /api, MCP at /mcp."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from workledger import __version__
from workledger.api import problems
from workledger.api.limits import BodyLimit
from workledger.api.routes import (
    auth,
    configuration,
    deployments,
    enhancements,
    status,
    tasks,
    vendors,
    work_items,
)
from workledger.container import Container
from workledger.mcp.server import http_app
from workledger.services.health import Health


def create_app(container: Container, *, host: str = "127.0.0.1", port: int = 8000) -> FastAPI:
    mcp = http_app(container, host=host, port=port)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # A mounted app's own lifespan never runs: the MCP session manager runs here.
        async with mcp.running():
            yield
        await container.close()

    app = FastAPI(
        title="workledger",
        version=__version__,
        description="The project ledger for people and AI coding assistants.",
        lifespan=lifespan,
    )
    app.state.container = container
    problems.install(app)
    app.add_middleware(BodyLimit)
    for routes in (
        auth,
        tasks,
        work_items,
        vendors,
        deployments,
        enhancements,
        configuration,
        status,
    ):
        app.include_router(routes.router)

    @app.get("/health", tags=["operations"])
    async def health() -> Health:
        """Whether the database answers: ``ok`` or ``degraded``."""
        return await container.health.check()

    app.mount("/", _mcp_or_not_found(mcp.app))  # last: whatever no route above took
    return app


def _mcp_or_not_found(mcp: ASGIApp) -> ASGIApp:
    """/mcp (and the auth metadata it publishes) go to MCP; anything else is a 404 problem."""

    async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if path == "/mcp" or path.startswith(("/mcp/", "/.well-known/")):
            await mcp(scope, receive, send)
            return
        response = problems.problem(404, "not_found", f"there is no {path}")
        await response(scope, receive, send)

    return dispatch
