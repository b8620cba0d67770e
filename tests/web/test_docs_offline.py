"""``/docs`` with no network (docs/reference/rest.md): the OpenAPI UI loads its script and
styles from the server itself. A real browser whose every request to another host fails,
against a real `workledger serve`."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.async_api import Page, Route, expect

from tests.support.servers import HttpServer


async def test_the_openapi_ui_works_with_nothing_but_the_server(
    page: Page, http_server: HttpServer
) -> None:
    ours = urlsplit(http_server.base_url).netloc
    elsewhere: list[str] = []

    async def offline(route: Route) -> None:
        if urlsplit(route.request.url).netloc == ours:
            await route.continue_()
        else:
            elsewhere.append(route.request.url)
            await route.abort("internetdisconnected")

    await page.context.route("**/*", offline)
    await page.goto("/docs")

    operations = page.locator(".swagger-ui .opblock")
    await expect(operations.first).to_be_visible()
    await expect(page.get_by_text("/api/v1/work-items/claim-next")).to_be_visible()
    assert await operations.count() > 20
    assert elsewhere == []
