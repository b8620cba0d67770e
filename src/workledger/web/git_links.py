"""Links to the branch, commit and pull request of a work item, on the forge that hosts
the repository (WORKLEDGER_REPO_DIR's ``origin``), when it is one we know the URLs of."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from workledger.services.git_state import run_git

# scp-like (git@host:owner/repo.git) or URL (https://host/owner/repo, ssh://git@host/...).
_SCP = re.compile(r"^[\w.-]+@(?P<host>[\w.-]+):(?P<path>[^\s]+?)(?:\.git)?/?$")
_URL = re.compile(
    r"^(?:https?|ssh|git)://(?:[^@/\s]+@)?(?P<host>[\w.-]+)(?::\d+)?/(?P<path>[^\s]+?)(?:\.git)?/?$"
)
_remotes: dict[Path, GitLinks] = {}


@dataclass(frozen=True)
class GitLinks:
    """URL patterns of one repository; all None when its forge is unknown."""

    base: str | None = None
    gitlab: bool = False

    def branch(self, name: str | None) -> str | None:
        if not (self.base and name):
            return None
        return f"{self.base}{'/-' if self.gitlab else ''}/tree/{quote(name, safe='/')}"

    def commit(self, sha: str | None) -> str | None:
        if not (self.base and sha):
            return None
        return f"{self.base}{'/-' if self.gitlab else ''}/commit/{quote(sha)}"

    def pull_request(self, number: int | None) -> str | None:
        if not (self.base and number):
            return None
        return (
            f"{self.base}/-/merge_requests/{number}"
            if self.gitlab
            else f"{self.base}/pull/{number}"
        )


def links_for(remote: str | None) -> GitLinks:
    """The links of a remote URL on GitHub or GitLab (any host named gitlab.*)."""
    match = _SCP.match(remote or "") or _URL.match(remote or "")
    if match is None:
        return GitLinks()
    host, path = match["host"].lower(), match["path"]
    if host == "github.com" or host.startswith("gitlab."):
        return GitLinks(base=f"https://{host}/{path}", gitlab=host.startswith("gitlab."))
    return GitLinks()


async def repository_links(repo_dir: Path) -> GitLinks:
    """The links of ``repo_dir``'s origin, read once per process."""
    found = _remotes.get(repo_dir)
    if found is None:
        remote = await run_git(repo_dir, "remote", "get-url", "origin")
        found = _remotes[repo_dir] = links_for(remote.strip() if remote else None)
    return found
