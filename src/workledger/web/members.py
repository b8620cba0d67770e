"""A ledger's members (docs/reference/ledgers.md#roles): every member sees who belongs
and with which role; owners add members, change roles and remove members; anyone may
leave. What the ledger refuses (an email with no account, a ledger left without an
owner, a role that may not manage it) is said beside the form, never an error page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from workledger.container import Container
from workledger.errors import NotFound, WorkledgerError
from workledger.http.deps import AppContainer
from workledger.http.status import http_status
from workledger.schemas.common import Actor, Role
from workledger.web.render import base_of, read_form, render
from workledger.web.session import PageActor

router = APIRouter(include_in_schema=False)
DONE = {"saved": "Saved.", "removed": "Removed."}


@router.get("/members")
async def members_page(request: Request, container: AppContainer, actor: PageActor) -> Response:
    done = DONE.get(request.query_params.get("done", ""))
    return await _page(request, container, actor, notice=done)


@router.post("/members")
async def set_member(request: Request, container: AppContainer, actor: PageActor) -> Response:
    """Add an account with a role, or change a member's role (owners only)."""
    form = await read_form(request)
    email = form.get("email", "").strip()
    try:
        role = Role(form.get("role", ""))
    except ValueError:
        error = "Role: choose owner, member or reader."
        return await _page(request, container, actor, 422, error=error, email=email)
    if not email:
        error = "Email: give the email of an existing account."
        return await _page(request, container, actor, 422, error=error, email=email)
    try:
        await container.ledgers.set_member(actor, email=email, role=role)
    except WorkledgerError as exc:
        return await _refused(request, container, actor, exc, email=email)
    return RedirectResponse(f"{base_of(request)}/members?done=saved", status_code=303)


@router.post("/members/remove")
async def remove_member(request: Request, container: AppContainer, actor: PageActor) -> Response:
    """Remove a member (owners), or leave (anyone, themselves): then the default ledger."""
    form = await read_form(request)
    email = form.get("email", "").strip()
    try:
        await container.ledgers.remove_member(actor, email=email)
    except WorkledgerError as exc:
        return await _refused(request, container, actor, exc)
    if actor.account is not None and email.lower() == actor.account.lower():
        return RedirectResponse("/", status_code=303)  # not theirs any more
    return RedirectResponse(f"{base_of(request)}/members?done=removed", status_code=303)


async def _refused(
    request: Request, container: Container, actor: Actor, exc: WorkledgerError, email: str = ""
) -> Response:
    if isinstance(exc, NotFound):
        error = (
            f"No account has the email {email}: they sign up first."
            if exc.details.get("resource") == "account"
            else "That account is not a member of this ledger."
        )
        return await _page(request, container, actor, 404, error=error, email=email)
    status = http_status(exc)
    return await _page(request, container, actor, status, error=exc.message, email=email)


async def _page(
    request: Request,
    container: Container,
    actor: Actor,
    status_code: int = 200,
    *,
    error: str | None = None,
    notice: str | None = None,
    email: str = "",
) -> Response:
    return await render(
        request,
        "members.html",
        status_code=status_code,
        ledger=await container.ledgers.get(actor),
        members=await container.ledgers.members(actor),
        owner=actor.may("owner"),
        roles=list(Role),
        error=error,
        notice=notice,
        email=email,
    )
