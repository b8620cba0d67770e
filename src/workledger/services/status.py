"""The project status report (``.project_status.md``), rendered from one consistent read."""

from __future__ import annotations

import json
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from jinja2 import Environment, PackageLoader, StrictUndefined

from workledger.db.types import utcnow
from workledger.db.unit_of_work import Database
from workledger.models.vendor import stored_formats
from workledger.models.work_item import short_id
from workledger.repositories.readiness import holds_back
from workledger.repositories.status import (
    DeploymentRow,
    DetailRow,
    EnhancementRow,
    LinkedItemRow,
    SpendRow,
    StatusRepository,
    TreeEdge,
    TreeRow,
    VendorRow,
)
from workledger.schemas.common import Actor
from workledger.schemas.spend import MICROS, Spent, usd
from workledger.schemas.status import StatusCounts, StatusReport
from workledger.services.common import Service
from workledger.services.read_cache import ReadCache
from workledger.status_file.document import VENDOR_LABELS

LATEST_DEPLOYMENTS = 10


def _oneline(text: str) -> str:
    return " ".join(text.splitlines()) if "\n" in text or "\r" in text else text


def _refs(items: list[LinkedItemRow]) -> str:
    ordered = sorted(items, key=lambda i: (i.title, short_id(i.id)))
    return ", ".join(f"`{short_id(i.id)}` {_oneline(i.title)}" for i in ordered) or "none"


def supported_formats(vendor: VendorRow) -> str:
    """The formats a vendor row supports, comma-separated, as the report writes them."""
    formats = [name for name, supported in stored_formats(vendor).items() if supported]
    return ", ".join(formats) or "none"


def said_tags(tags: list[str]) -> str:
    """``api, docs``; a JSON list when a tag holds what a plain list would lose."""
    plain = all(
        tag.strip() == tag
        and tag[:1] != "["
        and ", " not in tag
        and " · " not in tag
        and tag.isprintable()
        for tag in tags
    )
    return ", ".join(tags) if plain else json.dumps(tags, ensure_ascii=False)


def detail_lines(row: DetailRow | None, spent_by: list[SpendRow]) -> list[str]:
    """The lines below an item's line in the report: branch, commit and pull request;
    who logged what on it; metadata as JSON; the description quoted line by line (as
    one JSON string when a line of it ends in white space, which a quote would lose)."""
    lines = []
    if row is not None and (codes := _code_references(row)):
        lines.append(codes)
    if spent_by:
        lines.append("spent by " + "; ".join(_logged(share) for share in spent_by))
    if row is not None and row.item_metadata:
        lines.append(f"metadata {json.dumps(row.item_metadata, ensure_ascii=False)}")
    if row is not None and row.description is not None:
        text = row.description
        if any(line != line.rstrip() for line in text.split("\n")) or "\r" in text:
            lines.append(f"description {json.dumps(text, ensure_ascii=False)}")
        else:
            lines.extend(f"> {line}" if line else ">" for line in text.split("\n"))
    return lines


def _code_references(row: DetailRow) -> str:
    """``branch `feat/x` · commit `abc1234` · PR #12``, the parts the item has."""
    codes = []
    if row.branch_name is not None:
        branch = row.branch_name
        plain = "`" not in branch and branch.isprintable() and branch.strip() == branch
        codes.append(f"branch `{branch}`" if plain else f"branch {json.dumps(branch)}")
    if row.commit_hash is not None:
        codes.append(f"commit `{row.commit_hash}`")
    if row.pr_number is not None:
        codes.append(f"PR #{row.pr_number}")
    return " · ".join(codes)


def _logged(share: SpendRow) -> str:
    """``ada@example.com via claude-code: 2 entries, 25 min, $1.50``"""
    who = f"{share.account} via {share.client}" if share.account else share.client
    entries = f"{share.entries:,} entr{'y' if share.entries == 1 else 'ies'}"
    amounts = Spent.of(share.minutes, share.tokens, share.cost_micros).said()
    return f"{who}: {entries}" + (f", {amounts}" if amounts else "")


