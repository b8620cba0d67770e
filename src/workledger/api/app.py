"""The ASGI application served by ``workledger serve``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from workledger import __version__
from workledger.container import Container
from workledger.services.health import Health


def create_app(container: Container) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await container.close()

    app = FastAPI(title="workledger", version=__version__, lifespan=lifespan)

    @app.get("/health", tags=["operations"])
    async def health() -> Health:
        """Whether the database answers: ``ok`` or ``degraded``."""
        return await container.health.check()

    return app
