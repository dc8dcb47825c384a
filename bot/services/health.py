"""Connection health: refresh tokens ahead of expiry, probe, mark, tell admins once.

:meth:`HealthService.check_all` is what a periodic job runs (the check interval is the
oldest any shown status can be). For each stored connection it

1. refreshes an OAuth token that expires within ``refresh_ahead`` through the platform's
   token endpoint, so nobody meets an expired token mid-broadcast;
2. makes one cheap authenticated call where the platform has one (``PROBES``): the only
   way to learn that a platform revoked a token that has not reached its expiry;
3. stores the outcome as the connection's status and reason (``connected``, ``expired`` or
   ``broken``), shown by ``/platforms``;
4. tells admins through every registered notifier, once per problem: a problem stays open
   (``connection_notices``) until a check finds the connection healthy again.

Transient failures (timeouts, 5xx, rate limits) leave the status as it was: a platform
having a bad minute is not a broken connection.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from bot.messages import display
from providers import provider_class
from providers.base import AuthStyle, Credentials
from providers.errors import AuthExpired, PlatformError
from providers.oauth import OAuthFlow
from storage.models import Connection, ConnectionNotice

if TYPE_CHECKING:
    from bot.services.context import Services

log = logging.getLogger(__name__)

ACTOR = "golive health"
DEFAULT_REFRESH_AHEAD = timedelta(minutes=15)
DEFAULT_INTERVAL = 300.0

#: one cheap authenticated read per platform (method, path under the API base, params)
PROBES: dict[str, tuple[str, str, dict[str, str]]] = {
    # liveBroadcasts.list costs 1 quota unit
    "youtube": ("GET", "liveBroadcasts", {"part": "id", "mine": "true", "maxResults": "1"}),
    # Get Users without parameters: the user the token belongs to
    "twitch": ("GET", "users", {}),
}


@dataclass(frozen=True)
class HealthNotice:
    """What admins are told; ``reconnect`` is the command a button or link runs."""

    workspace: str
    platform: str
    problem: str  # "expired", "broken" or "refresh refused"
    reason: str

    @property
    def reconnect(self) -> str:
        return f"/platforms connect {self.platform}"

    @property
    def text(self) -> str:
        return (
            f"{display(self.platform)} connection {self.problem}: {self.reason}. "
            f"Reconnect with {self.reconnect}"
        )


Notifier = Callable[[HealthNotice], Awaitable[None]]


@dataclass(frozen=True)
class CheckResult:
    workspace: str
    platform: str
    status: str
    reason: str | None = None
    refreshed: bool = False
    notified: bool = False


class HealthService:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.notifiers: list[Notifier] = []
        self.refresh_ahead = DEFAULT_REFRESH_AHEAD
        #: chat connections as adapters report them ("slack" -> "connected"), for /healthz
        self.chat: dict[str, str] = {}
        self._chat_probes: dict[str, Callable[[], Awaitable[str]]] = {}

    def add_notifier(self, notifier: Notifier) -> None:
        self.notifiers.append(notifier)

    def report_chat(self, chat: str, status: str) -> None:
        self.chat[chat] = status

    def probe_chat(self, chat: str, probe: Callable[[], Awaitable[str]]) -> None:
        """A chat whose connection is asked at each ``/healthz`` (Slack's Socket Mode client
        knows; no event tells golive when it drops)."""
        self._chat_probes[chat] = probe

    async def chat_status(self) -> dict[str, str]:
        """Each chat adapter's connection, for ``/healthz``."""
        statuses = dict(self.chat)
        for chat, probe in self._chat_probes.items():
            try:
                statuses[chat] = await probe()
            except Exception as exc:  # a health page never fails on one chat
                statuses[chat] = f"unknown ({type(exc).__name__})"
        return statuses

    def interval(self) -> float:
        """``GOLIVE_HEALTH_INTERVAL`` seconds between checks (default 300, at least 30)."""
        raw = self.services.settings.environment.get("GOLIVE_HEALTH_INTERVAL")
        try:
            value = float(raw) if raw else DEFAULT_INTERVAL
        except ValueError:
            log.warning(
                "GOLIVE_HEALTH_INTERVAL=%r is not a number; using %s", raw, DEFAULT_INTERVAL
            )
            value = DEFAULT_INTERVAL
        return max(30.0, value)

    async def run_checks(self, interval: float | None = None) -> None:
        """Check every connection, then again every ``interval`` seconds, until cancelled.

        A plain loop for a process without the scheduler; the scheduler runs
        :meth:`check_all` as a job instead, in one process only."""
        interval = self.interval() if interval is None else interval
        while True:
            await self.check_all()
            await asyncio.sleep(interval)

    async def check_all(self) -> list[CheckResult]:
        async with self.services.db.sessions() as session:
            rows = (
                await session.execute(
                    select(Connection.workspace, Connection.platform).order_by(Connection.id)
                )
            ).all()
        results = []
        for workspace, platform in rows:
            try:
                results.append(await self.check(workspace, platform))
            except Exception:  # one odd connection must not stop the others' checks
                log.exception("health check of %s failed", platform)
        return results

    async def check(self, workspace: str, platform: str) -> CheckResult:
        outcome = await self._probe(workspace, platform)
        if outcome is None:  # transient: keep what was known
            row = await self._load(workspace, platform)
            status = row.status if row else "disconnected"
            return CheckResult(workspace, platform, status, row.last_error if row else None)
        status, reason, problem, refreshed = outcome
        await self.services.connections.mark(workspace, platform, status, reason)
        notified = False
        if problem is None:
            await self._resolve(workspace, platform)
        else:
            notified = await self._notify_once(
                HealthNotice(workspace, platform, problem, reason or problem)
            )
        return CheckResult(workspace, platform, status, reason, refreshed, notified)

    async def _load(self, workspace: str, platform: str) -> Connection | None:
        async with self.services.db.sessions() as session:
            return (
                await session.execute(
                    select(Connection).where(
                        Connection.workspace == workspace, Connection.platform == platform
                    )
                )
            ).scalar_one_or_none()

    async def _credentials(self, workspace: str, platform: str) -> tuple[Connection, Credentials]:
        async with self.services.db.transaction() as session:
            row = (
                await session.execute(
                    select(Connection).where(
                        Connection.workspace == workspace, Connection.platform == platform
                    )
                )
            ).scalar_one()
            raw = self.services.vault.decrypt(
                session,
                row.credentials_enc,
                what=f"connection:{platform}",
                operation="health check",
                actor=ACTOR,
            )
        return row, Credentials.from_json(json.loads(raw))

    async def _probe(
        self, workspace: str, platform: str
    ) -> tuple[str, str | None, str | None, bool] | None:
        """(status, reason, problem, refreshed), or None when the platform was unreachable."""
        connections = self.services.connections
        style = connections.style(platform)
        row, credentials = await self._credentials(workspace, platform)
        now = datetime.now(UTC)
        expires = credentials.expires_at
        if style is AuthStyle.STREAM_KEY:
            if expires is not None and expires <= now:
                reason = f"the stream key expired at {expires:%Y-%m-%d %H:%M} UTC"
                return "expired", reason, "expired", False
            return "connected", None, None, False
        if style is not AuthStyle.OAUTH_PKCE:
            return "connected", None, None, False
        refreshed = False
        warning: str | None = None
        if expires is not None and expires - self.refresh_ahead <= now:
            config = self.services.platform_config(platform)
            try:
                fresh = await OAuthFlow(provider_class(platform), config).refresh(credentials)
            except AuthExpired as exc:
                if expires <= now:
                    return "expired", _reason(exc), "expired", False
                warning = (
                    f"the token expires at {expires:%Y-%m-%d %H:%M} UTC and {display(platform)} "
                    f"refused to renew it ({exc.message})"
                )
            except PlatformError as exc:
                if not exc.transient:
                    return "broken", _reason(exc), "broken", False
                return None
            else:
                await connections.save(
                    workspace, platform, fresh, user_id=row.connected_by, label=row.account_label
                )
                refreshed = True
        probe = PROBES.get(platform)
        if probe is not None:
            try:
                provider: Any = await connections.provider(
                    workspace, platform, actor=ACTOR, operation="health check"
                )
                method, path, params = probe
                await provider.http.request(method, path, params=params)
            except AuthExpired as exc:
                return "expired", _reason(exc), "expired", refreshed
            except PlatformError as exc:
                if exc.transient:
                    return None
                return "broken", _reason(exc), "broken", refreshed
        if warning is not None:
            return "connected", warning, "refresh refused", refreshed
        return "connected", None, None, refreshed

    async def _notify_once(self, notice: HealthNotice) -> bool:
        """Tell admins unless this problem is already open; True when told now."""
        async with self.services.db.transaction() as session:
            open_rows = (
                await session.execute(
                    select(ConnectionNotice).where(
                        ConnectionNotice.workspace == notice.workspace,
                        ConnectionNotice.platform == notice.platform,
                        ConnectionNotice.resolved_at.is_(None),
                    )
                )
            ).scalars()
            now = datetime.now(UTC)
            for row in open_rows:
                if row.problem == notice.problem:
                    return False
                row.resolved_at = now  # a different problem replaces it
            session.add(
                ConnectionNotice(
                    workspace=notice.workspace,
                    platform=notice.platform,
                    problem=notice.problem,
                    reason=notice.reason,
                    notified_at=now,
                )
            )
        log.warning("%s", notice.text)
        self.services.metrics.connection_problems.labels(notice.platform, notice.problem).inc()
        for notifier in self.notifiers:
            try:
                await notifier(notice)
            except Exception:  # a chat that is down must not stop the health check
                log.exception("a notifier failed for %s", notice.platform)
        return True

    async def _resolve(self, workspace: str, platform: str) -> None:
        async with self.services.db.transaction() as session:
            rows = (
                await session.execute(
                    select(ConnectionNotice).where(
                        ConnectionNotice.workspace == workspace,
                        ConnectionNotice.platform == platform,
                        ConnectionNotice.resolved_at.is_(None),
                    )
                )
            ).scalars()
            for row in rows:
                row.resolved_at = datetime.now(UTC)


def _reason(exc: PlatformError) -> str:
    return exc.message or type(exc).__name__
