"""Resource subscriptions: a client subscribed to a resource is told when it changes,
read as that client and in the same ledger as the resource itself."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import anyio
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.mcpserver import Context
from mcp.server.subscriptions import InMemorySubscriptionBus, ListenHandler
from mcp.shared.exceptions import MCPError
from mcp.shared.subscriptions import ResourceUpdated, ServerEvent
from mcp.types import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    EmptyResult,
    SubscribeRequestParams,
    SubscriptionsListenRequestParams,
    SubscriptionsListenResult,
    UnsubscribeRequestParams,
)

from workledger.container import Container
from workledger.errors import NotFound, StorageUnavailable, WorkledgerError
from workledger.models.work_item import short_id
from workledger.schemas.common import Actor
from workledger.schemas.history import EventRead
from workledger.schemas.work_item import item_ref

if TYPE_CHECKING:
    from workledger.mcp.context import Serving

log = logging.getLogger(__name__)

STATUS_URI = "workledger://status"
WORK_ITEM_URI = "workledger://work-items/"
# How long a follower waits to read the change feed again after it could not (outage).
RETRY_SECONDS = 1.0
# Listen streams served at once (2026-07-28): each follows its ledger's change feed.
MAX_STREAMS = 256
_WATCH = "workledger/watch"

Notify = Callable[[str], Awaitable[None]]
Matches = Callable[[EventRead], bool]


def watched(uri: str) -> Matches | None:
    """Which events change the resource at ``uri``: every one for the status report, a
    work item's own (it named by id or short id) for that item; ``None`` for a URI the
    server does not serve."""
    if uri == STATUS_URI:
        return lambda event: True
    if not uri.startswith(WORK_ITEM_URI):
        return None
    try:
        named = item_ref(uri.removeprefix(WORK_ITEM_URI))
    except ValueError:
        return None
    if isinstance(named, uuid.UUID):
        return lambda event: event.record_type == "work_item" and event.record_id == named
    return lambda event: event.record_type == "work_item" and short_id(event.record_id) == named


class Watch:
    """The resources one client is subscribed to, and for each ledger they are in a
    follower of its change feed that tells the client (``notify``) which one changed.
    Events are read from the database: a change made through any door or process is
    seen, and while the database is away the follower waits and resumes where it was."""

    def __init__(self, services: Container, notify: Notify) -> None:
        self._services = services
        self._notify = notify
        self._uris: dict[str, tuple[uuid.UUID, Matches]] = {}
        self._followers: dict[uuid.UUID, asyncio.Task[None]] = {}

    async def add(self, uri: str, actor: Actor) -> None:
        """From now on, tell of changes to ``uri`` (a URI ``watched`` knows), read as
        ``actor``, in the actor's ledger."""
        matches = watched(uri)
        if matches is None:
            raise ValueError(f"not a resource of this server: {uri}")
        ledger = actor.ledger_id
        if ledger not in self._followers:
            after = await self._services.history.last_seq(actor=actor)
            if ledger not in self._followers:
                self._followers[ledger] = asyncio.create_task(self._follow(actor, after))
        self._uris[uri] = (ledger, matches)

    async def remove(self, uri: str) -> None:
        ledger, _ = self._uris.pop(uri, (None, None))
        if ledger is not None and all(kept != ledger for kept, _ in self._uris.values()):
            await _stopped(self._followers.pop(ledger, None))

    async def close(self) -> None:
        self._uris.clear()
        followers, self._followers = list(self._followers.values()), {}
        for follower in followers:
            await _stopped(follower)

    async def _follow(self, actor: Actor, after: int) -> None:
        history, wake = self._services.history, self._services.page_changes
        try:
            while True:
                events = history.follow(actor=actor, after=after, wake=wake)
                try:
                    async with contextlib.aclosing(events):  # stops listening at once
                        async for event in events:
                            after = event.seq
                            await self._told(actor.ledger_id, event)
                except StorageUnavailable:  # read on where it was once the database is back
                    await asyncio.sleep(RETRY_SECONDS)
        except Exception:
            log.exception("stopped telling a client of changes in ledger %s", actor.ledger)

    async def _told(self, ledger: uuid.UUID, event: EventRead) -> None:
        for uri, (watched_in, matches) in list(self._uris.items()):
            if watched_in == ledger and matches(event):
                await self._notify(uri)


