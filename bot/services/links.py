"""Tracked join links, their clicks, and the member watch page's state.

Every posted platform link is ``{GOLIVE_PUBLIC_URL}/go/{id}``: one random id (128 bits) per
platform of a broadcast or meeting, made once and reused by every view. A click stores the
platform, the item, the time and where the link was posted (``?s=slack|discord|page``) and
nothing about the person. The platform's own URL is looked up at click time, so an early post
still leads to the right place, and an ended broadcast leads to its recording when one is
stored (``data["recording_url"]`` on the platform row). Host start links are never tracked.
"""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.messages import display
from bot.views import linkable
from storage.models import (
    LinkClick,
    Livestream,
    LivestreamPlatform,
    Meeting,
    MeetingPlatform,
    TrackedLink,
    WatchPage,
)

if TYPE_CHECKING:
    from bot.services.context import Services

SOURCES = frozenset({"slack", "discord", "page"})

Item = Livestream | Meeting
Row = LivestreamPlatform | MeetingPlatform


def new_link_id() -> str:
    return secrets.token_urlsafe(16)  # 128 bits, 22 characters


def new_slug() -> str:
    return secrets.token_urlsafe(9)  # 72 bits: pages are shared, but not found by guessing


def kind_of(item: Item) -> str:
    return "broadcast" if isinstance(item, Livestream) else "meeting"


def platform_url(row: Row) -> str | None:
    return row.watch_url if isinstance(row, LivestreamPlatform) else row.join_url


def recording_url(row: Row) -> str | None:
    url = (row.data or {}).get("recording_url")
    return url if isinstance(url, str) and url.startswith("https://") else None


@dataclass(frozen=True)
class Tracking:
    """The tracked URL of each platform and the watch page URL of one item."""

    urls: dict[str, str]
    page_url: str
    ids: dict[str, str]
    slug: str

    def page_hrefs(self) -> dict[str, str]:
        """Links from golive's own pages (``/live/…`` and ``/go/…``): relative, so they work on
        any host name and under a path prefix."""
        return {platform: f"../go/{link_id}?s=page" for platform, link_id in self.ids.items()}


@dataclass(frozen=True)
class Destination:
    """Where a click on ``/go/{id}`` goes: a redirect, or a page saying why not."""

    redirect: str | None = None
    title: str = ""
    reason: str = ""
    alternatives: tuple[tuple[str, str], ...] = ()  # (label, URL), primary first
    page_url: str | None = None
    status: int = 200


@dataclass(frozen=True)
class Button:
    platform: str
    label: str
    primary: bool
    state: str
    state_label: str
    enabled: bool
    href: str | None
    reason: str | None


@dataclass(frozen=True)
class WatchState:
    kind: str
    title: str
    phase: str  # "scheduled", "live", "ended", "cancelled", "in progress"
    phase_label: str
    start: datetime | None
    buttons: tuple[Button, ...]

    @property
    def alternatives(self) -> tuple[Button, ...]:
        return tuple(b for b in self.buttons if b.enabled)

    def as_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "title": self.title,
            "phase": self.phase,
            "phase_label": self.phase_label,
            "start": self.start.isoformat() if self.start else None,
            "platforms": [
                {
                    "platform": b.platform,
                    "label": b.label,
                    "primary": b.primary,
                    "state": b.state,
                    "state_label": b.state_label,
                    "enabled": b.enabled,
                    "href": b.href,
                    "reason": b.reason,
                }
                for b in self.buttons
            ],
        }


STATE_LABELS = {
    "pending": "getting ready",
    "ready": "ready",
    "created": "ready",
    "live": "live now",
    "ended": "ended",
    "failed": "unavailable",
    "cancelled": "cancelled",
}


def _ordered(item: Item) -> list[Row]:
    rows: list[Row] = list(item.platforms)
    return sorted(rows, key=lambda r: (r.platform != item.primary_platform, r.position))