_templates = Environment(
    loader=PackageLoader("workledger", "templates"),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    autoescape=False,  # markdown, not HTML
)
_templates.filters.update(
    supported=supported_formats,
    tally=lambda summary: (
        ", ".join(f"{name} {count}" for name, count in sorted(summary.items())) or "none"
    ),
    timestamp=lambda at: at.strftime("%Y-%m-%d %H:%M:%S UTC"),
    oneline=_oneline,
    short_id=short_id,
    refs=_refs,
    spent=lambda row: Spent.on(row).said(),
    usd=lambda micros: usd(micros / MICROS),
    cell=lambda text: _oneline(text).replace("|", "\\|"),  # within a table's cell
    tags=said_tags,
)
_templates.globals["detail_lines"] = detail_lines
# A vendor's fields are written under the labels the parser reads them by.
_templates.globals["label"] = VENDOR_LABELS
_report = _templates.get_template("status.md.j2")


# Stands for the generation time in a cached render; NUL never occurs in stored text.
_GENERATED = "\x00generated\x00"


@dataclass(frozen=True)
class StatusData:
    """What the report shows, read in one transaction: the rows, as plain tuples."""

    counts: StatusCounts
    vendors: list[VendorRow]
    # Every live item, in tree order, and their dependency edges.
    work_items: list[TreeRow]
    edges: list[TreeEdge]
    deployments: list[DeploymentRow]
    earlier_deployments: list[DeploymentRow]
    linked_vendors: dict[uuid.UUID, list[str]]
    linked_items: dict[uuid.UUID, list[LinkedItemRow]]
    enhancements: list[EnhancementRow]
    # How many comments each live item has: only those with any.
    comments: dict[uuid.UUID, int]
    # The work log summed by who logged it, the costliest first.
    spend: list[SpendRow]
    # The other fields of the live items that have any, and who logged what on each:
    # read for the report only.
    details: dict[uuid.UUID, DetailRow]
    spent_by: dict[uuid.UUID, list[SpendRow]]

    @cached_property
    def total_spend(self) -> SpendRow:
        """Everyone's spend together."""
        rows = self.spend
        return SpendRow(
            client="everyone",
            account=None,
            entries=sum(row.entries for row in rows),
            minutes=sum(row.minutes for row in rows),
            tokens=sum(row.tokens for row in rows),
            cost_micros=sum(row.cost_micros for row in rows),
        )

    @cached_property
    def waiting_on(self) -> dict[uuid.UUID, list[TreeRow]]:
        """What holds each active item back (its ``blocked_by``, ``readiness``): the rows
        of those dependencies, by short id. Only live items are read, so a deleted
        dependency is not among them, as it holds nothing back."""
        rows = {row.id: row for row in self.work_items}
        waiting: dict[uuid.UUID, list[TreeRow]] = defaultdict(list)
        for edge in sorted(self.edges, key=lambda edge: short_id(edge.depends_on_id)):
            item, blocker = rows.get(edge.work_item_id), rows.get(edge.depends_on_id)
            if item is None or blocker is None or item.status != "active":
                continue
            if holds_back(status=blocker.status, deleted=blocker.deleted_at is not None):
                waiting[item.id].append(blocker)
        return dict(waiting)


