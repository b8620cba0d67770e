"""The vendors section: the report's vendor lines and the legacy headings, tables and lines."""

from __future__ import annotations

import re
from collections.abc import Iterator

from workledger.status_file.census import entries
from workledger.status_file.document import (
    VENDOR_LABELS,
    VENDOR_METADATA,
    VENDOR_METADATA_FIELDS,
    Census,
    SourceVendor,
)
from workledger.status_file.text import (
    BULLET,
    KEY_VALUE,
    NONE,
    SEPARATORS,
    SUBHEADING,
    Line,
    Reader,
    heading_level,
    plain,
    table_cells,
    table_row,
    truth,
    unmark,
)

FORMATS = ("excel", "csv", "pdf", "ocr")

# The line the report writes for a vendor, its fields under the table's labels.
_LABEL = {name: re.escape(label) for name, label in VENDOR_LABELS.items()}
_REPORT_VENDOR = re.compile(
    r"^- \*\*(?P<name>.+)\*\*: (?P<status>operational|broken)"
    rf" · {_LABEL['test_results']} (?P<passing>\d+)/(?P<total>\d+) passing,"
    r" (?P<skipped>\d+) skipped"
    rf" · {_LABEL['format_support']}"
    r" (?P<formats>none|(?:excel|csv|pdf|ocr)(?:, (?:excel|csv|pdf|ocr))*)"
    rf" · {_LABEL['extractor_version']} (?P<version>.+)"
    rf" · {_LABEL['manifest_compliant']} (?P<manifest>compliant|NOT compliant)$"
)
# Field names (lower case, markup aside) the report and the legacy shapes write → names.
_VENDOR_KEYS = {
    written: vendor_field.name
    for vendor_field in VENDOR_METADATA_FIELDS
    for written in (vendor_field.label, *vendor_field.aliases)
}
VENDOR_FIELDS = frozenset(_VENDOR_KEYS)
_TABLE_NAME_KEYS = {"vendor", "vendor name", "name"}
# Where a field starts inside a sloppy one-line entry: a field name or a status word.
_VENDOR_FIELD_START = re.compile(
    r"(?i)\b(?P<key>status|test results|tests?|format support|formats?|extractor version"
    r"|version|manifest)\b|(?P<status>\b(?:operational|broken)\b|🟢|🔴)"
)
_BOLD_NAME = re.compile(r"^(?:\*\*|__)(?P<name>.+?)(?:\*\*|__)\s*(?P<rest>.*)$")
_PLAIN_NAME = re.compile(r"^(?P<name>[^:·—\u2013;|]+?)\s*(?:[:·—\u2013;|]|\s-\s)\s*(?P<rest>.*)$")
_STRONG_SEPARATOR = re.compile(r"\s*[·—\u2013;|]\s*|\s+-\s+")

_OPERATIONAL = re.compile(r"(?i)\b(?:operational|ok|okay|working|up|healthy)\b|🟢|✅|✓|✔")
_BROKEN = re.compile(r"(?i)\b(?:broken|failing|failed|down)\b|🔴|❌|✗|✘|✖")
_TEST_RATIO = re.compile(r"(\d+)\s*(?:/|\bof\b|\bout of\b)\s*(\d+)")
_FORMAT_NAME = re.compile(r"(?i)\b(excel|xlsx?|csv|pdf|ocr)\b")
_VERSION_UNKNOWN = {"unknown", "n/a", "?", "-", "—", "none"}


def count_vendors(lines: list[Line], census: Census) -> None:
    """The vendor entries as the outline shows them, apart from ``read_vendors``."""
    census.vendors += [entry.line for entry in entries(lines, VENDOR_FIELDS)]


def read_vendors(lines: list[Line], reader: Reader) -> list[SourceVendor]:
    """Vendors in any mix of the three legacy shapes and the report's own lines.

    Shape a is a ``### Name`` heading over ``- Key: value`` bullets; a heading that gets
    no such bullet but is followed by one-line entries or a table was a group label."""
    vendors: list[SourceVendor] = []
    heading: SourceVendor | None = None  # the vendor heading being read (its name may be "")
    level = 0  # that heading's level
    # The one-line vendor whose fields may follow as bullets indented below it.
    above: tuple[SourceVendor, int] | None = None
    columns: list[str | None] | None = None  # the table being read, by column
    for line in lines:
        text = line.text.strip()
        if not text.startswith("|"):
            columns = None
        if not text:
            continue
        if match := SUBHEADING.match(text):
            if heading and not heading.given and heading_level(text) > level:
                _drop(vendors, heading)  # it heads a group of vendor headings
            heading, above = _heading_vendor(match[1], line, reader), None
            level = heading_level(text)
            if heading.name:
                vendors.append(heading)
            continue
        bullet = BULLET.match(line.text)
        field_of = heading or _parent(above, bullet)
        if bullet and field_of and _heading_field(field_of, bullet["content"], line, reader):
            continue
        is_table = text.startswith("|")
        if heading and not heading.given and (bullet or is_table):
            _drop(vendors, heading)  # it labels the one-line entries or table below it
        if is_table:
            heading, columns = None, _read_table_row(text, line, columns, vendors, reader)
        elif bullet:
            heading = above = None
            if vendor := _vendor_line(bullet["content"], line, reader):
                vendors.append(vendor)
                above = vendor, len(bullet["indent"])
    return vendors


