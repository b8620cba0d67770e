"""/api/v1/ledgers: the caller's ledgers, new ones, and their members."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status

from workledger.api.deps import CurrentActor, CurrentPrincipal, LedgerRef
from workledger.api.openapi import errors
from workledger.http.deps import AppContainer
from workledger.schemas.account import Email
from workledger.schemas.common import Page
from workledger.schemas.ledger import LedgerCreate, LedgerRead, MemberRead, MemberSet

router = APIRouter(prefix="/api/v1/ledgers", tags=["ledgers"])
MemberEmail = Annotated[Email, Path(description="the member's email")]


@router.get("", responses=errors())
async def list_ledgers(container: AppContainer, principal: CurrentPrincipal) -> Page[LedgerRead]:
    """The ledgers the caller belongs to (a ledger-bound token: its own), with its role."""
    found = await container.ledgers.of(principal)
    return Page(items=found, total_count=len(found), has_more=False)


@router.post("", status_code=status.HTTP_201_CREATED, responses=errors(400, 409))
async def create_ledger(
    container: AppContainer,
    principal: CurrentPrincipal,
    data: LedgerCreate,
    request: Request,
    response: Response,
) -> LedgerRead:
    """A new ledger; the caller is its owner."""
    created = await container.ledgers.create(principal, data)
    response.headers["Location"] = f"{request.url.path}/{created.slug}"
    return created


@router.get("/{ledger}", responses=errors(404))
async def get_ledger(container: AppContainer, _: LedgerRef, actor: CurrentActor) -> LedgerRead:
    return await container.ledgers.get(actor)


@router.get("/{ledger}/members", responses=errors(404))
async def list_members(
    container: AppContainer, _: LedgerRef, actor: CurrentActor
) -> list[MemberRead]:
    return await container.ledgers.members(actor)


@router.put("/{ledger}/members/{email}", responses=errors(400, 403, 404, 409))
async def set_member(
    container: AppContainer, _: LedgerRef, actor: CurrentActor, email: MemberEmail, data: MemberSet
) -> MemberRead:
    """Add an existing account with a role, or change its role (owners only)."""
    return await container.ledgers.set_member(actor, email=email, role=data.role)


@router.delete(
    "/{ledger}/members/{email}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=errors(403, 404, 409),
)
async def remove_member(
    container: AppContainer, _: LedgerRef, actor: CurrentActor, email: MemberEmail
) -> None:
    """Remove a member (owners), or leave. Their tokens stop working here at once."""
    await container.ledgers.remove_member(actor, email=email)
