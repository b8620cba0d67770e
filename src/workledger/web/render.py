"""How a page is made: its templates, its headers, and what every page shows around its
content (the navigation, the person's ledgers, the ledger the page acts on).

A page under ``/ledgers/{ledger}/…`` acts on that ledger, and every link it renders stays
inside it: templates build their URLs on ``base``, the ledger's prefix ("" for the
unprefixed pages, which act on the default ledger).

A page that follows its ledger's change feed notes the feed's position (``seq``) before it
reads anything (``FOLLOWS_FEED``): its change stream resumes after it, so a change made
while the page was being made is told at once, and only its own ledger's changes are."""

from __future__ import annotations

import contextlib
from urllib.parse import parse_qsl, quote, urlencode

from fastapi import Depends, Request
from fastapi.responses import Response
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.templating import Jinja2Templates

from workledger.container import Container
from workledger.errors import StorageUnavailable, WorkledgerError, who
from workledger.fallback.provenance import fallback_notice, served_now
from workledger.http.deps import AppContainer
from workledger.models.work_item import short_id
from workledger.schemas.common import Actor, Role
from workledger.schemas.ledger import LedgerRead
from workledger.schemas.spend import MICROS, Spent, usd
from workledger.services.status import supported_formats
from workledger.web import session
from workledger.web.markdown import to_html
from workledger.web.session import PageActor
from workledger.web.tree import tree_html, waiting_html

LEDGER_PREFIX = "/ledgers/{ledger}"


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
templates.env.filters["markdown"] = to_html
templates.env.globals["who"] = who
templates.env.globals["tree_html"] = tree_html
templates.env.globals["waiting_html"] = waiting_html
templates.env.filters["usd"] = lambda micros: usd(micros / MICROS)
templates.env.filters["spent"] = lambda row: Spent.of(
    row.minutes, row.tokens, row.cost_micros
).said()


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


def base_of(request: Request) -> str:
    """The ledger prefix of this page's URL (``/ledgers/team``), or "" for a page of the
    default ledger. Only a ledger the person may see gives a prefix: the not-found page
    of another ledger links back to the default one."""
    ref = request.path_params.get("ledger")
    if ref is None or getattr(request.state, "actor", None) is None:
        return ""
    return ledger_base(str(ref))


def ledger_base(ref: str) -> str:
    """Where the pages of the ledger ``ref`` (its slug or id) are: ``/ledgers/team``."""
    return "/ledgers/" + quote(ref, safe="")


def local_path(request: Request) -> str:
    """This page's path within its ledger: ``/ledgers/team/items`` gives ``/items``."""
    path = request.url.path
    prefix = base_of(request)
    if prefix and path.startswith(prefix):
        path = path[len(prefix) :]
    elif request.path_params.get("ledger") is not None:  # a ledger not found
        path = "/" + path.split("/", 3)[3] if path.count("/") >= 3 else "/"
    return path or "/"


async def _note_seq(request: Request, container: AppContainer, actor: PageActor) -> None:
    """The ledger's change feed position as the page starts reading. None for a live
    region's refresh (its stream is the page's) and while the database is away (the feed
    is kept there only): the page then follows any commit, from its ``since`` token."""
    request.state.seq = None
    served = served_now()
    if request.headers.get("hx-request") or (served is not None and served.fallback):
        return
    with contextlib.suppress(StorageUnavailable):
        request.state.seq = await container.history.last_seq(actor=actor)


# A page route's dependency: the page's change stream follows its ledger's feed.
FOLLOWS_FEED = Depends(_note_seq)


def _stream(request: Request) -> str:
    """The page's change stream: after the feed position it was made at, else (not
    known) since the database's change token it was made at."""
    seq = getattr(request.state, "seq", None)
    since = getattr(request.state, "since", None)
    query = {"after": str(seq)} if seq is not None else {"since": since} if since else {}
    return f"{base_of(request)}/changes" + (f"?{urlencode(query)}" if query else "")


async def _ledgers(request: Request) -> list[LedgerRead]:
    """The signed-in person's ledgers, for the navigation's ledger select. Not for a
    live region's refresh (its navigation is not swapped), and never an error: during an
    outage the select offers the page's own ledger alone."""
    principal = getattr(request.state, "principal", None)
    if principal is None or request.headers.get("hx-request"):
        return []
    actor: Actor | None = getattr(request.state, "actor", None)
    only: list[LedgerRead] = []
    if actor is not None and actor.ledger is not None:
        role = Role(actor.role)
        only.append(LedgerRead(id=actor.ledger_id, slug=actor.ledger, name=actor.ledger, role=role))
    served = served_now()
    if served is not None and served.fallback:  # no more waiting on a database away
        return only
    container: Container = request.app.state.container
    try:
        return await container.ledgers.of(principal)
    except WorkledgerError:
        return only


async def render(
    request: Request, name: str, *, status_code: int = 200, **context: object
) -> Response:
    ledgers = await _ledgers(request)
    served = served_now()
    outage = fallback_notice(served) if served is not None and served.fallback else None
    context = {
        "csrf": session.csrf_token(request),
        "path": request.url.path,
        "here": local_path(request),
        "base": base_of(request),
        "actor": getattr(request.state, "actor", None),
        "ledgers": ledgers,
        "stream": _stream(request),
        "outage": outage,
    } | context
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    session.remember(request, response)
    response.headers.update(PAGE_HEADERS)
    return response


async def read_form(request: Request) -> dict[str, str]:
    """A posted form, once its CSRF token is this browser's (else CsrfRefused): every
    form of the pages changes something."""
    body = (await request.body()).decode(errors="replace")
    form = dict(parse_qsl(body, keep_blank_values=True))
    session.check_csrf(request, form.get(session.CSRF_FIELD))
    return form
