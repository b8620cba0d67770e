"""The people's door (docs/reference/web.md): server-rendered pages at /, made live with htmx.

Every page reads through the same services as the other doors, as the signed-in person
acting under the client name "web", in their default ledger at / and in any other of
theirs under /ledgers/{ledger}/ (install serves each page router at both). The item's page
is web/item.py, the members page web/members.py, what every page shares web/render.py.

Pages are plain HTML forms and links, and read well without JavaScript; htmx only keeps
them current: their ledger's change feed over server-sent events (GET /changes) makes
each live region fetch its page again and morph into it, leaving a form the person is
filling in alone."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import RedirectResponse, Response
from sse_starlette import EventSourceResponse
from starlette.staticfiles import StaticFiles

from workledger.container import Container
from workledger.errors import (
    StorageUnavailable,
    Unauthorized,
    ValidationError,
)
from workledger.http.deps import AppContainer
from workledger.http.rate_limit import RateLimited, limiter_of
from workledger.repositories.status import TreeRow
from workledger.schemas.common import Actor
from workledger.schemas.history import last_event_seq
from workledger.schemas.item_type import ItemType
from workledger.schemas.spend import Spent
from workledger.schemas.work_item import (
    ItemStatus,
    WorkItemListQuery,
    WorkItemSummary,
)
from workledger.web import board, item, item_forms, item_new, members, session
from workledger.web.git_links import repository_links
from workledger.web.render import (
    FOLLOWS_FEED,
    LEDGER_PREFIX,
    ledger_base,
    read_form,
    render,
)
from workledger.web.session import PageActor

# The sign-in form and the ledger select: the person's, not a ledger's.
router = APIRouter(include_in_schema=False)
# What a ledger holds: served at / for the default ledger and under /ledgers/{ledger}/.
ledger_router = APIRouter(include_in_schema=False)
# The sign-in form counts against the same budget as POST /api/v1/auth/token.
TOKEN_ROUTE = "POST /api/v1/auth/token"
READY_ON_OVERVIEW = 10
COSTLIEST_ON_OVERVIEW = 10
LIST_LIMIT = 100


# --- signing in and out ------------------------------------------------------------------


@router.get("/sign-in")
async def sign_in_page(request: Request, next: str = "/") -> Response:
    return await render(request, "sign_in.html", next=session.local_path(next), email="")


@router.post("/sign-in")
async def sign_in(request: Request, container: AppContainer) -> Response:
    form = await read_form(request)
    email, wanted = form.get("email", "").strip(), session.local_path(form.get("next"))
    address = request.client.host if request.client else "unknown"
    try:
        limiter_of(request).hit(f"{TOKEN_ROUTE} {address}")
        account = await container.accounts.authenticate(
            email=email, password=form.get("password", "")
        )
    except RateLimited as exc:
        response = await render(
            request,
            "sign_in.html",
            status_code=429,
            next=wanted,
            email=email,
            error=f"Too many attempts from your address: try again in {exc.retry_after} s.",
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except (Unauthorized, ValidationError):
        return await render(
            request,
            "sign_in.html",
            status_code=401,
            next=wanted,
            email=email,
            error="Wrong email or password.",
        )
    token = container.accounts.issue_access_token(account.id)
    response = RedirectResponse(wanted, status_code=303)
    session.sign_in(request, response, token.access_token, seconds=token.expires_in)
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    await read_form(request)  # only this browser's own pages sign it out
    response = RedirectResponse("/sign-in", status_code=303)
    session.sign_out(response)
    return response


# --- overview ------------------------------------------------------------------------------


@ledger_router.get("/", dependencies=[FOLLOWS_FEED])
async def overview(request: Request, container: AppContainer, actor: PageActor) -> Response:
    data = await container.status.data(actor=actor)
    ready = await _list(container, actor, {"ready": True, "limit": READY_ON_OVERVIEW})
    vendors = sorted(data.vendors, key=lambda v: (v.status == "operational", v.name.lower()))
    links = await repository_links(container.settings.repo_dir)
    return await render(
        request,
        "overview.html",
        data=data,
        vendors=vendors,
        ready=ready,
        links=links,
        costliest=_costliest(data.work_items),
    )


def _costliest(rows: list[TreeRow]) -> list[tuple[TreeRow, Spent]]:
    """The items that cost the most (then took the most tokens, then time), with what
    was spent on each."""
    spent = [row for row in rows if row.spent_minutes or row.spent_tokens or row.spent_cost_micros]
    spent.sort(key=lambda r: (-r.spent_cost_micros, -r.spent_tokens, -r.spent_minutes))
    return [(row, Spent.on(row)) for row in spent[:COSTLIEST_ON_OVERVIEW]]


# --- work items ----------------------------------------------------------------------------


@dataclass
class Node:
    """One item of the tree page, with its children and what it waits on."""

    row: TreeRow
    waiting_on: list[TreeRow]
    children: list[Node] = field(default_factory=list)


FILTERS = ("type", "status", "tag", "search", "ready", "assignee", "parent")
# The filters' names in the list query, where the page's differ.
QUERY_NAMES = {"type": "item_type", "parent": "parent_id"}


def _filters(request: Request) -> dict[str, str]:
    """The filters of the work items page that are set, by their names in the URL."""
    return {
        name: value.strip()
        for name in FILTERS
        if (value := request.query_params.get(name)) and value.strip()
    }


def _tree(rows: list[TreeRow], waiting_on: dict[uuid.UUID, list[TreeRow]]) -> list[Node]:
    """Nest the rows (in tree order, with their depth) under their parents."""
    roots: list[Node] = []
    open_levels: list[Node] = []
    for row in rows:
        node = Node(row, waiting_on.get(row.id, []))
        del open_levels[row.depth :]
        (open_levels[-1].children if open_levels else roots).append(node)
        open_levels.append(node)
    return roots


async def _list(
    container: Container, actor: Actor, query: dict[str, object]
) -> list[WorkItemSummary]:
    page = await container.work_items.list(actor=actor, query=WorkItemListQuery.load(query))
    return list(page.items)


@ledger_router.get("/items", dependencies=[FOLLOWS_FEED])
async def work_items(request: Request, container: AppContainer, actor: PageActor) -> Response:
    """The tree of every live item; with filters, the items that match, in a table."""
    filters = _filters(request)

    async def page(status_code: int = 200, **shown: object) -> Response:
        return await render(
            request,
            "items.html",
            status_code=status_code,
            filters=filters,
            types=list(ItemType),
            statuses=list(ItemStatus),
            **shown,
        )

    if not filters:
        data = await container.status.data(actor=actor)
        return await page(tree=_tree(data.work_items, data.waiting_on))
    query: dict[str, object] = {"limit": LIST_LIMIT}
    query |= {QUERY_NAMES.get(k, k): v for k, v in filters.items()}
    if "ready" in query:
        query["ready"] = query["ready"] in ("1", "true", "on", "yes")
    try:
        found = await container.work_items.list(actor=actor, query=WorkItemListQuery.load(query))
    except ValidationError as exc:
        return await page(422, errors=exc.errors)
    return await page(items=found.items, total=found.total_count)


@ledger_router.get("/ready", dependencies=[FOLLOWS_FEED])
async def ready(request: Request, container: AppContainer, actor: PageActor) -> Response:
    """What is ready to work on, best first."""
    page = await container.work_items.list(
        actor=actor, query=WorkItemListQuery.load({"ready": True, "limit": LIST_LIMIT})
    )
    return await render(request, "ready.html", items=page.items, total=page.total_count)


# --- live ----------------------------------------------------------------------------------


# While the feed cannot be read, how long a page's stream waits before it tries again.
FEED_RETRY_SECONDS = 2.0


@ledger_router.get("/changes")
async def changes(
    request: Request,
    container: AppContainer,
    actor: PageActor,
    after: Annotated[int | None, Query(ge=0)] = None,
    since: str | None = None,
) -> Response:
    """Server-sent events: ``ledger-change`` (its ``id`` the event's ``seq``) for each
    change to the page's ledger after ``after``, the feed position the page was made at,
    or after ``Last-Event-ID`` when the browser reconnects. While the database is away
    the feed cannot be read: the stream then says "changed", and again at each commit the
    database signals, trying the feed again every few seconds. A page made without a
    position (``since``: the database's change token then) has that signal alone."""
    resumed = _last_event_id(request)
    if after is not None and resumed is not None:
        after = max(after, resumed)

    async def stream() -> AsyncIterator[dict[str, str]]:
        seen = after
        while seen is not None:
            feed = container.history.follow(actor=actor, after=seen, wake=container.page_changes)
            try:
                async with contextlib.aclosing(feed):
                    async for event in feed:
                        seen = event.seq
                        yield {"event": "ledger-change", "id": str(seen), "data": str(seen)}
            except StorageUnavailable:  # what committed meanwhile is unknown: refresh
                yield {"event": "ledger-change", "data": "feed unavailable"}
                # Then each commit the database signals, until the feed answers again.
                async with container.page_changes.subscribe() as committed:
                    if await committed.wait(at_most=FEED_RETRY_SECONDS):
                        yield {"event": "ledger-change", "data": "changed"}
        signal = container.page_changes.listen(since=since)
        async with contextlib.aclosing(signal):
            async for generation in signal:
                yield {"event": "ledger-change", "data": str(generation)}

    return EventSourceResponse(stream(), ping=15)


def _last_event_id(request: Request) -> int | None:
    """The last ``seq`` a reconnecting browser saw, if it says one (a page's own stream
    passes over one it cannot read)."""
    try:
        return last_event_seq(request.headers.get("last-event-id"))
    except ValueError:
        return None


# --- the ledger select ----------------------------------------------------------------------


@router.get("/ledger")
async def switch_ledger(request: Request, ledger: str = "", page: str = "/") -> Response:
    """The navigation's ledger select (a GET form): the same page in the ledger chosen.
    An item belongs to one ledger only: from an item's page, the other's work items."""
    page = session.local_path(page)
    if page.startswith("/items/"):
        page = "/items"
    if not ledger:
        return RedirectResponse(page, status_code=303)
    return RedirectResponse(f"{ledger_base(ledger)}{page}", status_code=303)


# --- wiring --------------------------------------------------------------------------------


def install(app: FastAPI) -> None:
    """The pages, their static files, and what a refused visitor sees."""
    app.include_router(router)
    routers = (ledger_router, board.router, item_new.router, item.router, item_forms.router)
    for routes in (*routers, members.router):
        app.include_router(routes)
        app.include_router(routes, prefix=LEDGER_PREFIX)
    app.mount("/static", StaticFiles(packages=[("workledger.web", "static")]), name="static")

    @app.exception_handler(session.SignInRequired)
    async def _sign_in_first(request: Request, exc: session.SignInRequired) -> Response:
        if request.headers.get("hx-request"):  # a live region: send the whole page there
            return Response(status_code=204, headers={"HX-Redirect": exc.location})
        return RedirectResponse(exc.location, status_code=303)

    @app.exception_handler(session.LedgerNotFound)
    async def _no_such_ledger(request: Request, exc: session.LedgerNotFound) -> Response:
        if request.headers.get("hx-request"):  # removed from it: the whole page says so
            return Response(status_code=204, headers={"HX-Redirect": request.url.path})
        return await render(request, "not_found.html", status_code=404, ref=exc.ref, what="ledger")

    @app.exception_handler(session.CsrfRefused)
    async def _refused(request: Request, exc: session.CsrfRefused) -> Response:
        return await render(request, "refused.html", status_code=403)
