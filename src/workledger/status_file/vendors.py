"""The vendors section: the report's vendor lines and the legacy headings, tables and lines."""

from __future__ import annotations

import re
from collections import Counter
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
from workledger.status_file.vendor_values import (
    FORMAT_NAME,
    FORMATS,
    STATUS_HINT,
    format_key,
    format_support,
    guess_field,
    spans,
    status_of,
    test_results,
    version_of,
)

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
# Where a field starts inside a sloppy one-line entry: a field name, or a run of status
# words that mean nothing else there ("failed" may be a test count, "✅" a manifest).
_VENDOR_FIELD_START = re.compile(
    r"(?i)\b(?P<key>status|test results|tests?|format support|formats?|extractor version"
    r"|version|manifest)\b|(?P<status>(?:(?:\b(?:operational|broken|degraded)\b|🟢|🔴|🟡)\s*)+)"
)
_BOLD_NAME = re.compile(r"^(?:\*\*|__)(?P<name>.+?)(?:\*\*|__)\s*(?P<rest>.*)$")
_PLAIN_NAME = re.compile(r"^(?P<name>[^:·—\u2013;|]+?)\s*(?:[:·—\u2013;|]|\s-\s)\s*(?P<rest>.*)$")
_STRONG_SEPARATOR = re.compile(r"\s*[·—\u2013;|]\s*|\s+-\s+")

_WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*")  # "flaky", "so-so"


def count_vendors(lines: list[Line], census: Census) -> None:
    """The vendor entries as the outline shows them, apart from ``read_vendors``."""
    census.vendors += [entry.line for entry in entries(lines, VENDOR_FIELDS)]


def read_vendors(lines: list[Line], reader: Reader) -> list[SourceVendor]:
    """Vendors in any mix of the three legacy shapes and the report's own lines.

    Shape a is a ``### Name`` heading over ``- Key: value`` bullets; a heading that gets
    no such bullet but is followed by one-line entries or a table was a group label.
    Each vendor also learns which fields its section leads one to expect of it."""
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
    _expect_what_the_section_gives(vendors)
    return vendors


def _expect_what_the_section_gives(vendors: list[SourceVendor]) -> None:
    """An entry outside a table is expected to give what it writes (read or not) and
    every field that each other entry of its section gives: the section's common shape,
    so a bare name among full entries lacks their fields, and a list mixing full and
    partial entries expects only what they share. A table row: its table's columns."""
    giving = Counter(name for vendor in vendors for name in vendor.given)
    # Given by all but one entry: by every other one, unless that one gives it itself.
    common = {name for name, count in giving.items() if count >= len(vendors) - 1}
    for vendor in vendors:
        if vendor.expected is None:
            vendor.expected = vendor.given | vendor.unread.keys() | common


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
    vendor = SourceVendor(name=name, line=line.number, expected=_table_fields(columns))
    marked = {key: value for key, value in row.items() if key and key.startswith(FORMAT_COLUMN)}
    for key, value in row.items():
        if key is not None and key not in marked and unmark(value):
            _set_vendor_field(vendor, key, value, line, reader)
    # A column per format, each with a mark; an empty one leaves the formats not given.
    if marked and all(unmark(mark) for mark in marked.values()):
        written = ", ".join(
            f"{key.removeprefix(FORMAT_COLUMN)} {mark}" for key, mark in marked.items()
        )
        _set_vendor_field(vendor, "format_support", written, line, reader)
    vendors.append(vendor)
    return columns


def _table_fields(columns: list[str | None]) -> set[str]:
    """The fields a vendor table's columns hold: what each of its rows should give."""
    fields = {column for column in columns if column in VENDOR_METADATA}
    if any(column and column.startswith(FORMAT_COLUMN) for column in columns):
        fields.add("format_support")
    return fields


FORMAT_COLUMN = "format:"


def _table_columns(cells: list[str], line: Line, reader: Reader) -> list[str | None]:
    """What each column of a vendor table holds, from its header row: the name, a
    field, or one format's mark (``format:pdf``)."""
    columns: list[str | None] = []
    for cell in cells:
        name = plain(unmark(cell))
        if name in _TABLE_NAME_KEYS:
            columns.append("name")
        elif FORMAT_NAME.fullmatch(name):
            columns.append(FORMAT_COLUMN + format_key(name))
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
    for index, (guessed, value) in enumerate(_vendor_fields(rest.strip(SEPARATORS))):
        # A lone word right after the name stands where the status does: "Acme: flaky".
        lone_word = index == 0 and _WORD.fullmatch(value) is not None
        key = "status" if guessed is None and lone_word else guessed
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


def _vendor_fields(text: str) -> list[tuple[str | None, str]]:
    """``(field, value)`` pieces of a one-line entry, status pieces in a row taken as one
    ("✅ · operational", "⚠️ degraded")."""
    pieces: list[tuple[str | None, str]] = []
    for key, value in _pieces(text):
        if key == "status" and pieces and pieces[-1][0] == "status":
            pieces[-1] = key, f"{pieces[-1][1]} {value}"
        else:
            pieces.append((key, value))
    return pieces


def _pieces(text: str) -> Iterator[tuple[str | None, str]]:
    """``(field, value)`` pieces of a one-line entry: split at "·", dashes, ";" or "|",
    then cut where a field name or status word starts (for comma-separated lines); a
    piece without a name is guessed from its look."""
    for segment in re.split(_STRONG_SEPARATOR, text):
        starts = list(_VENDOR_FIELD_START.finditer(segment))
        lead = segment[: starts[0].start() if starts else len(segment)].strip(SEPARATORS)
        if lead:
            yield guess_field(lead), lead
        for match, end in spans(starts, len(segment)):
            value = segment[match.end() : end].strip(SEPARATORS)
            if match["status"]:
                yield "status", match["status"].strip()
            elif value:
                yield _VENDOR_KEYS[match["key"].lower()], value


def _set_vendor_field(
    vendor: SourceVendor, key: str, value: str, line: Line, reader: Reader
) -> None:
    """Sets one metadata field from its written value, or warns that it cannot be read
    and notes it among the entry's unread fields."""
    text = unmark(value)
    if _read_field(vendor, key, text, line, reader):
        vendor.given.add(key)
        vendor.unread.pop(key, None)
        return
    vendor.unread[key] = text
    if key == "status":
        reader.warn(
            line.number, f'vendor {vendor.name}: cannot read status "{text}": {STATUS_HINT}'
        )
    else:
        label = key.replace("_", " ")
        reader.warn(line.number, f"vendor {vendor.name}: cannot read {label} {value!r}")


def _read_field(vendor: SourceVendor, key: str, text: str, line: Line, reader: Reader) -> bool:
    """Sets one field from its text (markup aside); False when the text does not say."""
    if key == "status" and (status := status_of(text)):
        vendor.status = "broken" if status == "broken" else "operational"
        if status == "degraded":
            reader.warn(
                line.number,
                f'vendor {vendor.name}: status "{text}" imported as operational'
                " (the ledger has no degraded status: a vendor is operational or broken)",
            )
    elif key == "test_results" and (results := test_results(text)):
        vendor.passing, vendor.total, vendor.skipped = results
    elif key == "format_support" and (formats := format_support(text)):
        vendor.format_support = formats
    elif key == "extractor_version" and text:
        vendor.extractor_version = version_of(text)
    elif key == "manifest_compliant" and (compliant := truth(text)) is not None:
        vendor.manifest_compliant = compliant
    else:
        return False
    return True
