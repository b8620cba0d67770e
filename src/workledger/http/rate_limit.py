"""Per-address request limits for the unauthenticated sign-in routes (REST signup and
token, the web sign-in form).

In memory and per process: enough to slow password guessing and signup floods from one
address; a deployment with several workers gets one budget per worker."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import Request

DEFAULT_REQUESTS = 10
DEFAULT_WINDOW_SECONDS = 60.0
# Past this many tracked (route, address) keys, idle ones are dropped before adding more.
MAX_KEYS = 10_000
STATE_ATTRIBUTE = "auth_rate_limiter"


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many requests; retry in {retry_after} s")
        self.retry_after = retry_after


@dataclass
class SlidingWindowLimiter:
    """At most ``requests`` hits per key within any ``window_seconds``."""

    requests: int = DEFAULT_REQUESTS
    window_seconds: float = DEFAULT_WINDOW_SECONDS
    clock: Callable[[], float] = time.monotonic
    max_keys: int = MAX_KEYS
    _hits: dict[str, deque[float]] = field(default_factory=dict, init=False, repr=False)

    def hit(self, key: str) -> None:
        """Count one request for ``key``, or raise RateLimited without counting it."""
        now = self.clock()
        hits = self._hits.get(key)
        if hits is None:
            self._make_room(now)
            hits = self._hits[key] = deque()
        while hits and hits[0] <= now - self.window_seconds:
            hits.popleft()
        if len(hits) >= self.requests:
            raise RateLimited(max(1, math.ceil(hits[0] + self.window_seconds - now)))
        hits.append(now)

    def _make_room(self, now: float) -> None:
        if len(self._hits) < self.max_keys:
            return
        horizon = now - self.window_seconds
        for key in [k for k, hits in self._hits.items() if not hits or hits[-1] <= horizon]:
            del self._hits[key]
        while len(self._hits) >= self.max_keys:  # all busy: forget the oldest keys
            del self._hits[next(iter(self._hits))]


def limiter_of(request: Request) -> SlidingWindowLimiter:
    """The app's limiter: ``app.state.auth_rate_limiter`` when set, else a default one."""
    state = request.app.state
    limiter: SlidingWindowLimiter | None = getattr(state, STATE_ATTRIBUTE, None)
    if limiter is None:
        limiter = SlidingWindowLimiter()
        setattr(state, STATE_ATTRIBUTE, limiter)
    return limiter


def rate_limit(request: Request) -> None:
    """Dependency: count this request against its route and client address."""
    address = request.client.host if request.client else "unknown"
    route = getattr(request.scope.get("route"), "path", request.url.path)
    limiter_of(request).hit(f"{request.method} {route} {address}")
