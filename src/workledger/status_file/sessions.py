"""Session prompts: YAML frontmatter and the prompt text below it.

They come from two places that follow the same rules: the ``## Session Prompts`` section
of a hand-kept status file (several blocks in a row) and a directory of ``*.md`` files
(one prompt each). A prompt whose frontmatter does not parse, is not a mapping or lacks
``schema_version`` is skipped with a warning."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import cast

import yaml  # type: ignore[import-untyped]  # PyYAML ships no type hints
from frontmatter.default_handlers import YAMLHandler

from workledger.status_file.census import frontmatter_blocks
from workledger.status_file.document import Census, JsonValue, ParseWarning, SourceSession
from workledger.status_file.text import (
    DASHES,
    FENCE,
    SUBHEADING,
    YAML_FENCE,
    Line,
    is_prose,
    unmark,
)

MAX_FRONTMATTER_DEPTH = 64
MAX_FRONTMATTER_VALUES = 10_000

_YAML = YAMLHandler()
# libyaml's scanner when there is one (7x faster): scanning is flat, only loading recurses.
_SCANNER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_OPENING_TOKENS = (
    yaml.BlockMappingStartToken,
    yaml.BlockSequenceStartToken,
    yaml.FlowMappingStartToken,
    yaml.FlowSequenceStartToken,
)
_CLOSING_TOKENS = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)
_BOUNDARY = re.compile(DASHES.pattern, re.MULTILINE)  # the library's own delimiter
_FENCE_END = re.compile(r"^\s*(?:```|~~~)\s*$")
_TITLE_HEADING = re.compile(r"^#\s+(.*?)(?:\s+#+)?\s*$", re.MULTILINE)


class FrontmatterError(Exception):
    """Frontmatter that cannot be a session's: ``line`` is where YAML saw the problem
    (0-based within the YAML text), when it says."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def json_safe(value: object) -> JsonValue:
    """YAML values as JSON can hold them: dates and datetimes become ISO strings.

    YAML aliases can make a value that contains itself or expands enormously; those
    raise FrontmatterError rather than recursing or filling memory."""
    remaining = MAX_FRONTMATTER_VALUES

    def convert(item: object, enclosing: tuple[int, ...]) -> JsonValue:
        nonlocal remaining
        remaining -= 1
        if remaining < 0:
            raise FrontmatterError(f"frontmatter holds more than {MAX_FRONTMATTER_VALUES} values")
        if isinstance(item, dict | list | tuple | set):
            if id(item) in enclosing:
                raise FrontmatterError("frontmatter contains itself (a YAML alias loop)")
            inner = (*enclosing, id(item))
            if isinstance(item, dict):
                return {_json_key(key): convert(part, inner) for key, part in item.items()}
            return [convert(part, inner) for part in item]
        if isinstance(item, date | datetime):  # datetime is a date: both have isoformat()
            return item.isoformat()
        if item is None or isinstance(item, bool | int | str):
            return item
        if isinstance(item, float) and math.isfinite(item):
            return item
        return str(item)  # .nan, .inf (no JSON for them), !!binary bytes: keep them readable

    return convert(value, ())


def _json_key(key: object) -> str:
    return key.isoformat() if isinstance(key, date) else str(key)


def _check_nesting(text: str) -> None:
    """Refuses YAML nested deeper than MAX_FRONTMATTER_DEPTH before it is loaded: libyaml's
    loader recurses per level and can overflow the C stack (a crash, not an exception)."""
    depth = 0
    for token in yaml.scan(text, Loader=_SCANNER):
        if isinstance(token, _OPENING_TOKENS):
            depth += 1
            if depth > MAX_FRONTMATTER_DEPTH:
                raise FrontmatterError(
                    f"frontmatter is nested more than {MAX_FRONTMATTER_DEPTH} levels deep",
                    token.start_mark.line,
                )
        elif isinstance(token, _CLOSING_TOKENS):
            depth -= 1


def load_frontmatter(text: str) -> dict[str, JsonValue]:
    """The YAML of one frontmatter block as a JSON-safe mapping holding ``schema_version``."""
    try:
        _check_nesting(text)
        data = _YAML.load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error).partition("\n")[0]
        raise FrontmatterError(
            f"YAML does not parse: {problem}", mark.line if mark else None
        ) from error
    except ValueError as error:  # a date-like value that is no date: "2025-13-45"
        raise FrontmatterError(f"YAML does not parse: {error}") from error
    if not isinstance(data, dict):
        raise FrontmatterError("frontmatter is not a mapping of keys to values")
    if data.get("schema_version") is None:
        raise FrontmatterError("frontmatter has no schema_version")
    return cast("dict[str, JsonValue]", json_safe(data))  # a mapping stays one


def session_title(data: dict[str, JsonValue], fallback: str) -> str:
    title = data.get("title")
    text = "" if title is None else str(title).strip()
    return text or fallback


def count_sessions(lines: list[Line], census: Census) -> None:
    """The frontmatter blocks of the section, apart from ``read_session_section``."""
    census.sessions += frontmatter_blocks(lines)


@dataclass
class _Block:
    """A frontmatter block of the status file's session section, as found."""

    opening: int  # line of the opening ``---`` or fence
    heading: str | None
    yaml_lines: list[str]
    body_lines: list[str] = field(default_factory=list)


