"""A new work item from the pages: the "New item" form (type, title, parent, priority,
due date, tags, description) and what it sends. Refused, the form again with why beside
it and what was typed kept."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from workledger.errors import WorkledgerError
from workledger.http.deps import AppContainer
from workledger.models.work_item import short_id
from workledger.schemas.common import Priority
from workledger.schemas.item_type import ItemType
from workledger.schemas.work_item import WorkItemCreate
from workledger.web.item import refused_status
from workledger.web.render import FOLLOWS_FEED, base_of, read_form, render
from workledger.web.session import PageActor

# Before the item's page: "new" is no item's id.
router = APIRouter(include_in_schema=False, dependencies=[FOLLOWS_FEED])
FIELDS = ("item_type", "title", "parent", "priority", "due_date", "tags", "description")


@router.get("/items/new")
async def new_item_form(request: Request, actor: PageActor) -> Response:
    """The empty form; ``?parent=ID`` fills the parent in (a project's "Add a child")."""
    typed = {"parent": request.query_params.get("parent", ""), "item_type": "task"}
    return await _form(request, actor.may("member"), typed)


@router.post("/items/new")
async def create_item(request: Request, container: AppContainer, actor: PageActor) -> Response:
    """Create the item the form describes, as the person signed in (through the web)."""
    form = await read_form(request)
    typed = {name: form.get(name, "").replace("\r\n", "\n") for name in FIELDS}
    fields: dict[str, object] = {
        "item_type": typed["item_type"],
        "title": typed["title"],
        "priority": typed["priority"] or None,
        "parent_id": typed["parent"].strip() or None,
        "due_date": typed["due_date"].strip() or None,
        "tags": [tag.strip() for tag in typed["tags"].split(",") if tag.strip()],
        "description": typed["description"] or None,
    }
    try:
        data = WorkItemCreate.load({k: v for k, v in fields.items() if v is not None}, text=True)
        item = await container.work_items.create(actor=actor, data=data)
    except WorkledgerError as exc:
        errors = getattr(exc, "errors", None) or [exc]
        status = refused_status(exc)
        return await _form(request, actor.may("member"), typed, errors=errors, status_code=status)
    return RedirectResponse(f"{base_of(request)}/items/{short_id(item.id)}", status_code=303)


async def _form(
    request: Request,
    may_change: bool,
    typed: dict[str, str],
    *,
    errors: Sequence[object] = (),
    status_code: int = 200,
) -> Response:
    return await render(
        request,
        "new_item.html",
        status_code=status_code,
        form=typed,
        errors=errors,
        types=list(ItemType),
        priorities=list(Priority),
        may_change=may_change,
    )
