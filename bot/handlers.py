"""From a parsed command to a :class:`Reply`: the one routing table every adapter shares.

Adapters turn their platform's payload into text for :func:`run`, and render the Reply's
public posts in the channel and its private lines to the requester only (ingest keys, host
links). Nothing here knows Slack, Discord or a terminal.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot import commands as c
from bot.messages import display, explain
from bot.services import reports
from bot.services.context import Services
from bot.services.errors import ServiceError
from bot.services.links import clicks_line
from bot.services.progress import Progress
from bot.services.recordings import recording_notes
from bot.services.reminders import span
from bot.views import Announcement, broadcast_announcement, mask, meeting_announcement
from providers import platforms, provider_class
from providers.base import AuthStyle, Kind
from providers.errors import PlatformError
from storage.models import Livestream, Meeting


@dataclass(frozen=True)
class Requester:
    workspace: str
    user_id: str
    timezone: str = "UTC"
    is_admin: bool = True
    #: where the command came from, so the announcement lands there and is kept up to date
    chat: str | None = None  # "slack" or "discord"; None for the console and the API
    channel: str | None = None


@dataclass
class Reply:
    posts: list[Announcement | str] = field(default_factory=list)
    private: list[str] = field(default_factory=list)
    direct: list[tuple[str, str]] = field(default_factory=list)  # (person, private message)
    #: (file name, bytes) to upload with the posts where the chat can (the report's chart);
    #: the console saves them under the data directory instead
    files: list[tuple[str, bytes]] = field(default_factory=list)
    ok: bool = True

    @classmethod
    def error(cls, sentence: str) -> Reply:
        return cls(private=[sentence], ok=False)


HELP = {
    "golive": (
        '/golive "Title" on youtube [primary youtube] [at 2026-12-24 18:00 Europe/Berlin]'
        " [record] [chat]\n"
        "/golive start|stop|status|report [ID] · /golive list\n"
        "/golive moderation [ID] · /golive moderation help · /golive moderation rules\n"
        '/golive edit ID ["New title"] [at …] · /golive cancel ID'
    ),
    "meet": (
        '/meet "Title" on jitsi [primary jitsi] [at …] [for 45m] [record] [with @ana @ben]\n'
        '/meet edit ID ["New title"] [at …] [for 45m] · /meet cancel ID · /meet list'
    ),
    "platforms": (
        "/platforms · /platforms connect PLATFORM · /platforms disconnect PLATFORM\n"
        "/platforms api-token create NAME [read|read-write] · list · revoke NAME\n"
        "/platforms notify · /platforms notify expired,broken,refresh on|off · "
        "/platforms notify channel #channel · /platforms notify dm"
    ),
}


def parse(services: Services, who: Requester, command: str, text: str) -> c.Command:
    return c.parse(
        command,
        text,
        now=datetime.now(UTC),
        default_tz=who.timezone or services.settings.timezone,
        livestream_platforms=platforms(Kind.LIVESTREAM),
        meeting_platforms=platforms(Kind.MEETING),
    )


async def run(
    services: Services, who: Requester, command: str, text: str, progress: Progress | None = None
) -> Reply:
    """Parse and execute one command; every failure becomes one sentence, nothing half-stored.

    ``progress`` receives per-platform reports while platforms are called (chat adapters edit
    one message in place with them)."""
    reply = await _run(services, who, command, text, progress)
    services.metrics.count_command(command, reply.ok, who.chat or "console")
    return reply


async def _run(
    services: Services, who: Requester, command: str, text: str, progress: Progress | None
) -> Reply:
    try:
        parsed = parse(services, who, command, text)
        return await execute(services, who, parsed, progress)
    except c.CommandError as exc:
        return Reply.error(exc.message)
    except ServiceError as exc:
        return Reply.error(str(exc))
    except PlatformError as exc:
        return Reply.error(explain(exc))


async def _rules(services: Services, who: Requester, change: tuple[str, ...]) -> Reply:
    """Show the workspace's chat rules, or change one setting (admins only)."""
    from bot.chat import moderation, rules_text

    rules = await moderation.load_rules(services.db, who.workspace)
    if change:
        if not who.is_admin:
            return Reply.error("Only golive admins can change the chat rules.")
        try:
            rules = rules_text.change(rules, change)
        except rules_text.RulesError as exc:
            return Reply.error(str(exc))
        await moderation.save_rules(services.db, who.workspace, rules, user=who.user_id)
        services.chat.pipeline.set_rules(who.workspace, rules)  # running chat follows at once
    return Reply(private=[rules_text.describe(rules)])


