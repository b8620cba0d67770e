"""Deployments: linked to the vendors and work items imported before them, a short
commit hash made full from the git history of WORKLEDGER_REPO_DIR, and checked PR by PR
against every PR the file's deployments name."""

from __future__ import annotations

import uuid

from workledger.repositories.holdings import HoldingsRepository
from workledger.schemas.deployment import DeploymentCreate
from workledger.services.importer.result import Check
from workledger.services.importer.run import Entry, Run
from workledger.status_file.document import StatusDocument

FULL_HASH = 40  # hex digits


async def write_deployments(run: Run) -> None:
    # Oldest first, and among equal times the one listed last first: the ids then
    # break ties the way the report lists them (newest id first).
    listed = sorted(
        enumerate(run.document.deployments), key=lambda pair: (pair[1].deployed_at, -pair[0])
    )
    full = await run.ledger.deployments.full_commit_hashes(
        [d.commit_hash for d in run.document.deployments if len(d.commit_hash) < FULL_HASH]
    )
    entries = []
    for _, deployment in listed:
        for name in deployment.vendor_names:
            if name not in run.vendor_ids:
                run.warn(deployment.line, f"vendor {name!r} was not imported; link dropped")
        for short in deployment.work_item_short_ids:
            if short not in run.work_item_ids:
                run.warn(deployment.line, f"work item `{short}` was not imported; link dropped")
        data = {
            "pr_number": deployment.pr_number,
            "pr_title": deployment.pr_title,
            # A short hash git does not know (or no git at all): kept as written.
            "commit_hash": full.get(deployment.commit_hash, deployment.commit_hash),
            "deployed_at": deployment.deployed_at,
            "test_summary": deployment.test_summary,
            "constitutional_compliance": deployment.constitutional_compliance,
            "vendor_ids": _known(deployment.vendor_names, run.vendor_ids),
            "work_item_ids": _known(deployment.work_item_short_ids, run.work_item_ids),
        }
        entries.append(Entry(deployment.line, data))
    await run.write("deployments", DeploymentCreate, entries, run.ledger.deployments.record_many)


def _known(keys: list[str], ids: dict[str, uuid.UUID]) -> list[uuid.UUID]:
    return list(dict.fromkeys(ids[key] for key in keys if key in ids))


async def check_deployment_history(holdings: HoldingsRepository, document: StatusDocument) -> Check:
    """Every PR a deployment entry names recorded, and no entry without a PR."""
    census = document.census
    recorded = await holdings.deployment_prs()
    return Check(
        "deployment history (every PR)",
        len(census.deployment_prs),
        len(recorded),
        [
            f"line {line}: PR #{pr} not recorded"
            for pr, line in sorted(census.deployment_prs.items())
            if pr not in recorded
        ]
        + [f"line {line}: a deployment that names no PR" for line in census.deployments_without_pr],
    )
