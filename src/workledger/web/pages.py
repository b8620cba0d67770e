"""The people's door (docs/reference/web.md): server-rendered pages at /, made live with htmx.

Every page reads through the same services as the other doors, as the signed-in person
acting under the client name "web". Pages are plain HTML forms and links, and read well
without JavaScript; htmx only keeps them current: a change signal over server-sent
events (GET /changes) makes each live region fetch its page again and morph into it,
leaving a form the person is filling in alone."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from sse_starlette import EventSourceResponse
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from workledger.container import Container
from workledger.errors import (
    NotFound,
    Unauthorized,
    ValidationError,
    VersionConflict,
    WorkledgerError,
)
from workledger.fallback.provenance import fallback_notice, served_now
from workledger.http.deps import AppContainer
from workledger.http.rate_limit import RateLimited, limiter_of
from workledger.models.work_item import short_id
from workledger.repositories.status import TreeRow
from workledger.schemas.common import Actor, Priority
from workledger.schemas.item_type import ItemType
from workledger.schemas.work_item import (
    ItemStatus,
    WorkItemListQuery,
    WorkItemRead,
    WorkItemSummary,
    WorkItemUpdate,
)
from workledger.services.status import supported_formats
from workledger.web import session
from workledger.web.git_links import repository_links
from workledger.web.session import PageActor

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(
    env=Environment(
        loader=PackageLoader("workledger", "templates/web"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
)
templates.env.filters["short_id"] = short_id
templates.env.filters["supported"] = supported_formats
# The sign-in form counts against the same budget as POST /api/v1/auth/token.
TOKEN_ROUTE = "POST /api/v1/auth/token"
READY_ON_OVERVIEW = 10
LIST_LIMIT = 100
EDITABLE = ("status", "priority", "title", "assignee", "tags")
BOARD_COLUMNS = ("active", "blocked", "completed")


# Only this site's own scripts, styles and connections, and never inside a frame: an
# injected tag would neither run nor load, on top of every text being escaped.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
        "base-uri 'self'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def render(request: Request, name: str, *, status_code: int = 200, **context: object) -> Response:
    since = getattr(request.state, "since", None)
    served = served_now()
    outage = fallback_notice(served) if served is not None and served.fallback else None
    context |= {
        "csrf": session.csrf_token(request),
        "path": request.url.path,
        "since": since,
        "outage": outage,
    }
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    session.remember(request, response)
    response.headers.update(PAGE_HEADERS)
    return response


async def _form(request: Request) -> dict[str, str]:
    body = (await request.body()).decode(errors="replace")
    return dict(parse_qsl(body, keep_blank_values=True))


# --- signing in and out ------------------------------------------------------------------


@router.get("/sign-in")
async def sign_in_page(request: Request, next: str = "/") -> Response:
    return render(request, "sign_in.html", next=session.local_path(next), email="")


@router.post("/sign-in")
async def sign_in(request: Request, container: AppContainer) -> Response:
    form = await _form(request)
    session.check_csrf(request, form.get(session.CSRF_FIELD))
    email, wanted = form.get("email", "").strip(), session.local_path(form.get("next"))
    address = request.client.host if request.client else "unknown"
    try:
        limiter_of(request).hit(f"{TOKEN_ROUTE} {address}")
        account = await container.accounts.authenticate(
            email=email, password=form.get("password", "")
        )
    except RateLimited as exc:
        response = render(
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
        return render(
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
    form = await _form(request)
    session.check_csrf(request, form.get(session.CSRF_FIELD))
    response = RedirectResponse("/sign-in", status_code=303)
    session.sign_out(response)
    return response


# --- overview ------------------------------------------------------------------------------


@router.get("/")
async def overview(request: Request, container: AppContainer, actor: PageActor) -> Response:
    data = await container.status.data(actor=actor)
    ready = await _list(container, actor, {"ready": True, "limit": READY_ON_OVERVIEW})
    vendors = sorted(data.vendors, key=lambda v: (v.status == "operational", v.name.lower()))
    links = await repository_links(container.settings.repo_dir)
    return render(request, "overview.html", data=data, vendors=vendors, ready=ready, links=links)


# --- work items ----------------------------------------------------------------------------


@dataclass
class Node:
    """One item of the tree page, with its children and what it waits on."""

    row: TreeRow
    waiting_on: list[TreeRow]
    children: list[Node] = field(default_factory=list)


FILTERS = ("type", "status", "tag", "search", "ready", "assignee")


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


@router.get("/items")
async def work_items(request: Request, container: AppContainer, actor: PageActor) -> Response:
    """The tree of every live item; with filters, the items that match, in a table."""
    filters = _filters(request)

    def page(status_code: int = 200, **shown: object) -> Response:
        return render(
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
        return page(tree=_tree(data.work_items, data.waiting_on))
    query: dict[str, object] = {"limit": LIST_LIMIT}
    query |= {("item_type" if k == "type" else k): v for k, v in filters.items()}
    if "ready" in query:
        query["ready"] = query["ready"] in ("1", "true", "on", "yes")
    try:
        found = await container.work_items.list(actor=actor, query=WorkItemListQuery.load(query))
    except ValidationError as exc:
        return page(422, errors=exc.errors)
    return page(items=found.items, total=found.total_count)


@router.get("/board")
async def board(request: Request, container: AppContainer, actor: PageActor) -> Response:
    """Every live item in a column by status."""
    data = await container.status.data(actor=actor)
    columns: dict[str, list[TreeRow]] = {status: [] for status in BOARD_COLUMNS}
    for row in data.work_items:
        columns[row.status].append(row)
    return render(request, "board.html", columns=columns, waiting_on=data.waiting_on)


@router.get("/ready")
async def ready(request: Request, container: AppContainer, actor: PageActor) -> Response:
    """What is ready to work on, best first."""
    page = await container.work_items.list(
        actor=actor, query=WorkItemListQuery.load({"ready": True, "limit": LIST_LIMIT})
    )
    return render(request, "ready.html", items=page.items, total=page.total_count)


# --- one item ------------------------------------------------------------------------------


@router.get("/items/{ref}")
async def item_page(
    request: Request, container: AppContainer, actor: PageActor, ref: str
) -> Response:
    try:
        item = await container.work_items.get(actor=actor, item_id=ref, include_deleted=True)
    except (NotFound, ValidationError):
        return render(request, "not_found.html", status_code=404, ref=ref)
    return await _item(request, container, actor, item)


@router.post("/items/{ref}")
async def save_item(
    request: Request, container: AppContainer, actor: PageActor, ref: str
) -> Response:
    """Save the fields of the item's form, made against the version the page showed."""
    form = await _form(request)
    session.check_csrf(request, form.get(session.CSRF_FIELD))
    # Only what the person changed: the form also carries the values it showed.
    sent = {
        name: form[name]
        for name in EDITABLE
        if name in form and form[name] != form.get(f"shown_{name}")
    }
    if not sent:
        return RedirectResponse(f"/items/{ref}", status_code=303)
    change: dict[str, object] = dict(sent)
    if "assignee" in sent:
        change["assignee"] = sent["assignee"].strip() or None
    if "tags" in sent:
        change["tags"] = [t.strip() for t in sent["tags"].split(",") if t.strip()]
    try:
        data = WorkItemUpdate.load({"version": form.get("version"), **change}, text=True)
        item = await container.work_items.update(actor=actor, item_id=ref, data=data)
    except VersionConflict:
        current = await container.work_items.get(actor=actor, item_id=ref, include_deleted=True)
        return await _item(
            request, container, actor, current, status_code=409, sent=sent, conflict=True
        )
    except NotFound:
        return render(request, "not_found.html", status_code=404, ref=ref)
    except WorkledgerError as exc:
        current = await container.work_items.get(actor=actor, item_id=ref, include_deleted=True)
        errors = getattr(exc, "errors", None) or [exc]
        return await _item(
            request, container, actor, current, status_code=422, sent=sent, errors=errors
        )
    return RedirectResponse(f"/items/{short_id(item.id)}?saved=1", status_code=303)


