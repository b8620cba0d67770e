"""Comments are markdown; a page shows them as HTML, made safe in two steps.

markdown-it renders the text with raw HTML turned off (a ``<script>`` typed in a comment
shows as text) and refuses links it holds dangerous (``javascript:``, ``data:`` …). Its
HTML then goes through nh3, an allow-list sanitizer: only the tags and attributes below
are kept, links only to the schemes below, each with ``rel="noopener noreferrer
nofollow"``. Nothing here escapes by hand; the page's Content-Security-Policy stands
behind both.

Images are not shown (the pages load nothing from other sites): ``![alt](url)`` reads as
a link. A comment's headings are set three levels down, under the page's own."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markupsafe import Markup

TAGS = frozenset(
    {
        "p",
        "br",
        "hr",
        "strong",
        "em",
        "s",
        "del",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
        "h4",
        "h5",
        "h6",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"
# A comment's "# Title" is an h4: below the page's h1 and its sections' h2.
HEADING_SHIFT = 3


def _shift_headings(state: StateCore) -> None:
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close"):
            level = min(6, int(token.tag[1]) + HEADING_SHIFT)
            token.tag = f"h{level}"


_markdown = (
    MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"]).disable("image")
)
_markdown.core.ruler.push("shift_headings", _shift_headings)


def to_html(text: str) -> Markup:
    """``text`` (markdown) as HTML that is safe to put in a page."""
    html = _markdown.render(text)
    cleaned = nh3.clean(
        html,
        tags=set(TAGS),
        attributes=ATTRIBUTES,
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
    )
    return Markup(cleaned)  # safe: what the allow-list kept
