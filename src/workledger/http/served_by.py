"""Every answer says which layer served it: ``Workledger-Source``, with
``Workledger-As-Of`` on a fallback layer; a journaled write answers 202 Accepted with its
``Workledger-Journal-Id``. Under /api and on the web pages alike.

A read that met the database going away (a 503) is answered again from a fallback layer
when one can serve it (fallback/retry.py)."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workledger.fallback.outage import Outage
from workledger.fallback.provenance import Served, serving
from workledger.fallback.retry import read_with_fallback
from workledger.http.receive import body_once
from workledger.services.read_cache import ReadCache

# Paths with answers of their own: MCP (fallback/retry.py per tool call), the health
# check (which asks the database itself) and the static files.
OWN_ANSWERS = ("/mcp", "/health", "/static/")
READS = frozenset({"GET", "HEAD"})


class ServedBy:
    def __init__(self, app: ASGIApp, *, outage: Outage, read_cache: ReadCache) -> None:
        self.app = app
        self.outage = outage
        self.read_cache = read_cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(OWN_ANSWERS):
            await self.app(scope, receive, send)
            return
        with self.read_cache.one_request():  # the bearer and the answer read the token once
            await self._serve(scope, receive, send)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        api = scope["path"].startswith("/api/")
        if scope["method"] not in READS or not self.outage.has_layers:
            with serving() as served:
                await self.app(scope, receive, _telling(send, served, accepted=api))
            return

        async def attempt() -> tuple[_Held, bool]:
            with serving() as served:
                held = _Held(_telling(send, served, accepted=api))
                await self.app(scope, body_once(receive, b""), held)  # each try reads none
            return held, held.unavailable

        answer = await read_with_fallback(self.outage, attempt)
        await answer.release()


def _telling(send: Send, served: Served, *, accepted: bool) -> Send:
    """``send``, with the layer that served the answer; ``accepted``: a journaled write
    answers 202 (REST; a page's form answers as usual)."""

    async def tell(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            headers["Workledger-Source"] = served.source
            if served.as_of is not None:
                headers["Workledger-As-Of"] = served.as_of.isoformat(timespec="seconds")
            if served.journal_id is not None and message["status"] < 300:
                headers["Workledger-Journal-Id"] = served.journal_id
                if accepted:
                    message["status"] = 202  # applied when the database is back
        await send(message)

    return tell


class _Held:
    """Passes an answer on, except a 503, which it holds back: sent by ``release`` unless
    the read is asked again."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self._kept: list[Message] = []
        self.unavailable = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] == 503:
            self.unavailable = True
        if self.unavailable:
            self._kept.append(message)
        else:
            await self._send(message)

    async def release(self) -> None:
        for message in self._kept:
            await self._send(message)
