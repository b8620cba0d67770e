"""Which remotes get links on the item and overview pages, and what the links are."""

from __future__ import annotations

import pytest

from workledger.web.git_links import links_for


@pytest.mark.parametrize(
    "remote",
    [
        "git@github.com:acme/ledger.git",
        "https://github.com/acme/ledger.git",
        "https://github.com/acme/ledger",
        "ssh://git@github.com/acme/ledger.git",
        "https://token@github.com/acme/ledger.git/",
    ],
)
def test_github_remotes_in_every_spelling_link_to_the_same_pages(remote: str) -> None:
    links = links_for(remote)
    assert links.branch("feat/web") == "https://github.com/acme/ledger/tree/feat/web"
    assert links.commit("ab" * 20) == f"https://github.com/acme/ledger/commit/{'ab' * 20}"
    assert links.pull_request(42) == "https://github.com/acme/ledger/pull/42"


def test_gitlab_uses_its_own_paths() -> None:
    links = links_for("git@gitlab.example.com:team/ledger.git")
    assert links.branch("main") == "https://gitlab.example.com/team/ledger/-/tree/main"
    assert links.pull_request(7) == "https://gitlab.example.com/team/ledger/-/merge_requests/7"


@pytest.mark.parametrize("remote", [None, "", "/srv/git/ledger.git", "git@example.org:x/y.git"])
def test_no_links_without_a_forge_we_know(remote: str | None) -> None:
    links = links_for(remote)
    assert (links.branch("main"), links.commit("a" * 40), links.pull_request(1)) == (None,) * 3
