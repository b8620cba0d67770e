"""What outage tests share: a real `workledger serve` behind a fault proxy with a REST
client, and a bounded wait for something the server does in the background."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from tests.support.fault_proxy import FaultProxy, fault_proxy
from tests.support.servers import HttpServer

# Guards against hanging, far above what the contract promises (about 2 s for the mirror
# to follow a commit, seconds for a replay); the figures live in bench/.
WAIT_SECONDS = 30


@asynccontextmanager
async def served_behind_proxy(
    database_url: str, home: Path, token: str, *, env: dict[str, str] | None = None
) -> AsyncIterator[tuple[FaultProxy, HttpServer, httpx.AsyncClient]]:
    """A served process whose database is behind a fault proxy, and a client acting with
    ``token``; the proxy is healed and the server stopped afterwards."""
    async with fault_proxy(database_url) as (proxy, proxied_url):
        server = HttpServer(proxied_url, home, env=env)
        try:
            await asyncio.to_thread(server.wait_until_up)
            headers = {"Authorization": f"Bearer {token}"}
            async with httpx.AsyncClient(
                base_url=server.base_url, headers=headers, timeout=WAIT_SECONDS
            ) as rest:
                yield proxy, server, rest
        finally:
            proxy.heal()
            await asyncio.to_thread(server.stop)


async def eventually(check: Callable[[], Awaitable[Any]], what: str) -> Any:
    """The first true answer of ``check``, asked every 0.1 s for up to WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        found = await check()
        if found:
            return found
        assert time.monotonic() < deadline, f"waited for {what}"
        await asyncio.sleep(0.1)


class Served:
    """A served process behind a fault proxy, and a REST client acting as one account;
    waits for what its /health says."""

    def __init__(self, proxy: FaultProxy, server: HttpServer, rest: httpx.AsyncClient) -> None:
        self.proxy = proxy
        self.server = server
        self.rest = rest

    async def health(self) -> dict[str, Any]:
        answer: dict[str, Any] = (await self.rest.get("/health")).json()
        return answer

    async def mirrored(self) -> None:
        """Wait until the mirror holds everything committed before now."""
        since = datetime.now().astimezone()
        await self.until(lambda h: _after(h["mirror_synced_at"], since), "the mirror to sync")

    async def copied(self) -> None:
        """Wait for the mirror's first copy (made at start): it holds what was committed
        before the server started."""
        await self.until(lambda h: h["mirror_synced_at"] is not None, "the first copy")

    async def noticed(self) -> None:
        """Wait until the server knows the database is away. (Until then a write may meet
        the outage first, and answer 503 with Retry-After: bounded failure.)"""
        await self.until(lambda h: h["status"] == "degraded", "the outage to be noticed")

    async def replayed(self) -> dict[str, Any]:
        """Wait until the database answers again and the journal has drained."""
        return await self.until(
            lambda h: h["status"] == "ok" and h["journal"]["pending"] == 0, "the replay"
        )

    async def until(self, done: Callable[[dict[str, Any]], bool], what: str) -> dict[str, Any]:
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            health = await self.health()
            if done(health):
                return health
            assert time.monotonic() < deadline, f"waited for {what}: {health}"
            await asyncio.sleep(0.1)


def _after(stamp: str | None, moment: datetime) -> bool:
    return stamp is not None and datetime.fromisoformat(stamp) > moment
