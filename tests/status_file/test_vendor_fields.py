"""The one table of vendor fields: every name it gives a field is read as that field."""

from __future__ import annotations

import pytest

from workledger.status_file.document import VENDOR_METADATA_FIELDS
from workledger.status_file.parser import parse_status_file

VALUES = {
    "status": "operational",
    "test_results": "45/50 passing",
    "format_support": "excel, csv",
    "extractor_version": "2.1.0",
    "manifest_compliant": "yes",
}


@pytest.mark.parametrize(
    ("written", "name"),
    [
        (written, vendor_field.name)
        for vendor_field in VENDOR_METADATA_FIELDS
        for written in (vendor_field.label, *vendor_field.aliases)
    ],
)
def test_every_label_and_alias_reads_as_its_field(written: str, name: str) -> None:
    text = f"## Vendors\n\n### Acme Bank\n- {written.title()}: {VALUES[name]}\n"

    [vendor] = parse_status_file(text, source="s.md").vendors

    assert vendor.given == {name}


def test_a_vendor_missing_fields_names_them_by_their_report_labels() -> None:
    text = "## Vendors\n\n### Acme Bank\n- Status: operational\n"

    [vendor] = parse_status_file(text, source="s.md").vendors

    labels = {f.name: f.label for f in VENDOR_METADATA_FIELDS}
    assert [labels[name] for name in vendor.missing] == ["tests", "formats", "version", "manifest"]
