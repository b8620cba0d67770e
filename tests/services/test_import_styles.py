"""Hand-kept status files in eight styles: each imports to the same records, and an entry
that cannot be read fails its check, naming the line."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.services.test_import import holdings, outcome, run_import
from tests.support.status_styles import (
    DEPLOYMENTS,
    ENHANCEMENTS,
    FORMATS,
    KINDS,
    SESSIONS,
    STYLES,
    VENDORS,
    render,
)
from workledger.container import Container
from workledger.errors import ValidationError
from workledger.schemas.common import Actor
from workledger.schemas.deployment import DeploymentListQuery
from workledger.schemas.enhancement import EnhancementListQuery
from workledger.schemas.work_item import WorkItemListQuery
from workledger.status_file.parser import parse_status_file

# Which check an unreadable entry of each kind fails.
CHECK_OF = {
    "vendor": "vendor metadata completeness",
    "deployment": "deployment history (every PR)",
    "enhancement": "enhancement count",
    "session": "session prompt count",
}


def expected() -> dict[str, Any]:
    """The data set, as the ledger should hold it after any style's import."""
    return {
        "vendors": {
            (
                v.name,
                v.status,
                v.passing,
                v.total,
                v.skipped,
                v.version,
                v.manifest,
                *(name in v.formats for name in FORMATS),
            )
            for v in VENDORS
        },
        "deployments": {
            (
                d.pr,
                d.title,
                d.commit,
                d.at.isoformat(),
                tuple(sorted(d.vendors)),
                d.compliant,
                *sorted(d.tests.items()),
            )
            for d in DEPLOYMENTS
        },
        "enhancements": {(e.title, e.priority, e.status, e.quarter) for e in ENHANCEMENTS},
        "sessions": {(s.title, s.token_budget, s.prompts_count, s.body) for s in SESSIONS},
    }


async def stored(container: Container, actor: Actor) -> dict[str, Any]:
    vendors = (await container.vendors.list(actor=actor)).vendors
    deployments = await container.deployments.list(
        actor=actor, query=DeploymentListQuery.load({"limit": 100})
    )
    enhancements = await container.enhancements.list(
        actor=actor, query=EnhancementListQuery.load({"limit": 100})
    )
    sessions = await container.work_items.list(
        actor=actor, query=WorkItemListQuery.load({"item_type": "session", "limit": 100})
    )
    full = [await container.work_items.get(actor=actor, item_id=s.id) for s in sessions.items]
    return {
        "vendors": {
            (
                v.name,
                v.status,
                v.test_results.passing,
                v.test_results.total,
                v.test_results.skipped,
                v.extractor_version,
                v.manifest_compliant,
                *(getattr(v.format_support, name) for name in FORMATS),
            )
            for v in vendors
        },
        "deployments": {
            (
                d.pr_number,
                d.pr_title,
                d.commit_hash,
                d.deployed_at.replace(tzinfo=None).isoformat(),
                tuple(sorted(v.name for v in d.affected_vendors)),
                d.constitutional_compliance,
                *sorted(d.test_summary.items()),
            )
            for d in deployments.items
        },
        "enhancements": {
            (e.title, e.priority, e.status, e.target_quarter) for e in enhancements.items
        },
        "sessions": {
            (
                s.title,
                (s.metadata or {}).get("token_budget"),
                (s.metadata or {}).get("prompts_count"),
                s.description,
            )
            for s in full
        },
    }


@pytest.mark.parametrize("style", list(STYLES))
async def test_every_style_imports_to_the_same_records(
    container: Container, actor: Actor, style: str
) -> None:
    text, _ = render(STYLES[style])

    result = await run_import(container, actor, parse_status_file(text, source="status.md"))

    assert outcome(result) == {
        "vendor count": (5, 5, True),
        "deployment history (every PR)": (3, 3, True),
        "enhancement count": (3, 3, True),
        "session prompt count": (3, 3, True),
        "vendor metadata completeness": (5, 5, True),
    }, result.warnings
    assert result.committed
    assert await stored(container, actor) == expected()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("style", list(STYLES))
async def test_an_unreadable_entry_fails_its_check_and_names_its_line(
    container: Container, actor: Actor, style: str, kind: str
) -> None:
    text, line = render(STYLES[style], broken=kind)

    result = await run_import(container, actor, parse_status_file(text, source="status.md"))

    assert not result.committed
    failed = {c.name: c for c in result.checks if not c.passed}
    assert CHECK_OF[kind] in failed, outcome(result)
    assert any(p.startswith(f"line {line}:") for p in failed[CHECK_OF[kind]].problems), failed[
        CHECK_OF[kind]
    ].problems
    assert any(w.line >= (line or 0) for w in result.warnings)
    assert await holdings(container, actor) == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "the file is empty"),
        ("\n  \n", "the file is empty"),
        ("# Notes\n\nJust prose.\n\n## Ideas\n\nMore prose.\n", "no section was recognised"),
        ("## Vendors\n\nNone yet.\n", re.escape("its sections 'Vendors' (line 1) hold no entry")),
    ],
)
async def test_a_file_with_nothing_to_import_is_refused(
    container: Container, actor: Actor, text: str, says: str
) -> None:
    with pytest.raises(ValidationError, match=says):
        await run_import(container, actor, parse_status_file(text, source="status.md"))
    assert await holdings(container, actor) == (0, 0, 0, 0)
