"""The vendors of a status file: written first (deployments link to them by name), and
checked twice: every vendor counted, and every vendor's metadata complete and faithful."""

from __future__ import annotations

from workledger.models import Vendor
from workledger.models.vendor import stored_formats
from workledger.repositories.holdings import HoldingsRepository
from workledger.schemas.vendor import VendorCreate
from workledger.services.importer.result import Check, unread
from workledger.services.importer.run import Entry, Run
from workledger.status_file.document import VENDOR_LABELS, SourceVendor, StatusDocument


async def write_vendors(run: Run) -> None:
    """Creates the vendors; ``run.vendor_ids`` then holds the id of each one created."""
    entries = [Entry(vendor.line, vendor_data(vendor)) for vendor in run.document.vendors]
    made = await run.write("vendors", VendorCreate, entries, run.ledger.vendors.create_many)
    run.vendor_ids = {vendor.name: vendor.id for _, vendor in made}


def vendor_data(vendor: SourceVendor) -> dict[str, object]:
    """The VendorCreate input of an entry: the fields it gives, and only those."""
    data: dict[str, object] = {"name": vendor.name}
    if vendor.status is not None:
        data["status"] = vendor.status
    if "test_results" in vendor.given:
        data["test_results"] = {
            "passing": vendor.passing,
            "total": vendor.total,
            "skipped": vendor.skipped or 0,
        }
    if vendor.format_support is not None:
        data["format_support"] = vendor.format_support
    if vendor.extractor_version is not None:
        data["extractor_version"] = vendor.extractor_version
    if vendor.manifest_compliant is not None:
        data["manifest_compliant"] = vendor.manifest_compliant
    return data


async def check_vendor_count(holdings: HoldingsRepository, document: StatusDocument) -> Check:
    stored = await holdings.vendors()
    return Check(
        "vendor count",
        len(document.census.vendors),
        len(stored),
        [f"{v.name}: not imported" for v in document.vendors if v.name not in stored]
        + _unread_vendors(document),
    )


async def check_vendor_metadata(holdings: HoldingsRepository, document: StatusDocument) -> Check:
    stored = await holdings.vendors()
    # The last entry of a name is the one compared: the database holds one per name.
    by_name = {vendor.name: vendor for vendor in document.vendors}
    problems = {name: vendor_problem(source, stored.get(name)) for name, source in by_name.items()}
    return Check(
        "vendor metadata completeness",
        len(document.census.vendors),
        sum(problem is None for problem in problems.values()),
        [problem for problem in problems.values() if problem] + _unread_vendors(document),
    )


def _unread_vendors(document: StatusDocument) -> list[str]:
    read = {vendor.line for vendor in document.vendors}
    return unread(document.census.vendors, read, "not read as a vendor")


def vendor_problem(source: SourceVendor, stored: Vendor | None) -> str | None:
    """Why a vendor's metadata is not complete and faithful, or None: a field its section
    leads one to expect that it does not give (not written, or written unreadably), or
    a field it gives that the database does not hold as written. What it neither gives
    nor is expected to give is the schema's default, and not compared."""
    where = f"line {source.line}: {source.name}"
    if lacking := _lacking(source):
        return f"{where}: {lacking}"
    if stored is None:
        return f"{where}: not imported"
    in_file: dict[str, object] = {
        "status": source.status,
        "test_results": (source.passing, source.total, source.skipped or 0),
        "format_support": source.format_support,
        "extractor_version": source.extractor_version,
        "manifest_compliant": source.manifest_compliant,
    }
    in_database: dict[str, object] = {
        "status": stored.status,
        "test_results": (stored.tests_passing, stored.tests_total, stored.tests_skipped),
        "format_support": stored_formats(stored),
        "extractor_version": stored.extractor_version,
        "manifest_compliant": stored.manifest_compliant,
    }
    differing = [
        VENDOR_LABELS[name]
        for name in VENDOR_LABELS
        if name in source.given and in_file[name] != in_database[name]
    ]
    if differing:
        return f"{where}: the database differs from the file in {', '.join(differing)}"
    return None


def _lacking(source: SourceVendor) -> str:
    """What an entry lacks, said in the labels of the report: "" when nothing."""
    absent = [VENDOR_LABELS[name] for name in source.lacking if name not in source.unread]
    unread = [
        f'{VENDOR_LABELS[name]} "{source.unread[name]}"'
        for name in source.lacking
        if name in source.unread
    ]
    said = []
    if absent:
        said.append(f"the file gives no {', '.join(absent)}")
    if unread:
        said.append(f"cannot read {', '.join(unread)}")
    return "; ".join(said)
