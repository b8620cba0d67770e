"""429 problems for the REST auth routes, from the shared per-address limiter
(workledger.http.rate_limit)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from workledger.api.problems import problem
from workledger.http.rate_limit import RateLimited


class RateLimitedRoute(APIRoute):
    """A route whose RateLimited refusals become 429 problems with Retry-After."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def limited(request: Request) -> Response:
            try:
                return await handle(request)
            except RateLimited as exc:
                return problem(
                    429,
                    "rate_limited",
                    f"too many requests from your address; retry in {exc.retry_after} s",
                    headers={"Retry-After": str(exc.retry_after)},
                    retry_after=exc.retry_after,
                )

        return limited
