"""The ASGI application served by ``workledger serve``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from workledger import __version__
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

    app = FastAPI(title="workledger", version=__version__, lifespan=lifespan)

    @app.get("/health", tags=["operations"])
    async def health() -> Health:
        """Whether the database answers: ``ok`` or ``degraded``."""
        return await container.health.check()

    app.mount("/", mcp.app)  # last: it serves /mcp and answers 404 for anything else
    return app
