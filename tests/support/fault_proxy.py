"""A TCP proxy between the app and PostgreSQL that a test can break on purpose.

Outage tests point the app at the proxy, never stop the machine's PostgreSQL, and make
the database look away in the three ways seen in production:

- ``refuse()``: new connections are closed at once (PostgreSQL down, or not yet up);
- ``freeze()``: bytes stop flowing both ways while every connection stays open (a frozen
  or unreachable server: the client waits, nothing fails by itself);
- ``reset()``: every open connection is cut (a restart, or terminated backends);
- ``refuse_new()``: new connections are closed at once while open ones keep flowing (a
  server shutting down lets its open sessions finish).

``heal()`` lets traffic flow again; frozen connections resume where they stopped.
``delay`` (seconds, 0 by default) holds back every chunk that way: a slow network.
``sent`` counts the chunks the app sent to the server: its round trips, near enough.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.engine import make_url

CHUNK = 65536


class FaultProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._refusing = False
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._links: set[asyncio.Task[None]] = set()
        self.delay = 0.0
        self.sent = 0

    def url_for(self, database_url: str) -> str:
        """``database_url`` with its host and port replaced by the proxy's."""
        return make_url(database_url).set(host="127.0.0.1", port=self.port).render_as_string(False)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        self.heal()
        self.reset()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        await asyncio.gather(*self._links, return_exceptions=True)

    def refuse(self) -> None:
        self._refusing = True
        self.reset()

    def refuse_new(self) -> None:
        self._refusing = True

    def freeze(self) -> None:
        self._flowing.clear()

    def reset(self) -> None:
        for link in list(self._links):
            link.cancel()

    def heal(self) -> None:
        self._refusing = False
        self._flowing.set()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._refusing:
            writer.close()
            return
        link = asyncio.current_task()
        assert link is not None
        self._links.add(link)
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            self._links.discard(link)
            writer.close()
            return
        try:
            await asyncio.gather(
                self._pipe(reader, up_writer, upstream=True), self._pipe(up_reader, writer)
            )
        except (asyncio.CancelledError, OSError):
            pass
        finally:
            self._links.discard(link)
            for end in (writer, up_writer):
                end.transport.abort()  # a reset, not a polite close

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, upstream: bool = False
    ) -> None:
        while True:
            data = await reader.read(CHUNK)
            if upstream and data:
                self.sent += 1
            await self._flowing.wait()
            if self.delay:
                await asyncio.sleep(self.delay)
            if not data:
                with contextlib.suppress(OSError):
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()


@asynccontextmanager
async def fault_proxy(database_url: str) -> AsyncIterator[tuple[FaultProxy, str]]:
    """A running proxy in front of ``database_url``'s server, and the URL through it."""
    url = make_url(database_url)
    proxy = FaultProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    try:
        yield proxy, proxy.url_for(database_url)
    finally:
        await proxy.close()
