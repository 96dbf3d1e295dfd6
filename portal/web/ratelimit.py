"""Rate limit for the public JSON API: a token bucket per client address, in this worker's memory.

Deliberately per process: no database or network round trip on a performance-sensitive path. With
N workers a client may get up to N times the rate; the limit is there to keep one harvester from
starving everyone else, not to meter exactly.
"""

from __future__ import annotations

import math
import time

from litestar.connection import ASGIConnection
from litestar.exceptions import TooManyRequestsException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from portal.settings import get_settings
from portal.web.client import client_address

__all__ = ["TokenBuckets", "ApiRateLimitMiddleware"]

_MAX_CLIENTS = 50_000  # buckets kept before idle (full) ones are dropped


class TokenBuckets:
    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}  # address -> (tokens, at)

    def take(self, key: str, rate: float, burst: int, now: float) -> float:
        """0 when the request may go ahead; otherwise the seconds until a token is available."""
        tokens, at = self._buckets.get(key, (float(burst), now))
        tokens = min(float(burst), tokens + (now - at) * rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > _MAX_CLIENTS:
                self._prune(rate, burst, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1.0 - tokens) / rate if rate > 0 else 3600.0

    def _prune(self, rate: float, burst: int, now: float) -> None:
        # A bucket that has refilled is the same as no bucket.
        full = [k for k, (t, at) in self._buckets.items() if t + (now - at) * rate >= burst]
        for key in full:
            del self._buckets[key]


class ApiRateLimitMiddleware(ASGIMiddleware):
    def __init__(self) -> None:
        self.buckets = TokenBuckets()

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        settings = get_settings()
        if settings.api_rate_per_second > 0:
            address = client_address(ASGIConnection(scope))
            wait = self.buckets.take(address, settings.api_rate_per_second, settings.api_burst, time.monotonic())
            if wait:
                seconds = max(1, math.ceil(wait))
                raise TooManyRequestsException(
                    detail=f"请求过于频繁，请在 {seconds} 秒后重试", headers={"Retry-After": str(seconds)}
                )
        await next_app(scope, receive, send)
