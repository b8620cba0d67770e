"""Browser fixtures: Debian's Chromium driven by Playwright, against a real
`workledger serve` on the test's database (the e2e servers), as a fresh account.

Without Chromium these tests skip with a notice; under WORKLEDGER_REQUIRE_BROWSER=1
(as .ci/run sets it) a missing browser fails them instead."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

# The same real `workledger serve` per database as the end-to-end tests.
from tests.e2e.conftest import http_server, http_servers  # noqa: F401
from tests.support.servers import Account, HttpServer, new_account
from workledger.container import Container
from workledger.web.session import SESSION_COOKIE

CHROMIUM = os.environ.get("WORKLEDGER_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# As the machine notes say: no sandbox as root, and nothing that reaches for the network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct horse battery"
# What the live-update tests wait for at most (docs/reference/web.md: within 2 s).
LIVE_TIMEOUT_MS = 2000


def _require_browser() -> None:
    if Path(CHROMIUM).exists():
        return
    message = f"Chromium not found at {CHROMIUM}: apt-get install -y chromium"
    if os.environ.get("WORKLEDGER_REQUIRE_BROWSER") == "1":
        pytest.fail(f"WORKLEDGER_REQUIRE_BROWSER=1 but {message}")
    pytest.skip(f"BROWSER TESTS SKIPPED: {message}")


@pytest.fixture
async def person(container: Container) -> Account:
    """A fresh account with a password, to sign in as."""
    return await new_account(container, "person", password=PASSWORD)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    _require_browser()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def page(browser: Browser, http_server: HttpServer) -> AsyncIterator[Page]:  # noqa: F811
    context = await browser.new_context(
        base_url=http_server.base_url, viewport={"width": 1280, "height": 800}
    )
    opened = await context.new_page()
    try:
        yield opened
    finally:
        await context.close()


async def sign_in(page: Page, account: Account, *, path: str = "/") -> None:
    """Open ``path`` signed in as ``account``, its session cookie set as signing in sets
    it. (The sign-in form has tests of its own: going through it every time would spend
    the per-address budget that sign-in shares with the token route.)"""
    await page.goto("/sign-in")  # the server's address, for the cookie
    await page.context.add_cookies(
        [
            {
                "name": SESSION_COOKIE,
                "value": account.jwt,
                "url": page.url,
                "httpOnly": True,
                "sameSite": "Lax",
            }
        ]
    )
    await page.goto(path)
