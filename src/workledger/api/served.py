"""Every answer under /api says which layer served it (CONTRACT §9): ``Workledger-Source``,
with ``Workledger-As-Of`` on a fallback layer; a journaled write answers 202 Accepted with
its ``Workledger-Journal-Id``.

A read that met the database going away (a 503) is answered again from the mirror when
that can serve it: only the first request to notice an outage would fail otherwise."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workledger.db.source import Served, serving
from workledger.db.unit_of_work import Database
from workledger.services.read_cache import ReadCache

API_PREFIX = "/api/"
READS = frozenset({"GET", "HEAD"})


class ServedBy:
    def __init__(self, app: ASGIApp, *, db: Database, cache: ReadCache) -> None:
        self.app = app
        self.db = db
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        with self.cache.one_request():  # the bearer and the answer read the token once
            await self._serve(scope, receive, send)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] in READS and self.db.mirror is not None:
            with serving() as served:
                unavailable = _Swallow503(send, served)
                await self.app(scope, _bodiless(receive), unavailable)
            if not unavailable.swallowed:
                return
            if not self.db.mirror_serves:
                await unavailable.replay()
                return
            receive = _bodiless(receive)
        with serving() as served:
            await self.app(scope, receive, _telling(send, served))


def _telling(send: Send, served: Served) -> Send:
    async def tell(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            headers["Workledger-Source"] = served.source
            if served.as_of is not None:
                headers["Workledger-As-Of"] = served.as_of.isoformat(timespec="seconds")
            if served.journal_id is not None and message["status"] < 300:
                headers["Workledger-Journal-Id"] = served.journal_id
                message["status"] = 202  # accepted: applied when the database is back
        await send(message)

    return tell


def _bodiless(receive: Receive) -> Receive:
    """A read's (empty) body, once per try; then what the client sends (its disconnect)."""
    given = False

    async def once() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": b"", "more_body": False}

    return once


class _Swallow503:
    """Passes an answer on, except a 503, which it keeps (to send only if no second try)."""

    def __init__(self, send: Send, served: Served) -> None:
        self._send = _telling(send, served)
        self._kept: list[Message] = []
        self.swallowed = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] == 503:
            self.swallowed = True
        if self.swallowed:
            self._kept.append(message)
        else:
            await self._send(message)

    async def replay(self) -> None:
        for message in self._kept:
            await self._send(message)