def _button(item: Item, row: Row, href: str | None, over: bool = False) -> Button:
    name = display(row.platform)
    url = platform_url(row)
    enabled = linkable(row.status, url) and href is not None
    reason = None
    recorded = row.status not in ("failed", "cancelled") and recording_url(row) is not None
    if over and recorded and href is not None:
        return Button(
            platform=row.platform,
            label=name,
            primary=row.platform == item.primary_platform,
            state="recording",
            state_label="recording",
            enabled=True,
            href=href,
            reason=None,
        )
    if row.status == "ended":
        enabled = enabled and recording_url(row) is not None
        reason = None if enabled else f"{name} has ended and has no recording yet."
    elif not enabled:
        if row.status == "failed":
            reason = row.error or f"{name} failed."
        elif row.status == "cancelled":
            reason = f"{name} was cancelled."
        elif row.status == "pending" or not url:
            reason = f"{name} is not ready yet."
        else:
            reason = f"{name} is {row.status}."
        reason = reason.splitlines()[0][:200]
    return Button(
        platform=row.platform,
        label=name,
        primary=row.platform == item.primary_platform,
        state=row.status,
        state_label=STATE_LABELS.get(row.status, row.status),
        enabled=enabled,
        href=href if enabled else None,
        reason=reason,
    )


def _phase(item: Item, now: datetime) -> tuple[str, str, datetime | None]:
    if isinstance(item, Livestream):
        start = item.scheduled_start
        if item.status == "live":
            return "live", "Live now", start
        if item.status == "ended":
            return "ended", "This broadcast has ended", start
        if start and start > now:
            return "scheduled", "Starts soon", start
        return "starting", "Starting any moment", start
    start = item.start
    if item.status == "cancelled":
        return "cancelled", "This meeting was cancelled", start
    if start and start > now:
        return "scheduled", "Starts soon", start
    end = (start or now) + timedelta(minutes=item.duration_minutes or 60)
    if start and end < now:
        return "ended", "This meeting's time is over", start
    return "in progress", "Happening now", start


def watch_state(item: Item, hrefs: dict[str, str], now: datetime | None = None) -> WatchState:
    """What the watch page shows: pure, so it is tested without a browser."""
    now = now or datetime.now(UTC)
    phase, label, start = _phase(item, now)
    over = phase == "ended"
    buttons = tuple(_button(item, row, hrefs.get(row.platform), over) for row in _ordered(item))
    return WatchState(kind_of(item), item.title, phase, label, start, buttons)


