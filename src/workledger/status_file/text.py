"""What every section reader shares: numbered lines, the reader, markup and yes/no words."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from workledger.status_file.document import ParseWarning, SourceDeployment, StatusDocument

SUBHEADING = re.compile(r"^\s*#{3,6}(?!#)\s*(.*?)(?:\s+#+)?\s*$")
FENCE = re.compile(r"^\s*(?:```|~~~)")
DASHES = re.compile(r"^-{3,}\s*$")  # a frontmatter block's first and last line
YAML_FENCE = re.compile(r"^\s*(?:```|~~~)\s*ya?ml\s*$", re.IGNORECASE)  # a fenced YAML block
YAML_KEY = re.compile(r"^\s*[\w-]+\s*:(?:\s|$)")  # "schema_version: 1", "tags:"
BULLET = re.compile(r"^(?P<indent>\s*)[-*+]\s+(?P<content>.*?)\s*$")
KEY_VALUE = re.compile(r"^(?P<key>[^:]+?)\s*:\s*(?P<value>.*)$")
NONE = re.compile(r"(?i)none|n/a|-|—")
SEPARATORS = " \t:=·—\u2013;|,-"
_MARKUP = re.compile(r"\*\*|__|`")
_FALSE = re.compile(
    r"(?i)\bnot\s+compliant\b|\bnon-?compliant\b|\[ \]|❌|✗|✘|✖"
    r"|\bnot\s+ok\b|\b(?:no|false)\b|(?<![\w/])n(?![\w/])"
)
_TRUE = re.compile(r"(?i)\[x\]|✅|✓|✔|☑|\b(?:yes|true|compliant|ok|okay)\b|(?<![\w/])y(?![\w/])")


TABLE_RULE = re.compile(r":?-+:?")  # a cell of the row under a table's header
_CELL_SEPARATOR = re.compile(r"(?<!\\)\|")  # "|", but not "\|"


def table_cells(text: str) -> list[str]:
    """The cells of a ``| a | b |`` table row, stripped."""
    return [cell.strip() for cell in _CELL_SEPARATOR.split(text.strip().strip("|"))]


def table_columns(header: str, keys: dict[str, str]) -> list[str | None]:
    """What each column of a table holds, from its header row: the field ``keys`` names
    for the header's words, or None."""
    return [keys.get(plain(unmark(cell))) for cell in table_cells(header)]


def table_row(columns: list[str | None], text: str) -> dict[str, str] | None:
    """A data row's cells by what their columns hold (unnamed columns left out); None for
    the ``|---|---|`` row under the header."""
    cells = table_cells(text)
    if all(TABLE_RULE.fullmatch(cell) for cell in cells):
        return None
    return {key: cell for key, cell in zip(columns, cells, strict=False) if key}


class Line(NamedTuple):
    number: int  # 1-based
    text: str


@dataclass
class Reader:
    """The document being filled, and what is left to settle once every section is read."""

    doc: StatusDocument
    # A deployment's vendors line: read once the vendors section is known.
    vendor_lists: list[tuple[SourceDeployment, str]] = field(default_factory=list)

    def warn(self, line: int, message: str) -> None:
        self.doc.warnings.append(ParseWarning(self.doc.source, line, message))


def plain(text: str) -> str:
    """Heading text compared case-, emoji- and punctuation-blind."""
    return " ".join(re.sub(r"[^\w\s]|_", " ", text).lower().split())


_MARKUP_STARTS = frozenset("#`~-")


def is_prose(text: str) -> bool:
    """A line that cannot be a heading, a fence or a ``---`` line: most lines of a large
    file, which the section and block scanners then pass over without a regex."""
    return text.lstrip()[:1] not in _MARKUP_STARTS


def heading_level(text: str) -> int:
    """How many ``#`` open a heading line."""
    stripped = text.lstrip()
    return len(stripped) - len(stripped.lstrip("#"))


def unmark(text: str) -> str:
    return _MARKUP.sub("", text).strip()


def truth(text: str) -> bool | None:
    """Yes or no from words and check marks; None when it says neither (or both)."""
    text = re.sub(r"(?i)^compli\w*\s*[:=]\s*(?=\S)", "", text)  # "compliant: no"
    said_no = bool(_FALSE.search(text))
    said_yes = bool(_TRUE.search(_FALSE.sub(" ", text)))
    return None if said_no == said_yes else said_yes
