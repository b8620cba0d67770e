"""Commit hashes over MCP: 7 to 40 hex digits, short or full; a short hash and its full
one for the same PR are one commit, recorded once."""

from __future__ import annotations

from tests.support.mcp import Connect, call, commit, field_names, refused, total
from workledger.schemas.common import Actor


async def test_a_seven_digit_hash_is_taken_and_six_or_41_are_refused(
    connect: Connect, actor: Actor
) -> None:
    async with connect(actor) as client:
        short = await call(
            client, "record_deployment", pr_number=1, pr_title="Short", commit_hash="ABCDEF1"
        )
        item = await call(
            client, "create_work_item", item_type="task", title="t", commit_hash="abcdef1"
        )
        for written in ("abcdef", "a" * 41):
            for tool, args in (
                ("record_deployment", {"pr_number": 2, "pr_title": "t"}),
                ("create_work_item", {"item_type": "task", "title": "t"}),
            ):
                error = await refused(client, tool, args, commit_hash=written)
                assert field_names(error) == ["commit_hash"], (tool, written)

        assert (short["commit_hash"], item["commit_hash"]) == ("abcdef1", "abcdef1")
        assert await total(client, "list_deployments") == 1


async def test_a_full_hash_after_its_short_one_for_the_same_pr_is_a_conflict(
    connect: Connect, actor: Actor
) -> None:
    full = "abcdef1" + commit(1)[7:]
    async with connect(actor) as client:
        short = await call(
            client, "record_deployment", pr_number=7, pr_title="Ship", commit_hash=full[:7]
        )

        error = await refused(
            client, "record_deployment", pr_number=7, pr_title="Ship", commit_hash=full
        )

        assert error["error"] == "conflict"
        assert (error["commit_hash"], error["deployment_id"]) == ("abcdef1", short["id"])
        assert await total(client, "list_deployments") == 1