class StatusService(Service):
    def __init__(self, db: Database, *, read_cache: ReadCache) -> None:
        super().__init__(db)
        self._read_cache = read_cache

    async def report(self, *, actor: Actor, at: datetime | None = None) -> StatusReport:
        """The report as of now (or as stamped ``at``): two renders of the same data match.

        The render is cached until the next commit, like the other read models; only the
        generation time is filled in per call."""
        body, counts = await self._read_cache.get_or_load(
            ("status", actor.ledger_id), lambda: self._render(actor)
        )
        generated_at = at or utcnow()
        markdown = body.replace(_GENERATED, f"{generated_at:%Y-%m-%d %H:%M:%S} UTC", 1)
        return StatusReport(markdown=markdown, generated_at=generated_at, counts=counts)

    async def data(self, *, actor: Actor) -> StatusData:
        """The report's rows (for the web overview, tree and board), cached like the
        render until the next commit."""
        return await self._read_cache.get_or_load(
            ("status-data", actor.ledger_id), lambda: self._read(actor)
        )

    async def _read(self, actor: Actor, *, details: bool = False) -> StatusData:
        """Plain rows of just the shown columns: the report reads nearly everything, so
        it skips the ORM objects and read models. ``details``: also what the report
        carries of each item beyond what the pages show."""
        async with self.db.transaction(write=False) as session:
            repo = StatusRepository(session, ledger_id=actor.ledger_id)
            vendors = await repo.vendors()
            tree, edges = await repo.live_tree()
            history = await repo.deployments()
            latest = history[:LATEST_DEPLOYMENTS]
            linked_vendors, linked_items = await repo.deployment_links([d.id for d in latest])
            enhancements = await repo.pending_enhancements()
            comments = await repo.comment_counts()
            spend = await repo.spend_by_actor()
            other_fields = await repo.live_details() if details else {}
            spent_by = await repo.spend_by_item_and_actor() if details else {}
        return StatusData(
            counts=_counts(vendors, tree, len(history), len(enhancements)),
            vendors=vendors,
            work_items=tree,
            edges=edges,
            deployments=latest,
            earlier_deployments=history[LATEST_DEPLOYMENTS:],
            linked_vendors=linked_vendors,
            linked_items=linked_items,
            enhancements=enhancements,
            comments=comments,
            spend=spend,
            details=other_fields,
            spent_by=spent_by,
        )

    async def _render(self, actor: Actor) -> tuple[str, StatusCounts]:
        data = await self._read(actor, details=True)
        body = _report.render(
            generated_at=_GENERATED,
            counts=data.counts,
            vendors=data.vendors,
            work_items=data.work_items,
            depends_on=_depends_on(data.edges, live={row.id for row in data.work_items}),
            waiting_on={
                item_id: ", ".join(f"`{short_id(row.id)}` ({row.status})" for row in rows)
                for item_id, rows in data.waiting_on.items()
            },
            deployments=data.deployments,
            linked_vendors=data.linked_vendors,
            linked_items=data.linked_items,
            earlier_deployments=data.earlier_deployments,
            enhancements=data.enhancements,
            comments=data.comments,
            spend=data.spend,
            total_spend=data.total_spend,
            details=data.details,
            spent_by=data.spent_by,
        )
        return body, data.counts


def _counts(
    vendors: list[VendorRow], tree: list[TreeRow], deployments: int, pending: int
) -> StatusCounts:
    by_status = Counter(row.status for row in tree)
    operational = sum(v.status == "operational" for v in vendors)
    return StatusCounts(
        work_items=len(tree),
        work_items_active=by_status["active"],
        work_items_blocked=by_status["blocked"],
        work_items_completed=by_status["completed"],
        vendors=len(vendors),
        vendors_operational=operational,
        vendors_broken=len(vendors) - operational,
        deployments=deployments,
        enhancements_pending=pending,
        session_prompts=sum(row.item_type == "session" for row in tree),
    )


def _depends_on(edges: list[TreeEdge], *, live: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Each item's dependencies on live items, as the report writes them."""
    written: dict[uuid.UUID, list[str]] = defaultdict(list)
    for item_id, target, kind in sorted(edges, key=lambda edge: short_id(edge[1])):
        if target in live:
            written[item_id].append(
                f"`{short_id(target)}`" + (" (blocks)" if kind == "blocks" else "")
            )
    return {item_id: ", ".join(targets) for item_id, targets in written.items()}
