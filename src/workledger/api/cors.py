"""CORS for browser front ends on other origins (``WORKLEDGER_CORS_ORIGINS``): the REST
API under /api, and /health, grant exactly the origins listed and nothing else. /mcp keeps
its own Origin check, and the web pages are this server's own origin.

Starlette's middleware does the protocol (preflights, ``Vary: Origin``, no grant for an
origin not listed); this says what a front end needs to send and to read."""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
REQUEST_HEADERS = ("Authorization", "Content-Type", "If-Match", "X-Client-Name")
# What a page reads: the version to send back, where a record was made, when to retry,
# and which layer answered (docs/reference/outage.md).
EXPOSED_HEADERS = (
    "ETag",
    "Location",
    "Retry-After",
    "Workledger-Source",
    "Workledger-As-Of",
    "Workledger-Journal-Id",
)
PREFLIGHT_CACHE_SECONDS = 600


class ApiCors:
    """CORS on /api and /health for ``origins``; every other path passes untouched. Bearer
    tokens travel in Authorization, so no credentials (cookies) are ever granted."""

    def __init__(self, app: ASGIApp, *, origins: tuple[str, ...]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_methods=METHODS,
            allow_headers=REQUEST_HEADERS,
            expose_headers=EXPOSED_HEADERS,
            allow_credentials=False,
            max_age=PREFLIGHT_CACHE_SECONDS,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path.startswith("/api/") or path == "/health":
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