async def execute(
    services: Services, who: Requester, cmd: c.Command, progress: Progress | None = None
) -> Reply:
    tz = who.timezone or services.settings.timezone
    match cmd:
        case c.Help(topic):
            topics = [topic] if topic else list(HELP)
            return Reply(private=[HELP[t] for t in topics])
        case c.ModerationQuery(action, stream_id, change):
            from bot.chat import moderation

            if action == "help":
                return Reply(private=[moderation.help_text()])
            if action == "rules":
                return await _rules(services, who, change)
            history = moderation.StoredHistory(services.db)
            return Reply(private=[await moderation.listing(history, who.workspace, stream_id)])
        case c.OpenForm(kind):
            return Reply.error(
                f"The /{kind} form opens in Slack or Discord; here, type the whole command: "
                + HELP["golive" if kind == "golive" else "meet"].splitlines()[0]
            )
        case c.CreateBroadcast():
            if not who.is_admin:
                return Reply.error("Only golive admins can create broadcasts.")
            stream = await services.livestreams.create(who.workspace, who.user_id, cmd, progress)
            reply = Reply()
            post = await broadcast_post(services, stream, tz)
            await _announce(services, who, post, reply, new=True)
            reply.private.extend(await _ingest_lines(services, who, stream.id))
            if cmd.start is not None:
                reply.private.append(_planned_line(services, who, stream.id, cmd.start, tz))
                reply.private.extend(await services.events.sync(who.workspace, post, cmd.start))
            return reply
        case c.BroadcastChange(action, stream_id, title, start):
            if not who.is_admin:
                return Reply.error(f"Only golive admins can {action} broadcasts.")
            if action == "cancel":
                stream = await services.livestreams.cancel(who.workspace, who.user_id, stream_id)
                services.scheduler.unplan("broadcast", stream.id)
                await services.events.cancel("broadcast", stream.id)
            else:
                stream = await services.livestreams.update(
                    who.workspace, who.user_id, stream_id, title=title, start=start
                )
            reply = Reply()
            post = await broadcast_post(services, stream, tz)
            await _announce(services, who, post, reply, new=False)
            if action == "edit" and start is not None:
                reply.private.append(_planned_line(services, who, stream.id, start, tz))
            if action == "edit":
                events = services.events.sync(who.workspace, post, stream.scheduled_start)
                reply.private.extend(await events)
            notes = [(p.platform, (p.data or {}).get("note") or p.error) for p in stream.platforms]
            reply.private.extend(f"{display(p)} {n}" for p, n in notes if n)
            return reply
        case c.BroadcastAction(action, stream_id):
            if action in {"start", "stop"} and not who.is_admin:
                return Reply.error(f"Only golive admins can {action} broadcasts.")
            if action == "start":
                stream, outcomes = await services.livestreams.start(
                    who.workspace, who.user_id, stream_id, progress
                )
            elif action == "stop":
                stream, outcomes = await services.livestreams.stop(
                    who.workspace, who.user_id, stream_id, progress
                )
            elif action == "report":
                return await _report(services, who, stream_id)
            else:
                stream = await services.livestreams.status(who.workspace, who.user_id, stream_id)
                outcomes = []
            reply = Reply()
            announcement = await broadcast_post(services, stream, tz)
            if action == "status":
                reply.posts.append(announcement)
                reply.posts.append(
                    clicks_line(stream, await services.links.clicks("broadcast", stream.id))
                )
            else:
                await _announce(services, who, announcement, reply, new=False)
            if action == "stop" and await reports.after_end(services, stream, announcement):
                reply.private.append("The report is posted in the announcement's thread.")
            if action == "start" and stream.status == "live":
                # The chat relay posts into a thread under every copy of the announcement.
                await services.announcements.open_threads(
                    who.workspace, announcement, f"{stream.title} · live chat"[:100]
                )
            for outcome in outcomes:
                if not outcome.changed and outcome.note:
                    reply.private.append(
                        f"{display(outcome.platform)} {outcome.note}; nothing changed."
                    )
            if action == "status":
                chat = await services.chat.status_line(stream)
                if chat:
                    reply.posts.append(chat)
            if action == "status" and who.is_admin:
                reply.private.extend(await _ingest_lines(services, who, stream.id))
                reply.private.extend(services.relay.status_lines(stream.id))
            return reply
        case c.ListItems(kind):
            return Reply(posts=[await _listing(services, who, kind)])
        case c.CreateMeeting():
            meeting = await services.meetings.create(who.workspace, who.user_id, cmd, tz, progress)
            reply = Reply()
            post = await meeting_post(services, meeting, tz)
            await _announce(services, who, post, reply, new=True)
            reply.private.extend(await _meeting_schedule(services, who, meeting, post, tz))
            for platform, url in await services.meetings.host_links(
                who.workspace, meeting.id, who.user_id
            ):
                reply.private.append(f"host start link for {display(platform)}: {url}")
            reply.direct.extend(
                await services.meetings.invitations(
                    who.workspace, meeting, cmd.invitees, who.user_id
                )
            )
            if reply.direct:
                people = ", ".join(person for person, _ in reply.direct)
                reply.private.append(f"invitations sent privately to {people}")
            return reply
        case c.MeetingAction(action, meeting_id, title, start, duration):
            if action == "cancel":
                meeting = await services.meetings.cancel(
                    who.workspace, who.user_id, meeting_id, admin=who.is_admin, progress=progress
                )
                services.scheduler.unplan("meeting", meeting.id)
                await services.events.cancel("meeting", meeting.id)
            else:
                meeting = await services.meetings.update(
                    who.workspace,
                    who.user_id,
                    meeting_id,
                    title=title,
                    start=start,
                    duration_minutes=duration,
                    admin=who.is_admin,
                    progress=progress,
                )
            reply = Reply()
            post = await meeting_post(services, meeting, tz)
            await _announce(services, who, post, reply, new=False)
            failed = [p for p in meeting.platforms if p.error]
            reply.ok = not failed
            reply.private.extend(f"{display(p.platform)} {p.error}" for p in failed)
            if action == "edit":
                reply.private.extend(await _meeting_schedule(services, who, meeting, post, tz))
            return reply
        case c.ApiTokenAction(action, name, scope):
            if not who.is_admin:
                return Reply.error("Only golive admins can manage API tokens.")
            tokens = services.tokens
            if action == "create":
                assert name is not None
                secret, info = await tokens.create(who.workspace, name, scope, user=who.user_id)
                return Reply(
                    private=[
                        f"API token {info.name} ({info.scope}), shown only now: {secret}",
                        "Send it as 'Authorization: Bearer …' to /api/ (see docs/api.md).",
                    ]
                )
            if action == "revoke":
                assert name is not None
                done = await tokens.revoke(who.workspace, name, user=who.user_id)
                return Reply(
                    private=[f"API token {name} revoked." if done else f"No token {name}."]
                )
            listed = await tokens.list(who.workspace)
            lines = [f"{t.name} · {t.scope} · created by {t.created_by}" for t in listed]
            return Reply(private=lines or ["No API tokens yet."])
        case c.NotifyAction():
            return await _notify(services, who, cmd)
        case c.Platforms(action, platform, args):
            return await _platforms(services, who, action, platform, args)
    return Reply.error("That command is not known: try /golive help.")