class LinkService:
    def __init__(self, services: Services) -> None:
        self.services = services

    @property
    def base(self) -> str:
        return self.services.settings.public_url.rstrip("/")

    def go_url(self, link_id: str) -> str:
        return f"{self.base}/go/{link_id}"

    def page_url(self, slug: str) -> str:
        return f"{self.base}/live/{slug}"

    async def ensure(self, item: Item) -> Tracking:
        """The item's tracked links and watch page, made the first time and reused after."""
        kind = kind_of(item)
        for _ in range(3):
            try:
                return await self._ensure(kind, item)
            except IntegrityError:  # another process made them at the same moment
                continue
        return await self._ensure(kind, item)

    async def _ensure(self, kind: str, item: Item) -> Tracking:
        async with self.services.db.transaction() as session:
            rows = (
                await session.execute(
                    select(TrackedLink).where(
                        TrackedLink.item_kind == kind, TrackedLink.item_id == item.id
                    )
                )
            ).scalars()
            ids = {row.platform: row.id for row in rows}
            for row in item.platforms:
                if row.platform not in ids:
                    ids[row.platform] = new_link_id()
                    session.add(
                        TrackedLink(
                            id=ids[row.platform],
                            workspace=item.workspace,
                            item_kind=kind,
                            item_id=item.id,
                            platform=row.platform,
                        )
                    )
            page = (
                await session.execute(
                    select(WatchPage).where(
                        WatchPage.item_kind == kind, WatchPage.item_id == item.id
                    )
                )
            ).scalar_one_or_none()
            if page is None:
                page = WatchPage(
                    slug=new_slug(), workspace=item.workspace, item_kind=kind, item_id=item.id
                )
                session.add(page)
            slug = page.slug
        return Tracking({p: self.go_url(i) for p, i in ids.items()}, self.page_url(slug), ids, slug)

    async def _item(self, kind: str, item_id: str) -> Item | None:
        model = Livestream if kind == "broadcast" else Meeting
        async with self.services.db.sessions() as session:
            return await session.get(model, item_id)

    async def follow(self, link_id: str, source: str | None) -> Destination:
        """Count one click and say where it goes."""
        async with self.services.db.sessions() as session:
            link = await session.get(TrackedLink, link_id)
        if link is None:
            return Destination(
                title="Link not found",
                reason="This golive link does not exist. Check the link in the chat message.",
                status=404,
            )
        item = await self._item(link.item_kind, link.item_id)
        if item is None:
            return Destination(
                title="No longer available",
                reason="What this link pointed to was removed.",
                status=410,
            )
        row = next((r for r in item.platforms if r.platform == link.platform), None)
        async with self.services.db.transaction() as session:
            session.add(
                LinkClick(
                    link_id=link.id,
                    item_kind=link.item_kind,
                    item_id=link.item_id,
                    platform=link.platform,
                    source=source if source in SOURCES else "other",
                )
            )
        tracking = await self.ensure(item)
        name = display(link.platform)
        ended = row is not None and (
            row.status in {"ended", "cancelled"}
            or item.status in {"ended", "cancelled"}
            or _phase(item, datetime.now(UTC))[0] == "ended"  # a meeting past its end
        )
        if row is not None and ended:
            recording = recording_url(row)
            if recording:
                return Destination(redirect=recording)
            noun = "broadcast" if link.item_kind == "broadcast" else "meeting"
            verb = "was cancelled" if "cancelled" in {row.status, item.status} else "has ended"
            return Destination(
                title=f"This {noun} {verb}",
                reason=f"“{item.title}” {verb} on {name}, and no recording is available.",
                page_url=f"../live/{tracking.slug}",
            )
        url = platform_url(row) if row is not None else None
        if row is not None and url and linkable(row.status, url):
            return Destination(redirect=url)
        state = watch_state(item, tracking.page_hrefs())
        here = next((b for b in state.buttons if b.platform == link.platform), None)
        return Destination(
            title=f"{name} is not available",
            reason=(here.reason if here and here.reason else f"{name} is not available."),
            alternatives=tuple((b.label, b.href) for b in state.alternatives if b.href),
            page_url=f"../live/{tracking.slug}",
            status=503 if row is not None and row.status == "failed" else 200,
        )

    async def watch(self, slug: str) -> WatchState | None:
        async with self.services.db.sessions() as session:
            page = await session.get(WatchPage, slug)
        if page is None:
            return None
        item = await self._item(page.item_kind, page.item_id)
        if item is None:
            return None
        tracking = await self.ensure(item)
        return watch_state(item, tracking.page_hrefs())

    async def clicks(self, kind: str, item_id: str) -> Counter[tuple[str, str]]:
        """Clicks per (platform, source)."""
        async with self.services.db.sessions() as session:
            rows = await session.execute(
                select(LinkClick.platform, LinkClick.source, func.count())
                .where(LinkClick.item_kind == kind, LinkClick.item_id == item_id)
                .group_by(LinkClick.platform, LinkClick.source)
            )
            return Counter({(platform, source): n for platform, source, n in rows})


def clicks_line(item: Item, counts: Counter[tuple[str, str]]) -> str:
    """``clicks: YouTube 12 · Facebook 3``, primary first, every platform of the item."""
    per = Counter[str]()
    for (platform, _), n in counts.items():
        per[platform] += n
    parts = [f"{display(r.platform)} {per[r.platform]}" for r in _ordered(item)]
    return "clicks: " + " · ".join(parts)
