"""The board: every live item in a column by its status. A card moves to another column
by its "Move to" select (a form, for keyboards and without JavaScript) or by dragging it
there (SortableJS, which then sends the same form)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from workledger.container import Container
from workledger.errors import VersionConflict, WorkledgerError
from workledger.http.deps import AppContainer
from workledger.repositories.status import TreeRow
from workledger.schemas.common import Actor
from workledger.schemas.work_item import WorkItemUpdate
from workledger.web.item import refused_status
from workledger.web.render import FOLLOWS_FEED, base_of, read_form, render
from workledger.web.session import PageActor

router = APIRouter(include_in_schema=False)
BOARD_COLUMNS = ("active", "blocked", "completed")
CARDS_SHOWN = 50  # in each column, and as many more with each "Show more"


@router.get("/board", dependencies=[FOLLOWS_FEED])
async def board(request: Request, container: AppContainer, actor: PageActor) -> Response:
    """Every live item in a column by status, the first CARDS_SHOWN of each (``?active=
    100`` shows more of one); each card moves to another column by its "Move to" select,
    or by dragging it there."""
    return await _board(request, container, actor)


async def _board(
    request: Request,
    container: Container,
    actor: Actor,
    *,
    status_code: int = 200,
    refused: str = "",
) -> Response:
    data = await container.status.data(actor=actor)
    columns: dict[str, list[TreeRow]] = {status: [] for status in BOARD_COLUMNS}
    for row in data.work_items:
        columns[row.status].append(row)
    shown = {status: _cards_shown(request, status) for status in BOARD_COLUMNS}
    # Each column with cards left out links to the board showing CARDS_SHOWN more of it.
    more = {
        status: "?"
        + urlencode(
            {
                column: count + CARDS_SHOWN if column == status else count
                for column, count in shown.items()
                if column == status or count > CARDS_SHOWN
            }
        )
        for status, rows in columns.items()
        if len(rows) > shown[status]
    }
    return await render(
        request,
        "board.html",
        status_code=status_code,
        columns=columns,
        shown=shown,
        more=more,
        waiting_on=data.waiting_on,
        may_change=actor.may("member"),
        refused=refused,
    )


def _cards_shown(request: Request, status: str) -> int:
    asked = request.query_params.get(status, "")
    return max(CARDS_SHOWN, int(asked)) if asked.isdigit() else CARDS_SHOWN


def _board_query(shown: str) -> str:
    """How many cards of each column the board showed (``active=100``), from the query
    string its form carried back; anything else in it is dropped."""
    kept = {
        status: counts[0]
        for status, counts in parse_qs(shown).items()
        if status in BOARD_COLUMNS and counts[0].isdigit()
    }
    return f"?{urlencode(kept)}" if kept else ""


@router.post("/board/{ref}")
async def move_card(
    request: Request, container: AppContainer, actor: PageActor, ref: str
) -> Response:
    """Move a card to the column its form names, as the board showed it (its version)."""
    form = await read_form(request)
    try:
        data = WorkItemUpdate.load(
            {"version": form.get("version"), "status": form.get("status")}, text=True
        )
        await container.work_items.update(actor=actor, item_id=ref, data=data)
    except VersionConflict:
        said = (
            "The item was changed after the board showed it: nothing moved. It shows as it is now."
        )
        return await _board(request, container, actor, status_code=409, refused=said)
    except WorkledgerError as exc:
        return await _board(
            request, container, actor, status_code=refused_status(exc), refused=str(exc)
        )
    back = _board_query(form.get("shown", ""))
    return RedirectResponse(f"{base_of(request)}/board{back}", status_code=303)