def _planned_line(
    services: Services, who: Requester, stream_id: str, start: datetime, tz: str
) -> str:
    """Schedule the automatic start and reminders, and say when they will come."""
    reminders = services.scheduler.plan_broadcast(who.workspace, stream_id, start)
    when = start.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M %Z")
    line = f"golive starts broadcast {stream_id} automatically at {when}"
    if reminders:
        offsets = ", ".join(span(start - at) for at in reminders)
        line += f"; reminders go to the announcement channels {offsets} before"
    return line + "."


async def _meeting_schedule(
    services: Services, who: Requester, meeting: Meeting, post: Announcement, tz: str
) -> list[str]:
    """Reminders and the chat servers' events of a meeting at a set time, placed or moved."""
    if meeting.start is None:
        return []
    lines = []
    reminders = services.scheduler.plan_meeting(who.workspace, meeting.id, meeting.start)
    if reminders:
        offsets = ", ".join(span(meeting.start - at) for at in reminders)
        lines.append(
            f"Reminders of meeting {meeting.id} go to the announcement channels {offsets} before."
        )
    end = meeting.start + timedelta(minutes=meeting.duration_minutes or 60)
    lines.extend(await services.events.sync(who.workspace, post, meeting.start, end))
    return lines


async def broadcast_post(services: Services, stream: Livestream, tz: str) -> Announcement:
    """The announcement with golive's tracked links (made on first use, then reused)."""
    tracking = await services.links.ensure(stream)
    post = broadcast_announcement(stream, tz, tracking.urls, tracking.page_url)
    return _with_recordings(post, stream, tracking.urls)


async def meeting_post(services: Services, meeting: Meeting, tz: str) -> Announcement:
    tracking = await services.links.ensure(meeting)
    post = meeting_announcement(meeting, tz, tracking.urls, tracking.page_url)
    return _with_recordings(post, meeting, tracking.urls)