async def _item(
    request: Request,
    container: Container,
    actor: Actor,
    item: WorkItemRead,
    *,
    status_code: int = 200,
    sent: dict[str, str] | None = None,
    conflict: bool = False,
    errors: Sequence[object] | None = None,
) -> Response:
    linked = await container.work_items.dependencies(actor=actor, item=item)
    dependencies = [(edge, linked.get(edge.depends_on_id)) for edge in item.dependencies]
    shown = _form_values(item)
    return render(
        request,
        "item.html",
        status_code=status_code,
        item=item,
        dependencies=dependencies,
        links=await repository_links(container.settings.repo_dir),
        form=shown | (sent or {}),
        shown=shown,
        sent=sent or {},
        conflict=conflict,
        errors=errors or [],
        saved=request.query_params.get("saved") == "1" and sent is None,
        statuses=list(ItemStatus),
        priorities=list(Priority),
    )


def _form_values(item: WorkItemRead) -> dict[str, str]:
    return {
        "status": item.status.value,
        "priority": item.priority.value,
        "title": item.title,
        "assignee": item.assignee or "",
        "tags": ", ".join(item.tags),
    }


# --- live ----------------------------------------------------------------------------------


@router.get("/changes")
async def changes(
    request: Request, container: AppContainer, actor: PageActor, since: str | None = None
) -> Response:
    """Server-sent events: ``ledger-change`` whenever the database commits a change, and
    at once if it did since the page was made (its token, ``since``)."""
    hub = container.page_changes

    async def stream() -> AsyncIterator[dict[str, str]]:
        async for generation in hub.listen(since=since):
            yield {"event": "ledger-change", "data": str(generation)}

    return EventSourceResponse(stream(), ping=15)


# --- wiring --------------------------------------------------------------------------------


def install(app: FastAPI) -> None:
    """The pages, their static files, and what a refused visitor sees."""
    app.include_router(router)
    app.mount("/static", StaticFiles(packages=[("workledger.web", "static")]), name="static")

    @app.exception_handler(session.SignInRequired)
    async def _sign_in_first(request: Request, exc: session.SignInRequired) -> Response:
        if request.headers.get("hx-request"):  # a live region: send the whole page there
            return Response(status_code=204, headers={"HX-Redirect": exc.location})
        return RedirectResponse(exc.location, status_code=303)

    @app.exception_handler(session.CsrfRefused)
    async def _refused(request: Request, exc: session.CsrfRefused) -> Response:
        return render(request, "refused.html", status_code=403)
