"""Session prompts, from the status file's section and the prompt files beside it:
each a ``session`` work item, its frontmatter kept as metadata."""

from __future__ import annotations

from workledger.repositories.holdings import HoldingsRepository
from workledger.schemas.strict import as_integer
from workledger.schemas.work_item import WorkItemCreate
from workledger.services.importer.result import Check, unread
from workledger.services.importer.run import Entry, Run
from workledger.status_file.document import SourceSession, StatusDocument

MAX_DESCRIPTION = 10_000
SESSION_STATUSES = ("active", "completed", "blocked")
# What an imported session prompt's status is when its frontmatter does not say: the
# prompts of a hand-kept file are past sessions.
SESSION_DEFAULT_STATUS = "completed"
# The counts a person writes in YAML as 8000, 8000.0 or "8000".
_COUNTS = ("token_budget", "prompts_count")


async def write_sessions(run: Run) -> None:
    entries = [Entry(p.line, _session_data(run, p), p.source) for p in run.document.sessions]
    await run.write("sessions", WorkItemCreate, entries, run.ledger.work_items.create_many)


def _session_data(run: Run, prompt: SourceSession) -> dict[str, object]:
    frontmatter = prompt.frontmatter
    metadata = {"yaml_frontmatter": frontmatter} | {
        key: as_integer(frontmatter[key], digits=True)
        for key in _COUNTS
        if frontmatter.get(key) is not None  # `key:` with nothing after it
    }
    status = frontmatter.get("status")
    if len(prompt.body) > MAX_DESCRIPTION:
        message = f"prompt text cut to its first {MAX_DESCRIPTION:,} characters"
        run.warn(prompt.line, message, source=prompt.source)
    return {
        "item_type": "session",
        "title": prompt.title,
        "description": prompt.body[:MAX_DESCRIPTION] or None,
        "status": status if status in SESSION_STATUSES else SESSION_DEFAULT_STATUS,
        "metadata": metadata,
    }


async def check_session_count(holdings: HoldingsRepository, document: StatusDocument) -> Check:
    """The prompts of the file's section, of the prompt files, and the report's own
    ``[session]`` items, against the live session items."""
    census, prompts = document.census, document.sessions
    in_file = {p.line for p in prompts if p.source == document.source}
    from_files = {p.source for p in prompts}
    return Check(
        "session prompt count",
        len(census.sessions) + len(census.session_files) + len(census.work_item_sessions),
        await holdings.live_session_count(),
        unread(census.sessions, in_file, "session prompt not read")
        + [
            f"{path}: session prompt not read"
            for path in census.session_files
            if path not in from_files
        ],
    )
