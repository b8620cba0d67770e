"""The values of a vendor's fields as people write them: statuses in words and marks,
test counts, format lists, versions; and which field an unnamed value looks like."""

from __future__ import annotations

import re
from collections.abc import Iterator

from workledger.status_file.text import NONE, SEPARATORS, truth

FORMATS = ("excel", "csv", "pdf", "ocr")

# The words and marks of each status; a degraded vendor is imported as operational.
_STATUS_WORDS = {
    "operational": r"\b(?:operational|ok|okay|working|up|healthy)\b|🟢|✅|✓|✔",
    "broken": r"\b(?:broken|failing|failed|down)\b|🔴|❌|✗|✘|✖",
    "degraded": r"\b(?:degraded|partial|partially)\b|🟡|⚠\ufe0f?",
}
_STATUSES = {status: re.compile(f"(?i){words}") for status, words in _STATUS_WORDS.items()}
_ANY_STATUS = re.compile("(?i)" + "|".join(_STATUS_WORDS.values()))
STATUS_HINT = "write operational, broken or degraded (or ok, up, down, failing, 🟢, 🟡, 🔴)"
_TEST_RATIO = re.compile(r"(\d+)\s*(?:/|\bof\b|\bout of\b)\s*(\d+)")
FORMAT_NAME = re.compile(r"(?i)\b(excel|xlsx?|csv|pdf|ocr)\b")
_VERSION_UNKNOWN = {"unknown", "n/a", "?", "-", "—", "none"}


def spans(matches: list[re.Match[str]], length: int) -> Iterator[tuple[re.Match[str], int]]:
    """Each match with where the text it introduces ends: at the next match, or the end."""
    ends = [match.start() for match in matches[1:]] + [length]
    yield from zip(matches, ends, strict=False)  # no matches: nothing


def guess_field(text: str) -> str | None:
    """Which field an unnamed piece of a one-line entry is, from its look."""
    if _TEST_RATIO.search(text) or count(text, "passing|passed") is not None:
        return "test_results"
    if re.fullmatch(r"[vV]\d+(?:[.-]\w+)*|\d+(?:\.\w+)+", text):  # "v1", "2.1.0", "v3.2-rc1"
        return "extractor_version"
    if status_of(text) and not re.search(r"\w", _ANY_STATUS.sub("", text)):
        return "status"  # status words and marks, and nothing else
    if FORMAT_NAME.search(text) and not FORMAT_NAME.sub("", text).strip(SEPARATORS + "()[]/+"):
        return "format_support"  # "excel, csv", "(pdf/ocr)": format names and nothing else
    return None


def status_of(text: str) -> str | None:
    """The status the words and marks in ``text`` say (operational, broken or degraded);
    None when they say none, or broken and another too. Degraded wins over operational
    ("partially working")."""
    said = {status for status, words in _STATUSES.items() if words.search(text)}
    if said == {"broken"}:
        return "broken"
    if not said or "broken" in said:
        return None
    return "degraded" if "degraded" in said else "operational"


def test_results(text: str) -> tuple[int, int, int] | None:
    """``(passing, total, skipped)`` from "45/50 passing (2 skipped)", "45 of 50",
    "passing 45, total 50, skipped 2" or "45 passed, 3 failed, 2 skipped" (whose total
    is the sum); skipped is 0 when not written."""
    skipped = count(text, "skipped|skip")
    if ratio := _TEST_RATIO.search(text):
        passing: int | None = int(ratio[1])
        total: int | None = int(ratio[2])
    else:
        passing, total = count(text, "passing|passed|pass"), count(text, "total|run")
        failed = count(text, "failing|failed|fail")
        if total is None and passing is not None and failed is not None:
            total = passing + failed + (skipped or 0)
    if passing is None or total is None:
        return None
    return passing, total, skipped or 0


def count(text: str, words: str) -> int | None:
    match = re.search(rf"(?i)\b(?:{words})\b\s*[:=]?\s*(\d+)|(\d+)\s*(?:{words})\b", text)
    return int(match[1] or match[2]) if match else None


def format_support(text: str) -> dict[str, bool] | None:
    """Every format, supported or not, from "Excel ✓, PDF ✗" or "excel, csv" or "none"."""
    support = dict.fromkeys(FORMATS, False)
    if NONE.fullmatch(text):
        return support
    names = list(FORMAT_NAME.finditer(text))
    if not names:
        return None
    for name, end in spans(names, len(text)):
        mark = text[name.end() : end].strip(SEPARATORS + "()[]/+")
        supported = truth(mark) if mark else True
        if supported is None:
            return None
        support[format_key(name[1])] = supported
    return support


def version_of(text: str) -> str | None:
    """The version as written, less a "v" before a digit; None for "unknown"."""
    if text.lower() in _VERSION_UNKNOWN:
        return None
    return text[1:] if re.match(r"[vV]\d", text) else text


def format_key(name: str) -> str:
    """The format a name written in the file stands for: "xls" and "xlsx" are excel."""
    name = name.lower()
    return "excel" if name.startswith("xls") else name