def _drop(vendors: list[SourceVendor], heading: SourceVendor) -> None:
    """Takes back a heading read as a vendor: it is the last one read, if it was kept."""
    if vendors and vendors[-1] is heading:
        vendors.pop()


def _parent(
    above: tuple[SourceVendor, int] | None, bullet: re.Match[str] | None
) -> SourceVendor | None:
    """The one-line vendor a bullet indented below it belongs to."""
    if above is not None and bullet is not None and len(bullet["indent"]) > above[1]:
        return above[0]
    return None


def _heading_vendor(text: str, line: Line, reader: Reader) -> SourceVendor:
    """The vendor a heading names; one without a name is not kept, and takes the field
    bullets below it along."""
    name = unmark(text).rstrip(":").strip()
    if not name:
        reader.warn(line.number, "vendor heading without a name skipped")
    return SourceVendor(name=name, line=line.number)


def _heading_field(vendor: SourceVendor, content: str, line: Line, reader: Reader) -> bool:
    """Reads a ``Key: value`` bullet under a vendor heading; False when the bullet is a
    vendor entry of its own (a bold name, or a line that reads as vendor fields)."""
    field_match = KEY_VALUE.match(unmark(content))
    if field_match is None:
        return False
    if key := _VENDOR_KEYS.get(plain(field_match["key"])):
        _set_vendor_field(vendor, key, field_match["value"], line, reader)
        return True
    if _BOLD_NAME.match(content) or any(key for key, _ in _vendor_fields(field_match["value"])):
        return False
    reader.warn(line.number, f"vendor {vendor.name}: unknown field {field_match['key']!r} ignored")
    return True


def _read_table_row(
    text: str,
    line: Line,
    columns: list[str | None] | None,
    vendors: list[SourceVendor],
    reader: Reader,
) -> list[str | None]:
    """One row of a vendor table; returns the table's columns (read from its header)."""
    if columns is None:
        return _table_columns(table_cells(text), line, reader)
    row = table_row(columns, text)
    if row is None:
        return columns
    name = unmark(row.pop("name", ""))
    if not name:
        reader.warn(line.number, "vendor table row without a name skipped")
        return columns
    vendor = SourceVendor(name=name, line=line.number)
    marked = {key: value for key, value in row.items() if key and key.startswith(FORMAT_COLUMN)}
    for key, value in row.items():
        if key is not None and key not in marked and unmark(value):
            _set_vendor_field(vendor, key, value, line, reader)
    if marked:  # a column per format, each with a mark
        written = ", ".join(
            f"{key.removeprefix(FORMAT_COLUMN)} {mark}" for key, mark in marked.items()
        )
        _set_vendor_field(vendor, "format_support", written, line, reader)
    vendors.append(vendor)
    return columns


FORMAT_COLUMN = "format:"


def _table_columns(cells: list[str], line: Line, reader: Reader) -> list[str | None]:
    """What each column of a vendor table holds, from its header row: the name, a
    field, or one format's mark (``format:pdf``)."""
    columns: list[str | None] = []
    for cell in cells:
        name = plain(unmark(cell))
        if name in _TABLE_NAME_KEYS:
            columns.append("name")
        elif _FORMAT_NAME.fullmatch(name):
            columns.append(FORMAT_COLUMN + _format_key(name))
        else:
            columns.append(_VENDOR_KEYS.get(name))
    if "name" not in columns:
        reader.warn(line.number, "vendor table without a Vendor column: its rows are skipped")
    return columns


def _vendor_line(content: str, line: Line, reader: Reader) -> SourceVendor | None:
    """A one-line vendor entry: the report's exact line, else a sloppy variant of it."""
    if match := _REPORT_VENDOR.match(line.text):
        return _report_vendor(match, line)
    named = _BOLD_NAME.match(content) or _PLAIN_NAME.match(content)
    name, rest = (unmark(named["name"]), named["rest"]) if named else (unmark(content), "")
    name = name.rstrip(":").strip()
    if not name:
        reader.warn(line.number, "vendor entry without a name skipped")
        return None
    vendor = SourceVendor(name=name, line=line.number)
    for key, value in _vendor_fields(rest.strip(SEPARATORS)):
        if key is None:
            reader.warn(line.number, f"vendor {name}: {value!r} not understood, ignored")
        else:
            _set_vendor_field(vendor, key, value, line, reader)
    return vendor


def _report_vendor(match: re.Match[str], line: Line) -> SourceVendor:
    listed = set(match["formats"].split(", "))
    version = match["version"]
    return SourceVendor(
        name=match["name"],
        line=line.number,
        status=match["status"],
        passing=int(match["passing"]),
        total=int(match["total"]),
        skipped=int(match["skipped"]),
        format_support={name: name in listed for name in FORMATS},
        extractor_version=None if version == "unknown" else version,
        manifest_compliant=match["manifest"] == "compliant",
        given=set(VENDOR_METADATA),
    )


