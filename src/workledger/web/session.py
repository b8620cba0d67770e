"""Who a page is for, and the proof that a change came from one of our pages.

A signed-in person holds a session cookie carrying an access token, the same kind the
API issues (HttpOnly, SameSite=Lax, Secure over https). Every change also carries a CSRF
token: a random value kept in a cookie of its own and repeated in the form (or in the
X-CSRF-Token header), which another site can neither read nor set."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request, Response

from workledger.errors import NotFound, Unauthorized
from workledger.http.deps import AppContainer
from workledger.schemas.common import Actor

SESSION_COOKIE = "workledger_session"
CSRF_COOKIE = "workledger_csrf"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
# The client name a person's changes are recorded under.
WEB_CLIENT = "web"


class SignInRequired(Exception):
    """A page asked for without a (valid) session: the sign-in page, then back here."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path

    @property
    def location(self) -> str:
        return f"/sign-in?next={quote(self.next_path, safe='/')}"


class CsrfRefused(Exception):
    """A change without the CSRF token of this browser."""


class LedgerNotFound(Exception):
    """A page under /ledgers/{ledger}/ of a ledger that is not there, or not the
    person's: the same not-found page either way."""

    def __init__(self, ref: str) -> None:
        super().__init__(ref)
        self.ref = ref


async def page_actor(request: Request, container: AppContainer) -> Actor:
    """The signed-in person, acting as the client "web" in the ledger of the path (else
    their default ledger); else SignInRequired. A ledger the person is not a member of
    is LedgerNotFound, as one that does not exist.

    Also notes the database's change token before the page reads anything, so that its
    change stream can tell at once of a commit made while the page was being made."""
    request.state.since = await container.change_watcher.token()
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        try:
            principal = await container.accounts.resolve_bearer(token)
        except Unauthorized:
            pass
        else:
            request.state.principal = principal
            ledger = request.path_params.get("ledger")
            try:
                actor = await container.ledgers.actor(principal, ledger=ledger, client=WEB_CLIENT)
            except NotFound:  # not there, or not theirs; or, unnamed, they have none left
                raise LedgerNotFound(ledger or "") from None
            request.state.actor = actor
            return actor
    wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    raise SignInRequired(wanted if request.method == "GET" else "/")


PageActor = Annotated[Actor, Depends(page_actor)]


def csrf_token(request: Request) -> str:
    """This browser's CSRF token: the cookie's, or a new one that remember() will set."""
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if token is None:
        token = request.state.new_csrf = secrets.token_urlsafe(32)
    return str(token)


def remember(request: Request, response: Response) -> None:
    """Set the CSRF cookie on ``response`` if this request made a new token."""
    token = getattr(request.state, "new_csrf", None)
    if token is not None:
        response.set_cookie(
            CSRF_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )


def check_csrf(request: Request, sent: str | None) -> None:
    """Refuse a change whose CSRF token (form field or header) is not this browser's."""
    expected = request.cookies.get(CSRF_COOKIE)
    sent = sent or request.headers.get(CSRF_HEADER)
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise CsrfRefused()


def sign_in(request: Request, response: Response, access_token: str, *, seconds: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        access_token,
        max_age=seconds,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def sign_out(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def local_path(wanted: str | None) -> str:
    """Where to go after signing in: a path on this site only (never another host)."""
    if wanted and wanted.startswith("/") and not wanted.startswith("//") and "\\" not in wanted:
        return wanted
    return "/"
