"""Viewer counts sampled while a broadcast is live, and the report built from them.

Sampling asks every live platform whose provider implements
:class:`providers.base.ViewerStats` and stores one :class:`storage.models.ViewerSample` per
platform per round, all with the round's time, so the concurrent total of a round is the sum
of its rows. :func:`AnalyticsService.run_sampler` is a plain asyncio loop for one broadcast;
:meth:`AnalyticsService.sample_live` samples every live broadcast once, for a periodic job.

Chat needs no sampling: every relayed message is in the chat store with its platform and the
time it was sent there, so the report counts messages per platform per minute from it. Link
clicks come from the tracked links (:mod:`bot.services.links`).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.charts import chat_chart, viewers_chart
from bot.messages import display
from providers.base import BroadcastHandle, BroadcastState
from providers.errors import PlatformError
from storage.models import ChatMessageRow, Livestream, ViewerSample

if TYPE_CHECKING:
    from bot.services.context import Services

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 60.0
MINUTE = timedelta(minutes=1)
ACTOR = "golive"
#: how many earlier broadcasts of the workspace a report compares with
COMPARE_WITH = 5


@dataclass(frozen=True)
class PlatformFigures:
    platform: str
    peak: int
    average: float
    samples: int
    clicks: int
    #: chat messages stored for this broadcast from this platform
    chat: int = 0


@dataclass
class BroadcastReport:
    stream_id: str
    title: str
    platforms: list[PlatformFigures]
    #: highest sum over platforms within one sampling round
    peak_total: int
    duration: timedelta | None
    clicks: int
    series: dict[str, list[tuple[datetime, int]]] = field(default_factory=dict)
    #: (broadcasts compared, their average peak total); None without earlier samples
    previous: tuple[int, float] | None = None
    #: chat messages per platform per minute (minute start, count), minutes without chat as 0
    chat_series: dict[str, list[tuple[datetime, int]]] = field(default_factory=dict)

    @property
    def chat(self) -> int:
        return sum(n for points in self.chat_series.values() for _, n in points)

    def lines(self) -> list[str]:
        out = []
        for f in self.platforms:
            chat = f" · chat {f.chat}" if self.chat_series else ""
            if f.samples:
                out.append(
                    f"  {display(f.platform)} viewers: peak {f.peak} · average {f.average:.0f}"
                    f" ({f.samples} sample{'s' * (f.samples != 1)}){chat}"
                )
            else:
                out.append(f"  {display(f.platform)} viewers: no samples{chat}")
        out.append(self._chat_line())
        length = _duration(self.duration) if self.duration is not None else "—"
        out.append(f"  viewers at peak (all platforms): {self.peak_total} · duration {length}")
        if self.previous is not None:
            count, average = self.previous
            change = f" ({(self.peak_total - average) / average:+.0%})" if average > 0 else ""
            out.append(
                f"  compared with the {count} previous broadcast{'s' * (count != 1)}: "
                f"peak {self.peak_total} vs {average:.0f} on average{change}"
            )
        else:
            out.append("  no earlier broadcast with viewer samples to compare with")
        return out

    def _chat_line(self) -> str:
        if not self.chat_series:
            return "  chat: no messages stored"
        per_minute: Counter[datetime] = Counter()
        for points in self.chat_series.values():
            for minute, n in points:
                per_minute[minute] += n
        busiest, most = max(per_minute.items(), key=lambda item: (item[1], -item[0].timestamp()))
        return (
            f"  chat: {self.chat} message{'s' * (self.chat != 1)} · busiest minute "
            f"{busiest:%H:%M} UTC with {most}"
        )

    def text(self) -> str:
        """The post-stream report as one post: heading, figures, clicks per platform."""
        clicks = " · ".join(f"{display(f.platform)} {f.clicks}" for f in self.platforms)
        return "\n".join(
            [
                f"Report · Broadcast {self.stream_id} · “{self.title}” has ended",
                *self.lines(),
                f"  clicks: {clicks} ({self.clicks} in all)",
            ]
        )

    def chart(self) -> bytes:
        """The PNG: viewers over time, one line per platform that has samples."""
        series = {display(p): points for p, points in self.series.items()}
        return viewers_chart(f"Viewers · {self.title}", series)

    def chat_chart(self) -> bytes:
        """The PNG: chat messages per minute, one line per platform with chat."""
        series = {display(p): points for p, points in self.chat_series.items()}
        return chat_chart(f"Chat messages per minute · {self.title}", series)

    def files(self) -> list[tuple[str, bytes]]:
        """(file name, PNG) to upload: the viewers chart, and the chat chart when there was
        chat. Rendering takes a moment: call it in a worker thread."""
        files = [(f"golive-{self.stream_id}-viewers.png", self.chart())]
        if self.chat_series:
            files.append((f"golive-{self.stream_id}-chat.png", self.chat_chart()))
        return files


def _primary_first(stream: Livestream):
    return lambda row: (row.platform != stream.primary_platform, row.position)


def _in_order(series: dict[str, list[tuple[datetime, int]]], order: list[str]):
    """``series`` with the platforms in ``order``, any others after them."""
    known = [p for p in order if p in series]
    return {p: series[p] for p in known + sorted(set(series) - set(known))}


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def sample_interval(services: Services) -> float:
    """``GOLIVE_SAMPLE_INTERVAL`` seconds (default 60; at least 5, platforms count quota)."""
    raw = services.settings.environment.get("GOLIVE_SAMPLE_INTERVAL")
    try:
        value = float(raw) if raw else DEFAULT_INTERVAL
    except ValueError:
        log.warning("GOLIVE_SAMPLE_INTERVAL=%r is not a number; using %s", raw, DEFAULT_INTERVAL)
        value = DEFAULT_INTERVAL
    return max(5.0, value)


class AnalyticsService:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def sample(
        self, workspace: str, stream_id: str, *, at: datetime | None = None
    ) -> dict[str, int]:
        """One round: viewers per live platform that reports them; stored and returned.

        A platform that fails to answer is skipped this round (logged), never fatal."""
        stream = await self.services.livestreams.get(workspace, stream_id)
        at = at or datetime.now(UTC)
        live = [r for r in stream.platforms if r.status == BroadcastState.LIVE.value]

        async def one(row) -> tuple[str, int | None]:
            try:
                provider = await self.services.connections.provider(
                    workspace, row.platform, actor=ACTOR, operation="sample viewers"
                )
            except PlatformError as exc:
                log.info("viewers of %s on %s: %s", stream.id, row.platform, exc)
                return row.platform, None
            counter = getattr(provider, "viewer_count", None)
            if counter is None:
                return row.platform, None
            handle = BroadcastHandle(
                remote_id=row.remote_id or "",
                state=BroadcastState(row.status),
                watch_url=row.watch_url,
                data=dict(row.data or {}),
            )
            try:
                return row.platform, await counter(handle)
            except PlatformError as exc:
                log.info("viewers of %s on %s: %s", stream.id, row.platform, exc)
                return row.platform, None

        results = await asyncio.gather(*(one(r) for r in live))
        counts = {platform: n for platform, n in results if n is not None}
        if counts:
            async with self.services.db.transaction() as session:
                for platform, viewers in counts.items():
                    session.add(
                        ViewerSample(
                            livestream_id=stream.id, platform=platform, at=at, viewers=viewers
                        )
                    )
                    self.services.metrics.viewer_samples.labels(platform).inc()
        return counts

    async def live(self) -> list[tuple[str, str]]:
        """(workspace, broadcast id) of every live broadcast."""
        async with self.services.db.sessions() as session:
            rows = await session.execute(
                select(Livestream.workspace, Livestream.id).where(Livestream.status == "live")
            )
            return [(workspace, stream_id) for workspace, stream_id in rows]

    async def sample_live(self) -> int:
        """Sample every live broadcast of every workspace once; how many were sampled."""
        rows = await self.live()
        for workspace, stream_id in rows:
            await self.sample(workspace, stream_id)
        return len(rows)

    async def run_sampler(
        self, workspace: str, stream_id: str, interval: float | None = None
    ) -> int:
        """Sample every ``interval`` seconds while the broadcast is live; rounds taken.

        Returns when the broadcast is no longer live (or on cancellation)."""
        interval = sample_interval(self.services) if interval is None else interval
        rounds = 0
        while True:
            stream = await self.services.livestreams.get(workspace, stream_id)
            if stream.status != "live":
                return rounds
            await self.sample(workspace, stream_id)
            rounds += 1
            await asyncio.sleep(interval)

    async def samples(self, stream_id: str) -> list[ViewerSample]:
        async with self.services.db.sessions() as session:
            rows = await session.execute(
                select(ViewerSample)
                .where(ViewerSample.livestream_id == stream_id)
                .order_by(ViewerSample.at, ViewerSample.platform)
            )
            return list(rows.scalars())

    async def _peak_total(self, stream_id: str) -> tuple[int, int]:
        """(peak concurrent total, number of samples) of one broadcast."""
        rounds: Counter[datetime] = Counter()
        samples = await self.samples(stream_id)
        for s in samples:
            rounds[s.at] += s.viewers
        return (max(rounds.values()) if rounds else 0), len(samples)

    async def report(self, workspace: str, stream_id: str | None) -> BroadcastReport:
        stream = await self.services.livestreams.get(workspace, stream_id)
        samples = await self.samples(stream.id)
        series: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
        for s in samples:
            series[s.platform].append((s.at, s.viewers))
        chat_series = await self.chat_per_minute(stream.id)
        chat = {p: sum(n for _, n in points) for p, points in chat_series.items()}
        counts = await self.services.links.clicks("broadcast", stream.id)
        clicks: Counter[str] = Counter()
        for (platform, _), n in counts.items():
            clicks[platform] += n
        figures = []
        for row in stream.platforms:
            points = series.get(row.platform, [])
            values = [v for _, v in points]
            figures.append(
                PlatformFigures(
                    row.platform,
                    max(values, default=0),
                    sum(values) / len(values) if values else 0.0,
                    len(values),
                    clicks[row.platform],
                    chat.get(row.platform, 0),
                )
            )
        peak_total, _ = await self._peak_total(stream.id)
        # the broadcast's platform order (primary first) in both charts: same colour each
        order = [r.platform for r in sorted(stream.platforms, key=_primary_first(stream))]
        rounds = sorted({s.at for s in samples})  # every platform of a round shares its time
        duration = rounds[-1] - rounds[0] if len(rounds) > 1 else None
        return BroadcastReport(
            stream_id=stream.id,
            title=stream.title,
            platforms=figures,
            peak_total=peak_total,
            duration=duration,
            clicks=sum(clicks.values()),
            series=_in_order(series, order),
            previous=await self._previous(stream),
            chat_series=_in_order(chat_series, order),
        )

    async def chat_per_minute(self, stream_id: str) -> dict[str, list[tuple[datetime, int]]]:
        """Stored chat messages per platform per minute (by the time sent on the platform),
        every platform over the same minutes from the first message to the last."""
        async with self.services.db.sessions() as session:
            rows = await session.execute(
                select(ChatMessageRow.platform, ChatMessageRow.sent_at).where(
                    ChatMessageRow.broadcast_id == stream_id
                )
            )
            counts: dict[str, Counter[datetime]] = defaultdict(Counter)
            for platform, sent_at in rows:
                minute = sent_at.astimezone(UTC).replace(second=0, microsecond=0)
                counts[platform][minute] += 1
        if not counts:
            return {}
        first = min(min(c) for c in counts.values())
        last = max(max(c) for c in counts.values())
        minutes = [first + timedelta(minutes=i) for i in range(int((last - first) // MINUTE) + 1)]
        return {p: [(m, c[m]) for m in minutes] for p, c in sorted(counts.items())}

    async def _previous(self, stream: Livestream) -> tuple[int, float] | None:
        async with self.services.db.sessions() as session:
            earlier = (
                await session.execute(
                    select(Livestream.id)
                    .where(
                        Livestream.workspace == stream.workspace,
                        Livestream.created_at < stream.created_at,
                    )
                    .order_by(Livestream.created_at.desc())
                    .limit(COMPARE_WITH * 4)
                )
            ).scalars()
            ids = list(earlier)
        peaks = []
        for other in ids:
            peak, n = await self._peak_total(other)
            if n:
                peaks.append(peak)
            if len(peaks) == COMPARE_WITH:
                break
        if not peaks:
            return None
        return len(peaks), sum(peaks) / len(peaks)