def _vendor_fields(text: str) -> Iterator[tuple[str | None, str]]:
    """``(field, value)`` pieces of a one-line entry: split at "·", dashes, ";" or "|",
    then cut where a field name or status word starts (for comma-separated lines); a
    piece without a name is guessed from its look."""
    for segment in re.split(_STRONG_SEPARATOR, text):
        starts = list(_VENDOR_FIELD_START.finditer(segment))
        lead = segment[: starts[0].start() if starts else len(segment)].strip(SEPARATORS)
        if lead:
            yield _guess_field(lead), lead
        for match, end in _spans(starts, len(segment)):
            value = segment[match.end() : end].strip(SEPARATORS)
            if match["status"]:
                yield "status", match["status"]
            elif value:
                yield _VENDOR_KEYS[match["key"].lower()], value


def _spans(matches: list[re.Match[str]], length: int) -> Iterator[tuple[re.Match[str], int]]:
    """Each match with where the text it introduces ends: at the next match, or the end."""
    ends = [match.start() for match in matches[1:]] + [length]
    yield from zip(matches, ends, strict=False)  # no matches: nothing


def _guess_field(text: str) -> str | None:
    """Which field an unnamed piece of a one-line entry is, from its look."""
    if _TEST_RATIO.search(text) or _count(text, "passing|passed") is not None:
        return "test_results"
    if re.fullmatch(r"[vV]\d+(?:[.-]\w+)*|\d+(?:\.\w+)+", text):  # "v1", "2.1.0", "v3.2-rc1"
        return "extractor_version"
    if _status(text):
        return "status"
    if _FORMAT_NAME.search(text) and not _FORMAT_NAME.sub("", text).strip(SEPARATORS + "()[]/+"):
        return "format_support"  # "excel, csv", "(pdf/ocr)": format names and nothing else
    return None


def _set_vendor_field(
    vendor: SourceVendor, key: str, value: str, line: Line, reader: Reader
) -> None:
    """Sets one metadata field from its written value, or warns that it cannot be read."""
    text = unmark(value)
    if key == "status" and (status := _status(text)):
        vendor.status = status
    elif key == "test_results" and (results := _test_results(text)):
        vendor.passing, vendor.total, vendor.skipped = results
    elif key == "format_support" and (formats := _format_support(text)):
        vendor.format_support = formats
    elif key == "extractor_version" and text:
        vendor.extractor_version = _version(text)
    elif key == "manifest_compliant" and (compliant := truth(text)) is not None:
        vendor.manifest_compliant = compliant
    else:
        label = key.replace("_", " ")
        reader.warn(line.number, f"vendor {vendor.name}: cannot read {label} {value!r}")
        return
    vendor.given.add(key)


def _status(text: str) -> str | None:
    operational, broken = _OPERATIONAL.search(text), _BROKEN.search(text)
    if operational and not broken:
        return "operational"
    if broken and not operational:
        return "broken"
    return None


def _test_results(text: str) -> tuple[int, int, int] | None:
    """``(passing, total, skipped)`` from "45/50 passing (2 skipped)", "45 of 50",
    "passing 45, total 50, skipped 2" or "45 passed, 3 failed, 2 skipped" (whose total
    is the sum); skipped is 0 when not written."""
    skipped = _count(text, "skipped|skip")
    if ratio := _TEST_RATIO.search(text):
        passing: int | None = int(ratio[1])
        total: int | None = int(ratio[2])
    else:
        passing, total = _count(text, "passing|passed|pass"), _count(text, "total|run")
        failed = _count(text, "failing|failed|fail")
        if total is None and passing is not None and failed is not None:
            total = passing + failed + (skipped or 0)
    if passing is None or total is None:
        return None
    return passing, total, skipped or 0


def _count(text: str, words: str) -> int | None:
    match = re.search(rf"(?i)\b(?:{words})\b\s*[:=]?\s*(\d+)|(\d+)\s*(?:{words})\b", text)
    return int(match[1] or match[2]) if match else None


def _format_support(text: str) -> dict[str, bool] | None:
    """Every format, supported or not, from "Excel ✓, PDF ✗" or "excel, csv" or "none"."""
    support = dict.fromkeys(FORMATS, False)
    if NONE.fullmatch(text):
        return support
    names = list(_FORMAT_NAME.finditer(text))
    if not names:
        return None
    for name, end in _spans(names, len(text)):
        mark = text[name.end() : end].strip(SEPARATORS + "()[]/+")
        supported = truth(mark) if mark else True
        if supported is None:
            return None
        support[_format_key(name[1])] = supported
    return support


def _version(text: str) -> str | None:
    """The version as written, less a "v" before a digit; None for "unknown"."""
    if text.lower() in _VERSION_UNKNOWN:
        return None
    return text[1:] if re.match(r"[vV]\d", text) else text


def _format_key(name: str) -> str:
    """The format a name written in the file stands for: "xls" and "xlsx" are excel."""
    name = name.lower()
    return "excel" if name.startswith("xls") else name
