"""The one place golive makes HTTP clients for platforms.

Every provider gets a :class:`PlatformHttp` from here, which adds what each platform call needs
and no provider should write again: timeouts, a pacer that keeps us under the platform's
documented request rate (aiolimiter, one per platform and account), retries with exponential
backoff and jitter on 429 / 5xx / timeouts honouring ``Retry-After`` (tenacity), one token
refresh on a 401, and mapping of the platform's error JSON into :mod:`providers.errors` with
the platform's own message kept.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import httpx
from aiolimiter import AsyncLimiter
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from providers.base import Credentials, OnRefresh
from providers.errors import (
    AuthExpired,
    InvalidRequest,
    PlatformError,
    RateLimited,
    Unavailable,
)

log = logging.getLogger(__name__)

USER_AGENT = "golive/0.1 (+https://github.com/golive)"
DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)


@dataclass(frozen=True)
class ErrorInfo:
    """What a platform's error body said; ``kind`` forces a class (e.g. YouTube's 403 quota)."""

    message: str
    code: str | None = None
    kind: type[PlatformError] | None = None
    #: seconds to wait when the platform says so outside ``Retry-After`` (Twitch's
    #: ``Ratelimit-Reset``); ``Retry-After`` still wins when both are present
    retry_after: float | None = None


ErrorParser = Callable[[httpx.Response], ErrorInfo]


def generic_error(response: httpx.Response) -> ErrorInfo:
    """Fallback parser: a ``message`` field anywhere near the top, else the status line."""
    try:
        body = response.json()
    except ValueError:
        return ErrorInfo(f"HTTP {response.status_code} {response.reason_phrase}".strip())
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            message = inner.get("message") or inner.get("error_description")
            code = inner.get("code") or inner.get("reason")
            if message:
                return ErrorInfo(str(message), str(code) if code is not None else None)
        elif isinstance(inner, str):
            return ErrorInfo(str(body.get("error_description") or body.get("message") or inner))
    return ErrorInfo(f"HTTP {response.status_code}")


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds, HTTP-date or ISO 8601."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    now = time.time() if now is None else now
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def map_error(platform: str, response: httpx.Response, parser: ErrorParser) -> PlatformError:
    """Turn an error response into the error tree, keeping the platform's own words."""
    info = parser(response)
    status = response.status_code
    kw: dict[str, Any] = {"code": info.code, "status": status}
    if info.kind is RateLimited or status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if retry_after is None:
            retry_after = info.retry_after
        return RateLimited(platform, info.message, retry_after=retry_after, **kw)
    if info.kind is not None:
        return info.kind(platform, info.message, **kw)
    if status == 401:
        return AuthExpired(platform, info.message, **kw)
    if status >= 500:
        return Unavailable(platform, info.message, **kw)
    return InvalidRequest(platform, info.message, **kw)


class TokenSource(Protocol):
    async def token(self) -> str | None: ...

    async def refresh(self, stale: str | None) -> str: ...


Refresher = Callable[[Credentials], Awaitable[Credentials]]


class StoredToken:
    """Bearer token from a stored connection, refreshed at most once per stale token.

    Ten concurrent calls that all hit a 401 with the same token make one refresh: the lock
    serialises them and the ones behind it find the token already replaced.
    """

    def __init__(
        self,
        platform: str,
        credentials: Credentials,
        refresher: Refresher | None = None,
        on_refresh: OnRefresh | None = None,
        skew: timedelta = timedelta(seconds=60),
        *,
        renewable: bool = False,
    ) -> None:
        """``renewable``: the refresher needs no refresh token (a client-credentials grant
        simply asks again), so a missing or expired token is fetched rather than fatal."""
        self.platform = platform
        self._renewable = renewable
        self.credentials = credentials
        self._refresher = refresher
        self._on_refresh = on_refresh
        self._skew = skew
        self._lock = asyncio.Lock()
        self.refresh_count = 0

    def _current(self) -> str | None:
        tok = self.credentials.access_token
        return tok.get_secret_value() if tok else None

    async def token(self) -> str | None:
        exp = self.credentials.expires_at
        stale = exp is not None and exp - self._skew <= datetime.now(UTC)
        missing = self._renewable and self._current() is None
        if self._refresher and (stale or missing):
            return await self.refresh(self._current())
        return self._current()

    async def refresh(self, stale: str | None) -> str:
        async with self._lock:
            current = self._current()
            if current is not None and current != stale:
                return current
            can_refresh = self._renewable or self.credentials.refresh_token is not None
            if self._refresher is None or not can_refresh:
                raise AuthExpired(self.platform, "the access token expired and cannot be refreshed")
            fresh = await self._refresher(self.credentials)
            self.refresh_count += 1
            self.credentials = fresh
            if self._on_refresh is not None:
                await self._on_refresh(fresh)
            token = self._current()
            if token is None:
                raise AuthExpired(self.platform, "the token endpoint returned no access token")
            return token


