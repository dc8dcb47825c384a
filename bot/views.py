"""Platform-neutral posts (:class:`Announcement`) and their console text.

Services return stored rows; this module decides what a post says: the primary platform's
link first and marked, every other platform after it, per-platform state in one line each.
Slack blocks and Discord embeds are rendered from the same Announcement.

Posted links are golive's tracked links (``/go/{id}``) when the caller passes them; the
platform's own URL stays in :attr:`PlatformLink.direct_url` for the host and the watch page.
Only a platform members can use now gets a link at all (:func:`linkable`), so a failed or
cancelled platform never shows one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.messages import display
from storage.models import Livestream, Meeting

STATE_MARKS = {
    "pending": "…",
    "ready": "○",
    "created": "○",
    "live": "●",
    "ended": "■",
    "failed": "✗",
    "cancelled": "⊘",
}


#: states in which a platform's link is posted: members can join, or watch what was streamed
LINKABLE = frozenset({"ready", "created", "live", "ended"})


def linkable(state: str, url: str | None) -> bool:
    return state in LINKABLE and bool(url)


@dataclass(frozen=True)
class PlatformLink:
    platform: str
    label: str
    url: str | None
    primary: bool
    state: str
    error: str | None = None
    note: str | None = None  # the platform's own remark, e.g. "waiting for the encoder"
    #: the platform's own URL, for the host and for when golive's web app is not reachable
    direct_url: str | None = None
    #: ``url`` is a golive tracked link, so :meth:`for_chat` may tag it with its source
    tracked: bool = False

    def for_chat(self, source: str) -> str | None:
        """The URL to post in ``source`` ("slack", "discord"), so its clicks are told apart."""
        if self.url and self.tracked:
            return f"{self.url}?s={source}"
        return self.url


def _link(
    platform: str,
    url: str | None,
    tracked: Mapping[str, str] | None,
    *,
    primary: bool,
    state: str,
    error: str | None,
    note: str | None = None,
) -> PlatformLink:
    shown = linkable(state, url)
    tracked_url = (tracked or {}).get(platform) if shown else None
    return PlatformLink(
        platform=platform,
        label=display(platform),
        url=tracked_url or (url if shown else None),
        primary=primary,
        state=state,
        error=error,
        note=note,
        direct_url=url,
        tracked=tracked_url is not None,
    )


@dataclass(frozen=True)
class Announcement:
    kind: str  # "broadcast" or "meeting"
    id: str
    title: str
    status: str
    when: str
    links: tuple[PlatformLink, ...]
    description: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: the member watch page (``/live/{slug}``), when golive's web app serves one
    page_url: str | None = None
    #: scheduled and still ahead: chats offer a "Remind me" button (a DM at each reminder)
    remindable: bool = False


def _when(start: datetime | None, tz: str, suffix: str = "") -> str:
    if start is None:
        return "now" + suffix
    return start.astimezone(ZoneInfo(tz)).strftime("%a %d %b %Y %H:%M %Z") + suffix


def _ordered(links: list[PlatformLink]) -> tuple[PlatformLink, ...]:
    return tuple(sorted(links, key=lambda link: not link.primary))


def broadcast_announcement(
    stream: Livestream,
    tz: str = "UTC",
    tracked: Mapping[str, str] | None = None,
    page_url: str | None = None,
) -> Announcement:
    """``tracked`` maps each platform to its tracked link (from the link service)."""
    links = [
        _link(
            row.platform,
            row.watch_url,
            tracked,
            primary=row.platform == stream.primary_platform,
            state=row.status,
            error=row.error,
            note=(row.data or {}).get("note"),
        )
        for row in stream.platforms
    ]
    quota = sum(row.quota_used or 0 for row in stream.platforms if row.platform == "youtube")
    notes = (f"YouTube quota spent: {quota} units",) if quota else ()
    return Announcement(
        kind="broadcast",
        id=stream.id,
        title=stream.title,
        status=stream.status,
        when=_when(stream.scheduled_start, tz),
        links=_ordered(links),
        description=stream.description,
        notes=notes,
        page_url=page_url,
        remindable=stream.scheduled_start is not None and stream.status == "created",
    )


def meeting_announcement(
    meeting: Meeting,
    tz: str | None = None,
    tracked: Mapping[str, str] | None = None,
    page_url: str | None = None,
) -> Announcement:
    links = [
        _link(
            row.platform,
            row.join_url,
            tracked,
            primary=row.platform == meeting.primary_platform,
            state=row.status,
            error=row.error,
        )
        for row in meeting.platforms
    ]
    notes = tuple(row.data["note"] for row in meeting.platforms if (row.data or {}).get("note"))
    if any(row.host_url_enc for row in meeting.platforms):
        notes += ("host start link: sent privately to the host",)
    return Announcement(
        kind="meeting",
        id=meeting.id,
        title=meeting.title,
        status=meeting.status,
        when=_when(meeting.start, tz or meeting.timezone, f" · {meeting.duration_minutes} min"),
        links=_ordered(links),
        notes=notes,
        page_url=page_url,
        remindable=meeting.start is not None and meeting.status != "cancelled",
    )


def to_text(post: Announcement, *, direct: bool = False) -> str:
    """The console's rendering: readable in a terminal and stable enough to grep in scripts.

    ``direct`` shows the platforms' own links instead of golive's tracked ones, for a shell
    that runs no web app to redirect them (the console); a link still only appears where
    the platform can be used."""
    noun = "Broadcast" if post.kind == "broadcast" else "Meeting"
    lines = [f"{noun} {post.id} · “{post.title}” · {post.status} · {post.when}"]
    if post.description:
        lines.append(f"  {post.description}")
    for link in post.links:
        mark = STATE_MARKS.get(link.state, "?")
        name = f"★ {link.label} (primary)" if link.primary else f"  {link.label}"
        if link.error:
            lines.append(f"  {mark} {name}: {link.state} — {link.error}")
        else:
            url = (link.direct_url or link.url) if direct and link.url else link.url
            where = url or ("no watch link" if link.note else "no link yet")
            remark = f" ({link.note})" if link.note else ""
            lines.append(f"  {mark} {name}: {link.state} · {where}{remark}")
    lines.extend(f"  {note}" for note in post.notes)
    if post.page_url and not direct:
        lines.append(f"  watch page: {post.page_url}")
    return "\n".join(lines)


def mask(secret: str | None) -> str:
    """Stream keys are shown as their last four characters only."""
    if not secret:
        return "—"
    return "••••••••" + secret[-4:] if len(secret) > 8 else "••••"
