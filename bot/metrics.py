"""golive's Prometheus metrics, served as text by ``GET /metrics``.

One registry per process (not the library's global one, so tests that start several
``Services`` do not collide). Platform calls are counted by an httpx response hook on the
shared client every :class:`providers.http.PlatformHttp` uses, so providers count nothing
themselves: each answer is attributed to the platform whose API base URL it was sent to.

Code that has no :class:`~bot.services.context.Services` at hand (the chat relay, moderation)
records through the module functions :func:`relay_lag` and :func:`moderated`: they write to
the process's metrics, the :class:`Metrics` made last (a process runs one ``Services``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

import httpx
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "Metrics", "moderated", "relay_lag"]

#: seconds from a chat message on its platform to its relayed post: live chat should feel live
LAG_BUCKETS = (0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0)

_process: Metrics | None = None


def outcome(status: int) -> str:
    if status < 400:
        return "ok"
    if status == 401:
        return "auth_error"
    if status == 429:
        return "rate_limited"
    if status >= 500:
        return "server_error"
    return "client_error"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.commands = Counter(
            "golive_commands",
            "Chat and console commands handled, by command, adapter (slack, discord, console) "
            "and outcome.",
            ["command", "adapter", "outcome"],
            registry=self.registry,
        )
        self.platform_calls = Counter(
            "golive_platform_calls",
            "Platform API answers, by platform and outcome "
            "(ok, client_error, auth_error, rate_limited, server_error).",
            ["platform", "outcome"],
            registry=self.registry,
        )
        self.retries = Counter(
            "golive_platform_retryable_answers",
            "Platform answers golive retries (429 and 5xx); the last attempt included.",
            ["platform"],
            registry=self.registry,
        )
        self.broadcasts_live = Gauge(
            "golive_broadcasts_live", "Broadcasts currently live.", registry=self.registry
        )
        self.viewer_samples = Counter(
            "golive_viewer_samples",
            "Viewer counts sampled, by platform.",
            ["platform"],
            registry=self.registry,
        )
        self.connection_problems = Counter(
            "golive_connection_problems_notified",
            "Connection problems admins were told about, by platform and problem.",
            ["platform", "problem"],
            registry=self.registry,
        )
        self.relay_lag = Histogram(
            "golive_chat_relay_lag_seconds",
            "Delay from a chat message on its platform to golive's post of it in a thread, "
            "by chat (slack, discord) and platform.",
            ["chat", "platform"],
            buckets=LAG_BUCKETS,
            registry=self.registry,
        )
        self.moderated = Counter(
            "golive_chat_messages_moderated",
            "Moderation actions on chat messages, by platform, action, actor kind (rule, person) "
            "and result (done, held, refused, unsupported, failed).",
            ["platform", "action", "actor", "result"],
            registry=self.registry,
        )
        global _process
        _process = self

        # the built-in relay (docs/relay.md); gauges are refreshed by ``samplers`` on a scrape
        self.relay_connected = Gauge(
            "golive_relay_destination_connected",
            "1 while the relay's copy reaches the destination, by broadcast and destination.",
            ["broadcast", "destination"],
            registry=self.registry,
        )
        self.relay_bitrate = Gauge(
            "golive_relay_destination_bitrate_bits",
            "Bits per second the relay sends to the destination (last few seconds).",
            ["broadcast", "destination"],
            registry=self.registry,
        )
        self.relay_reconnects = Counter(
            "golive_relay_reconnects",
            "Destination outputs the relay restarted after a drop, refusal or stall.",
            ["destination"],
            registry=self.registry,
        )
        self.relay_refused = Counter(
            "golive_relay_publishes_refused",
            "Encoder publishes refused (unknown_key, already_publishing).",
            ["reason"],
            registry=self.registry,
        )
        self.relay_encoders = Gauge(
            "golive_relay_encoders_publishing",
            "Encoders publishing into the relay now.",
            registry=self.registry,
        )
        self.samplers: list[Callable[[], None]] = []

    def count_command(self, command: str, ok: bool, adapter: str = "console") -> None:
        self.commands.labels(command, adapter, "ok" if ok else "refused").inc()

    def record_answer(self, platform: str, status: int | None) -> None:
        """``status`` None: the platform did not answer (timeout, connection refused)."""
        label = "unreachable" if status is None else outcome(status)
        self.platform_calls.labels(platform, label).inc()
        if status is None or status == 429 or status >= 500:
            self.retries.labels(platform).inc()

    def hook(self, platform_of: Callable[[httpx.URL], str | None]):
        """An httpx response event hook counting answers of known platform URLs."""

        async def on_response(response: httpx.Response) -> None:
            platform = platform_of(response.request.url)
            if platform is not None:
                self.record_answer(platform, response.status_code)

        return on_response

    def render(self) -> bytes:
        for sample in self.samplers:
            sample()
        return generate_latest(self.registry)


def relay_lag(chat: str, lines: Iterable[tuple[str, datetime]], posted: datetime) -> None:
    """Record (platform, sent at) of each line relayed in one post made at ``posted``."""
    if _process is None:
        return
    for platform, sent_at in lines:
        delay = max(0.0, (posted - sent_at).total_seconds())
        _process.relay_lag.labels(chat, platform).observe(delay)


def moderated(platform: str, action: str, actor: str, result: str) -> None:
    """Count one moderation action; ``actor`` is "rule:<name>" or a person ("slack:U1")."""
    if _process is None:
        return
    kind = "rule" if actor.startswith("rule:") else "person"
    _process.moderated.labels(platform, action, kind, result.split(":", 1)[0]).inc()