def _with_recordings(
    post: Announcement, item: Livestream | Meeting, tracked: dict[str, str]
) -> Announcement:
    notes = recording_notes(item.platforms, tracked)
    return replace(post, notes=(*post.notes, *notes)) if notes else post


async def _report(services: Services, who: Requester, item_id: str | None) -> Reply:
    """Per platform: state and clicks by where the link was posted; meetings by their id too."""
    item: Livestream | Meeting
    try:
        item = await services.livestreams.get(who.workspace, item_id)
    except ServiceError:
        meeting = next(
            (m for m in await services.meetings.list(who.workspace, 1000) if m.id == item_id),
            None,
        )
        if item_id is None or meeting is None:
            raise
        item = meeting
    kind = "broadcast" if isinstance(item, Livestream) else "meeting"
    counts = await services.links.clicks(kind, item.id)
    tracking = await services.links.ensure(item)
    noun = "Broadcast" if kind == "broadcast" else "Meeting"
    lines = [f"Report · {noun} {item.id} · “{item.title}” · {item.status}"]
    rows = sorted(item.platforms, key=lambda r: (r.platform != item.primary_platform, r.position))
    for row in rows:
        mine = {source: n for (p, source), n in counts.items() if p == row.platform}
        total = sum(mine.values())
        by = " · ".join(f"{s} {n}" for s, n in sorted(mine.items()))
        star = " (primary)" if row.platform == item.primary_platform else ""
        lines.append(
            f"  {display(row.platform)}{star}: {row.status} · {total} click{'s' * (total != 1)}"
            + (f" ({by})" if by else "")
        )
    lines.append(f"  {clicks_line(item, counts)} · total {sum(counts.values())}")
    files: list[tuple[str, bytes]] = []
    if isinstance(item, Livestream):
        if item.status == "live":  # the figures include this moment
            await services.analytics.sample(who.workspace, item.id)
        figures = await services.analytics.report(who.workspace, item.id)
        lines.extend(figures.lines())
        # rendering takes a moment: keep the event loop answering meanwhile
        files.extend(await asyncio.to_thread(figures.files))
    lines.append(f"  watch page: {tracking.page_url}")
    return Reply(posts=["\n".join(lines)], files=files)


async def _announce(
    services: Services, who: Requester, announcement: Announcement, reply: Reply, *, new: bool
) -> None:
    """Publish a new announcement (origin channel + targets) or edit every copy of it.

    The reply carries the announcement as a post only where no copy in the origin channel
    shows it already (the console, the API, a command typed in another channel)."""
    board = services.announcements
    origin = [(who.chat, who.channel)] if who.chat and who.channel else []
    if new:
        await board.publish(who.workspace, announcement, also=origin)
    else:
        await board.refresh(who.workspace, announcement)
    shown = {(c.chat, c.channel) for c in await board.copies(announcement.kind, announcement.id)}
    if not origin or origin[0] not in shown:
        reply.posts.append(announcement)


async def _ingest_lines(services: Services, who: Requester, stream_id: str) -> list[str]:
    plan = await services.livestreams.ingest_plan(who.workspace, stream_id, who.user_id)
    lines = []
    if services.relay.enabled:  # docs/relay.md: one output, golive copies it to each platform
        for _, url, key in plan.outputs:  # the relay's key in full: it exists only in golive
            lines.append(f"golive relay ingest: {url}  key: {key} (new for this broadcast)")
        names = ", ".join(display(p) for p in plan.relayed) or "no platform"
        lines.append(f"  golive sends a copy to {names} once the broadcast starts")
        return lines
    for platform, url, key in plan.outputs:
        lines.append(f"{display(platform)} ingest: {url or '—'}  key: {mask(key)}")
        if plan.carried.get(platform):
            names = ", ".join(display(p) for p in plan.carried[platform])
            lines.append(f"  {display(platform)} forwards to {names}: no output of their own")
        if plan.doubled.get(platform):
            names = ", ".join(display(p) for p in plan.doubled[platform])
            lines.append(
                f"  {display(platform)} also sends to your {names} account, but golive's {names} "
                f"broadcast has its own stream: turn {names} off in {display(platform)}'s "
                "channels, or leave it out of this broadcast, to avoid two streams there"
            )
    if len(plan.outputs) > 1:
        lines.append(
            f"Your encoder needs {len(plan.outputs)} outputs (one per line above); "
            "OBS sends one: add Restream, or one encoder per platform."
        )
    return lines


