"""The work items page's tree, and the "waiting on" note it shares with the board,
written in Python rather than a template: at 1,000 items the tree is most of that page,
and a template's cost per expression made it three times slower to write. Every value
from the ledger is escaped; the markup is the templates' (``web/items.html``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from markupsafe import Markup, escape

from workledger.models.work_item import short_id

if TYPE_CHECKING:
    from workledger.repositories.status import TreeRow


class TreeNode(Protocol):
    @property
    def row(self) -> TreeRow: ...
    @property
    def waiting_on(self) -> Sequence[TreeRow]: ...
    @property
    def children(self) -> Sequence[TreeNode]: ...


def tree_html(nodes: Sequence[TreeNode], base: str) -> Markup:
    """Nested lists of the items: a branch open under each item that has children."""
    out: list[str] = []
    _branch(nodes, escape(base), out)  # Markup: escaping it again leaves it as it is
    return Markup("".join(out))


def waiting_html(targets: Sequence[TreeRow], base: str) -> Markup:
    """``waiting on`` the items that hold one back, each a link with its status."""
    if not targets:
        return Markup("")
    links = ", ".join(
        f'<a href="{escape(base)}/items/{short_id(t.id)}">{escape(t.title)}</a> '
        f"({escape(t.status)})"
        for t in targets
    )
    return Markup(f'<span class="waiting">waiting on {links}</span>')


def _branch(nodes: Sequence[TreeNode], base: str, out: list[str]) -> None:
    out.append('<ul class="tree">\n')
    for node in nodes:
        r = node.row
        sid = short_id(r.id)
        status, priority = escape(r.status), escape(r.priority)
        line = (
            f'<span class="node"><span class="badge type">{escape(r.item_type)}</span> '
            f'<span class="badge status-{status}">{status}</span> '
            f'<span class="badge priority-{priority}">{priority}</span> '
            f'<a href="{base}/items/{sid}">{escape(r.title)}</a> <code>{sid}</code>'
        )
        if r.assignee:
            line += f' <span class="assignee">@{escape(r.assignee)}</span>'
        if node.waiting_on:
            line += f" {waiting_html(node.waiting_on, base)}"  # str + Markup would escape str
        line += "</span>"
        if node.children:
            out.append(f"  <li><details open><summary>{line}</summary>")
            _branch(node.children, base, out)
            out.append("</details></li>\n")
        else:
            out.append(f'  <li><div class="leaf">{line}</div></li>\n')
    out.append("</ul>")
