"""The ASGI application ``workledger serve`` runs: the doors put together. REST under
/api, MCP at /mcp and the web pages at /, behind the middleware they share. This module
(and ``serve``, which runs it) is the only place that imports more than one door."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.routing import Route

from workledger import __version__
from workledger.api import rest
from workledger.api.cors import ApiCors
from workledger.api.limits import BodyLimit
from workledger.container import Container
from workledger.http import api_docs
from workledger.http.served_by import ServedBy
from workledger.mcp.server import http_app
from workledger.web import pages


def create_app(container: Container, *, host: str = "127.0.0.1", port: int = 8000) -> FastAPI:
    mcp = http_app(container, host=host, port=port)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # A mounted app's own lifespan never runs: the MCP session manager runs here.
        async with mcp.running(), container.running():
            archiver = asyncio.create_task(
                container.archive.run_daily(older_than_days=container.settings.archive_after_days),
                name="workledger-daily-archive",
            )
            try:
                yield
            finally:
                archiver.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await archiver
        await container.close()

    app = FastAPI(
        title="workledger",
        version=__version__,
        description="The project ledger for people and AI coding assistants.",
        lifespan=lifespan,
        # /docs is served with its assets from the package (http/api_docs.py); ReDoc,
        # which only a CDN would serve, is left out.
        docs_url=None,
        redoc_url=None,
    )
    app.state.container = container
    app.add_middleware(BodyLimit)
    app.add_middleware(ServedBy, outage=container.db.outage, read_cache=container.read_cache)
    if container.settings.cors_origins:
        # Outermost: preflights are answered first, and refusals (401, 413, …) are readable too.
        app.add_middleware(ApiCors, origins=container.settings.cors_origins)
    rest.install(app, container)
    api_docs.install(app)
    pages.install(app)
    # The MCP app routes /mcp itself (behind its bearer-token middleware); as a plain route
    # here, unknown paths and methods still get FastAPI's 404 and 405 problems.
    app.router.routes.append(Route("/mcp", endpoint=mcp.app))
    app.router.routes.append(Route("/mcp/ledgers/{ledger}", endpoint=mcp.in_ledger))
    return app