def read_session_section(
    source: str, lines: Sequence[tuple[int, str]]
) -> tuple[list[SourceSession], list[ParseWarning]]:
    """The prompts of a status file's session section: ``(line number, text)`` pairs.

    Each prompt is a ``---`` frontmatter block (or a fenced ``yaml`` block at the start of
    an entry), optionally after a ``###`` heading, followed by its body up to the next
    heading or frontmatter block."""
    blocks, warnings = _find_blocks(source, lines)
    sessions: list[SourceSession] = []
    for ordinal, block in enumerate(blocks, start=1):
        try:
            data = load_frontmatter("\n".join(block.yaml_lines))
        except FrontmatterError as error:
            # The YAML starts on the line after the opening one.
            at = "" if error.line is None else f" (at line {block.opening + 1 + error.line})"
            message = f"session prompt skipped: {error}{at}"
            warnings.append(ParseWarning(source, block.opening, message))
            continue
        fallback = block.heading or f"Session prompt {ordinal}"
        sessions.append(
            SourceSession(
                source=source,
                line=block.opening,
                title=session_title(data, fallback),
                frontmatter=data,
                body="\n".join(block.body_lines).strip(),
            )
        )
    return sessions, warnings


def _find_blocks(
    source: str, lines: Sequence[tuple[int, str]]
) -> tuple[list[_Block], list[ParseWarning]]:
    blocks: list[_Block] = []
    heading: str | None = None
    current: _Block | None = None
    in_code = False  # inside a fenced code block of a prompt body
    index = 0
    while index < len(lines):
        number, text = lines[index]
        index += 1
        if is_prose(text) and not in_code:
            if current is not None:
                current.body_lines.append(text)
            continue
        if current is not None and (in_code or FENCE.match(text)):
            current.body_lines.append(text)
            in_code = in_code != bool(FENCE.match(text))
            continue
        if match := SUBHEADING.match(text):
            heading, current = unmark(match[1]) or None, None
            continue
        fenced = current is None and bool(YAML_FENCE.match(text))
        if DASHES.match(text) or fenced:
            closing = _closing_line(lines, index, _FENCE_END if fenced else DASHES)
            if closing is None:
                warning = ParseWarning(
                    source, number, "session prompt skipped: its frontmatter is never closed"
                )
                return blocks, [warning]
            # A fenced block may hold its own ``---`` lines: blank them, keeping line numbers.
            yaml_lines = ["" if DASHES.match(line) else line for _, line in lines[index:closing]]
            current = _Block(number, heading, yaml_lines)
            blocks.append(current)
            heading, index = None, closing + 1
            continue
        if current is not None:
            current.body_lines.append(text)
    return blocks, []


def _closing_line(
    lines: Sequence[tuple[int, str]], start: int, closing: re.Pattern[str]
) -> int | None:
    return next((i for i in range(start, len(lines)) if closing.match(lines[i][1])), None)


def _yaml_first_line(content: str, first_line: int) -> int:
    """The file line the frontmatter's YAML text starts on (the opening ``---`` line's
    remainder, unless the library's boundary swallowed a blank line after it)."""
    opening = _BOUNDARY.match(content)
    return first_line + (content.count("\n", 0, opening.end()) if opening else 0)


def read_session_files(directory: Path) -> tuple[list[SourceSession], list[ParseWarning]]:
    """Every ``*.md`` file of ``directory``, by file name: one session prompt each."""
    if not directory.is_dir():
        return [], [ParseWarning(str(directory), 1, "not a directory of session prompt files")]
    sessions: list[SourceSession] = []
    warnings: list[ParseWarning] = []
    for path in session_file_paths(directory):
        result = read_session_file(path)
        if isinstance(result, ParseWarning):
            warnings.append(result)
        else:
            sessions.append(result)
    return sessions, warnings


def session_file_paths(directory: Path) -> list[Path]:
    """The prompt files of a directory, by name: every ``*.md`` in it."""
    if not directory.is_dir():
        return []
    return sorted(directory.glob("*.md"), key=lambda p: p.name)


def read_session_file(path: Path) -> SourceSession | ParseWarning:
    """One prompt file: frontmatter first; title from it, else the first ``# heading``
    of the body, else the file name."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        return ParseWarning(source, 1, f"session prompt skipped: cannot read the file ({error})")
    content = text.lstrip()
    first_line = text.count("\n", 0, len(text) - len(content)) + 1
    if not _YAML.detect(content):
        return ParseWarning(source, first_line, "session prompt skipped: no frontmatter")
    try:
        yaml_text, body = _YAML.split(content)
    except ValueError:
        return ParseWarning(
            source, first_line, "session prompt skipped: its frontmatter is never closed"
        )
    try:
        data = load_frontmatter(yaml_text)
    except FrontmatterError as error:
        yaml_line = _yaml_first_line(content, first_line)
        line = first_line if error.line is None else yaml_line + error.line
        return ParseWarning(source, line, f"session prompt skipped: {error}")
    body = body.strip()
    heading = _TITLE_HEADING.search(body)
    fallback = heading[1] if heading and heading[1] else path.stem
    return SourceSession(
        source=source,
        line=first_line,
        title=session_title(data, fallback),
        frontmatter=data,
        body=body,
    )
