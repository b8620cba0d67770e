"""One work item's page: every field, a form to change them, its claim, its comments
(markdown, made safe by web/markdown.py) and its history (web/history.py). A reader sees
the forms disabled. What the forms send is web/item_forms.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from workledger.container import Container
from workledger.db.types import utcnow
from workledger.errors import (
    NotFound,
    ValidationError,
    WorkledgerError,
    who,
)
from workledger.http.deps import AppContainer
from workledger.models.work_item import short_id
from workledger.schemas.common import Actor, Priority
from workledger.schemas.work_item import ItemStatus, WorkItemListQuery, WorkItemRead
from workledger.web.git_links import repository_links
from workledger.web.history import comments_of, history_of
from workledger.web.render import FOLLOWS_FEED, base_of, render
from workledger.web.session import PageActor

# Every route of the page notes the feed's position: a form refused re-renders the page.
router = APIRouter(include_in_schema=False, dependencies=[FOLLOWS_FEED])
# The fields of the item's form, by their names in it.
EDITABLE = (
    "title",
    "status",
    "priority",
    "assignee",
    "tags",
    "due_date",
    "parent",
    "dependencies",
    "description",
)
CHILDREN_SHOWN = 100


async def not_found(request: Request, ref: str) -> Response:
    return await render(request, "not_found.html", status_code=404, ref=ref, what="work item")


@router.get("/items/{ref}")
async def item_page(
    request: Request, container: AppContainer, actor: PageActor, ref: str
) -> Response:
    try:
        item = await container.work_items.get(actor=actor, item_id=ref, include_deleted=True)
    except (NotFound, ValidationError):
        return await not_found(request, ref)
    return await show_item(request, container, actor, item)


REFUSED_STATUS = {  # what a refusal answers a form with, by its code
    "conflict": 409,
    "forbidden": 403,
    "not_found": 404,
    "version_conflict": 409,
    "storage_unavailable": 503,
}


def refused_status(exc: WorkledgerError) -> int:
    """What a page answers a refused form with: the refusal's own status, else 422."""
    return REFUSED_STATUS.get(exc.code, 422)


async def show_item(
    request: Request,
    container: Container,
    actor: Actor,
    item: WorkItemRead,
    *,
    status_code: int = 200,
    sent: dict[str, str] | None = None,
    conflict: bool = False,
    errors: Sequence[object] | None = None,
    comment: str = "",
    comment_errors: Sequence[str] = (),
    claim_error: str = "",
    delete_error: str = "",
) -> Response:
    linked = await container.work_items.dependencies(actor=actor, item=item)
    children = await container.work_items.list(
        actor=actor,
        query=WorkItemListQuery.load(
            {"parent_id": str(item.id), "sort": "created", "order": "asc", "limit": CHILDREN_SHOWN}
        ),
    )
    comments, more_comments = await comments_of(container, actor, item)
    history = await history_of(container, actor, item)
    dependencies = [(edge, linked.get(edge.depends_on_id)) for edge in item.dependencies]
    shown = _form_values(item)
    return await render(
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
        may_change=actor.may("member"),
        statuses=list(ItemStatus),
        priorities=list(Priority),
        page_url=f"{base_of(request)}/items/{short_id(item.id)}",
        comments=comments,
        more_comments=more_comments,
        deletable={
            c.id
            for c in comments or []
            if actor.may("member") and (c.author_account == actor.account or actor.may("owner"))
        },
        comment=comment,
        comment_errors=comment_errors,
        history=history,
        claim=_claim_of(item, actor),
        claim_error=claim_error,
        delete_error=delete_error,
        parent=await _parent(container, actor, item),
        children=children,
    )


async def _parent(container: Container, actor: Actor, item: WorkItemRead) -> WorkItemRead | None:
    """The item's parent, to name it by its title (None: a root, or archived)."""
    if item.parent_id is None:
        return None
    try:
        return await container.work_items.get(
            actor=actor, item_id=item.parent_id, include_deleted=True
        )
    except NotFound:
        return None


@dataclass(frozen=True)
class _Claim:
    """Who holds the item, and what the person signed in may do about it."""

    holder: str | None  # who claimed it; None: nobody
    until: datetime | None  # when the lease runs (or ran) out; None: it never does
    held: bool  # the claim holds now: not run out
    mine: bool
    may_take: bool  # claim it, or renew their own lease
    may_release: bool


def _claim_of(item: WorkItemRead, actor: Actor) -> _Claim:
    holder = who(item.assignee, item.assignee_account) if item.assignee else None
    held = holder is not None and (item.claimed_until is None or item.claimed_until > utcnow())
    mine = held and (item.assignee, item.assignee_account) == (actor.client, actor.account)
    workable = item.status != ItemStatus.completed and item.deleted_at is None
    member = actor.may("member")
    return _Claim(
        holder=holder,
        until=item.claimed_until,
        held=held,
        mine=mine,
        may_take=member and workable and (mine or not held),
        may_release=member and holder is not None and (mine or not held or actor.may("owner")),
    )


def _form_values(item: WorkItemRead) -> dict[str, str]:
    """What the form shows of ``item``, field by field, as text."""
    return {
        "title": item.title,
        "status": item.status.value,
        "priority": item.priority.value,
        "assignee": item.assignee or "",
        "tags": ", ".join(item.tags),
        "due_date": item.due_date.isoformat() if item.due_date else "",
        "parent": short_id(item.parent_id) if item.parent_id else "",
        "dependencies": ", ".join(
            short_id(edge.depends_on_id) + (" (blocks)" if edge.dependency_type == "blocks" else "")
            for edge in item.dependencies
        ),
        "description": item.description or "",
    }