async def _listing(services: Services, who: Requester, kind: str) -> str:
    if kind == "golive":
        rows = await services.livestreams.list(who.workspace)
        if not rows:
            return 'No broadcasts yet: /golive "Title" on youtube creates one.'
        return "\n".join(
            f"{r.id}  {r.status:<8} {r.title}  ({', '.join(p.platform for p in r.platforms)})"
            for r in rows
        )
    meetings = await services.meetings.list(who.workspace)
    if not meetings:
        return 'No meetings yet: /meet "Title" on jitsi creates one.'
    return "\n".join(
        f"{m.id}  {m.title}  ({', '.join(p.platform for p in m.platforms)})" for m in meetings
    )


async def _notify(services: Services, who: Requester, cmd: c.NotifyAction) -> Reply:
    """Each admin's own choice of connection notices, per chat."""
    if who.chat not in ("slack", "discord"):
        return Reply.error(
            "Connection notices go to Slack or Discord: run /platforms notify there."
        )
    if not who.is_admin:
        return Reply.error("Only golive admins get connection notices.")
    notify = services.notify
    ws, chat, user = who.workspace, who.chat, who.user_id
    if cmd.action == "kinds":
        preference = await notify.set_kinds(ws, chat, user, cmd.kinds, cmd.on)
    elif cmd.action == "channel":
        preference = await notify.set_channel(ws, chat, user, cmd.channel)
    elif cmd.action == "dm":
        preference = await notify.set_channel(ws, chat, user, None)
    else:
        preference = await notify.get(ws, chat, user)
    if preference.channel:  # a channel mention, rendered as a link by both chats
        preference = replace(preference, channel=f"<#{preference.channel}>")
    return Reply(private=[preference.line(chat)])


async def _platforms(
    services: Services,
    who: Requester,
    action: str,
    platform: str | None,
    args: tuple[str, ...] = (),
) -> Reply:
    if action == "list":
        connected = {v.platform: v for v in await services.connections.list(who.workspace)}
        lines = []
        for name in platforms():
            cls = provider_class(name)
            view = connected.get(name)
            style = services.connections.style(name)
            if style is AuthStyle.NONE:
                state = "ready (no account needed)"
            elif style is AuthStyle.CLIENT_CREDENTIALS:
                state = (
                    "ready (app credentials)"
                    if services.connections.app_configured(name)
                    else f"not configured · set GOLIVE_{name.upper()}_CLIENT_ID and _CLIENT_SECRET"
                )
            elif view is None:
                state = f"not connected · /platforms connect {name}"
            else:
                expires = (
                    f", token until {view.expires_at:%Y-%m-%d %H:%M} UTC" if view.expires_at else ""
                )
                error = f" — {view.last_error}" if view.last_error else ""
                state = f"{view.status} as {view.account_label}{expires}{error}"
            lines.append(f"{cls.display_name} ({cls.kind.value}): {state}")
        return Reply(posts=["\n".join(lines)])
    if not who.is_admin:
        return Reply.error("Only golive admins can change platform connections.")
    assert platform is not None
    cls = provider_class(platform)
    if action == "disconnect":
        done = await services.connections.disconnect(who.workspace, platform, user_id=who.user_id)
        return Reply(
            private=[
                f"{cls.display_name} disconnected."
                if done
                else f"{cls.display_name} was not connected."
            ]
        )
    style = services.connections.style(platform)
    if style is AuthStyle.NONE:
        return Reply(private=[f"{cls.display_name} needs no connection: it is ready to use."])
    if style is AuthStyle.CLIENT_CREDENTIALS:
        if services.connections.app_configured(platform):
            return Reply(private=[f"{cls.display_name} uses golive's app credentials: ready."])
        return Reply.error(
            f"{cls.display_name} uses app credentials: set GOLIVE_{platform.upper()}_CLIENT_ID "
            f"and GOLIVE_{platform.upper()}_CLIENT_SECRET, then restart golive."
        )
    if style is AuthStyle.STREAM_KEY:
        if not args:
            example = " ".join(cls.example_args)
            return Reply.error(
                f"{cls.display_name} is connected with its stream URL and key: "
                f"/platforms connect {platform} {example}"
            )
        row = await services.connections.connect_with_args(
            who.workspace, who.user_id, platform, args
        )
        until = f", key valid until {row.expires_at:%Y-%m-%d %H:%M} UTC" if row.expires_at else ""
        return Reply(private=[f"{cls.display_name} connected as {row.account_label}{until}."])
    if services.sandbox is not None and platform in getattr(services.sandbox, "endpoints", {}):
        await services.connections.connect_in_sandbox(who.workspace, who.user_id, platform)
        return Reply(private=[f"{cls.display_name} connected (sandbox emulator)."])
    link = await services.connections.begin(who.workspace, who.user_id, platform)
    return Reply(
        private=[f"Open this link within 10 minutes to connect {cls.display_name}: {link}"]
    )