async def _stopped(task: asyncio.Task[None] | None) -> None:
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class Subscriptions:
    """``resources/subscribe`` and ``resources/unsubscribe`` (the handshake protocol:
    ``notifications/resources/updated`` on the connection's own stream, for as long as it
    lasts), and ``subscriptions/listen`` (2026-07-28: the stream is the request's answer).
    A subscriber is told of changes in the ledger it reads the resource in, as the
    resource is read: nothing of another ledger ever reaches it."""

    def __init__(self) -> None:
        self._streams = 0

    def serve(self, server: Server[Serving]) -> None:
        server.add_request_handler("resources/subscribe", SubscribeRequestParams, self.subscribe)
        server.add_request_handler(
            "resources/unsubscribe", UnsubscribeRequestParams, self.unsubscribe
        )
        server.add_request_handler(
            "subscriptions/listen", SubscriptionsListenRequestParams, self.listen
        )

    async def subscribe(
        self, ctx: ServerRequestContext[Serving], params: SubscribeRequestParams
    ) -> EmptyResult:
        uri = str(params.uri)
        if watched(uri) is None:
            raise _unknown_resource(uri)
        actor = await _reader(ctx, uri)
        # The SDK gives a handler no public way to its connection, whose exit stack is
        # where per-connection cleanup belongs: the follower ends with the connection.
        connection = ctx.session._connection
        watch = connection.state.get(_WATCH)
        if not isinstance(watch, Watch):
            watch = connection.state[_WATCH] = Watch(
                ctx.lifespan_context.services, connection.send_resource_updated
            )
            connection.exit_stack.push_async_callback(watch.close)
        await watch.add(uri, actor)
        return EmptyResult()

    async def unsubscribe(
        self, ctx: ServerRequestContext[Serving], params: UnsubscribeRequestParams
    ) -> EmptyResult:
        watch = ctx.session._connection.state.get(_WATCH)
        if isinstance(watch, Watch):
            await watch.remove(str(params.uri))
        return EmptyResult()

    async def listen(
        self, ctx: ServerRequestContext[Serving], params: SubscriptionsListenRequestParams
    ) -> SubscriptionsListenResult:
        """One listen stream, whose resources are followed for as long as it is open; the
        acknowledgement names the URIs it will hear of (those this server serves)."""
        if self._streams >= MAX_STREAMS:
            raise MCPError(INTERNAL_ERROR, "Subscription limit reached")
        wanted = params.notifications.resource_subscriptions or []
        served = [uri for uri in wanted if watched(uri) is not None]
        stream = _Stream()
        watch = Watch(ctx.lifespan_context.services, stream.updated)
        self._streams += 1
        try:
            for uri in served:
                await watch.add(uri, await _reader(ctx, uri))
            honored = params.notifications.model_copy(
                update={"resource_subscriptions": served or None}
            )
            return await ListenHandler(stream)(
                ctx, params.model_copy(update={"notifications": honored})
            )
        finally:
            self._streams -= 1
            await watch.close()


class _Stream(InMemorySubscriptionBus):
    """One listen stream's events: an update waits until the stream listens."""

    def __init__(self) -> None:
        super().__init__()
        self._listening = anyio.Event()

    def subscribe(self, listener: Callable[[ServerEvent], None]) -> Callable[[], None]:
        unsubscribe = super().subscribe(listener)
        self._listening.set()
        return unsubscribe

    async def updated(self, uri: str) -> None:
        await self._listening.wait()
        await self.publish(ResourceUpdated(uri=uri))


async def _reader(ctx: ServerRequestContext[Serving], uri: str) -> Actor:
    """Who reads the resource at ``uri``, where, as reading it would: the status report
    without the request's context (the SDK passes none to it), a work item with it."""
    serving = ctx.lifespan_context
    try:
        if uri == STATUS_URI:
            return await serving.actor()
        return await serving.actor(Context(request_context=ctx))
    except WorkledgerError as exc:
        code = INVALID_PARAMS if isinstance(exc, NotFound) else INTERNAL_ERROR
        raise MCPError(code=code, message=exc.message, data=exc.to_dict()) from None


def _unknown_resource(uri: str) -> MCPError:
    return MCPError(code=INVALID_PARAMS, message=f"Unknown resource: {uri}", data={"uri": uri})