class StaticToken:
    """A token that cannot be refreshed (API keys, app tokens)."""

    def __init__(self, platform: str, value: str | None) -> None:
        self.platform = platform
        self._value = value

    async def token(self) -> str | None:
        return self._value

    async def refresh(self, stale: str | None) -> str:
        raise AuthExpired(self.platform, "the token was rejected and cannot be refreshed")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    initial_wait: float = 0.5
    max_wait: float = 20.0

    def wait(self, retry_state: Any) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            return min(exc.retry_after, self.max_wait)
        backoff = wait_exponential_jitter(
            multiplier=self.initial_wait, max=self.max_wait, jitter=self.initial_wait
        )
        return backoff(retry_state)


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, RateLimited) and exc.retry_after is not None:
        # A platform that asks for a longer pause than we are willing to hold a user for.
        return exc.retry_after <= 60
    return isinstance(exc, PlatformError) and exc.transient


class Pacers:
    """One limiter per (platform, account), created on first use."""

    def __init__(self) -> None:
        self._limiters: dict[tuple[str, str], AsyncLimiter] = {}

    def get(self, platform: str, account: str, rate: tuple[int, float]) -> AsyncLimiter:
        key = (platform, account)
        if key not in self._limiters:
            self._limiters[key] = AsyncLimiter(rate[0], rate[1])
        return self._limiters[key]


def make_client(
    *,
    timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """The single httpx client constructor; no redirects followed, a fixed User-Agent."""
    return httpx.AsyncClient(
        timeout=timeout,
        transport=transport,
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
    )


class PlatformHttp:
    """A platform's API client: base URL, auth, pacing, retries and error mapping."""

    def __init__(
        self,
        platform: str,
        base_url: str,
        *,
        client: httpx.AsyncClient | None = None,
        token: TokenSource | None = None,
        parse_error: ErrorParser = generic_error,
        pacer: AsyncLimiter | None = None,
        retry: RetryPolicy | None = None,
        auth_scheme: str = "Bearer",
        extra_headers: dict[str, str] | None = None,
    ) -> None:
        self.platform = platform
        self.base_url = base_url.rstrip("/")
        self._own_client = client is None
        self.client = client or make_client()
        self.token = token
        self.parse_error = parse_error
        self.pacer = pacer
        self.retry = retry or RetryPolicy()
        self.auth_scheme = auth_scheme
        self.extra_headers = extra_headers or {}

    def __repr__(self) -> str:
        return f"PlatformHttp(platform={self.platform!r}, base_url={self.base_url!r})"

    async def aclose(self) -> None:
        if self._own_client:
            await self.client.aclose()

    def url(self, path: str) -> str:
        return (
            path
            if path.startswith(("http://", "https://"))
            else f"{self.base_url}/{path.lstrip('/')}"
        )

    async def _send_once(
        self, method: str, path: str, token: str | None, **kw: Any
    ) -> httpx.Response:
        headers = {**self.extra_headers, **(kw.pop("headers", None) or {})}
        if token is not None:
            headers["Authorization"] = f"{self.auth_scheme} {token}"
        if self.pacer is not None:
            await self.pacer.acquire()
        try:
            response = await self.client.request(method, self.url(path), headers=headers, **kw)
        except httpx.TimeoutException as exc:
            raise Unavailable(self.platform, "the platform did not answer in time") from exc
        except httpx.TransportError as exc:
            raise Unavailable(
                self.platform, f"could not reach the platform ({type(exc).__name__})"
            ) from exc
        if response.status_code >= 400:
            raise map_error(self.platform, response, self.parse_error)
        return response

    async def _send(self, method: str, path: str, **kw: Any) -> httpx.Response:
        token = await self.token.token() if self.token else None
        try:
            return await self._send_once(method, path, token, **dict(kw))
        except AuthExpired:
            if self.token is None:
                raise
            log.info("%s: token rejected, refreshing once", self.platform)
            token = await self.token.refresh(token)
            return await self._send_once(method, path, token, **dict(kw))

    async def request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """Send with retries on transient failures; raises a :class:`PlatformError` otherwise."""
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(self.retry.attempts),
            wait=self.retry.wait,
            retry=retry_if_exception(_is_transient),
            reraise=True,
        ):
            with attempt:
                response = await self._send(method, path, **kw)
        return response

    async def json(self, method: str, path: str, **kw: Any) -> Any:
        response = await self.request(method, path, **kw)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise Unavailable(
                self.platform, "the platform answered with something that is not JSON"
            ) from exc
