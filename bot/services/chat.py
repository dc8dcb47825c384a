"""Live chat of running broadcasts: collect every platform, filter, relay, moderate.

One place decides when chat runs, whoever started the broadcast (a chat command, the API or
the scheduler): :class:`LivestreamService` tells :meth:`ChatService.changed` after every start,
stop and cancel. When a broadcast with chat relay on is live, golive opens a thread under each
copy of its announcement, builds the collector of every live platform that has one
(:func:`bot.chat.service.collector_for`) and runs them; each newly stored line goes through the
workspace's auto-moderation rules into every thread (Slack and Discord each register a relay
target). When it ends or is cancelled, the collectors stop and the relay posts what is queued.
In ``golive serve`` the scheduler's leader runs chat and keeps it in step with the database
(:meth:`reconcile`), so broadcasts still live after a restart go on from the cursors stored
with their last page, and several processes never relay a line twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from bot.chat.filters import Verdict
from bot.chat.model import ChatLine
from bot.chat.moderation import ModerationService, StoredHistory, load_rules
from bot.chat.relay import Batch, ChatPipeline, Relay, RelayTarget, Thread
from bot.chat.service import ChatCollection, collector_for
from bot.chat.store import ChatStore
from bot.services.announcements import threads
from providers.base import BroadcastHandle, BroadcastState
from storage.models import Livestream, LivestreamPlatform, ModerationEntry

if TYPE_CHECKING:
    from bot.services.context import Services

log = logging.getLogger(__name__)

ACTOR = "golive chat"
#: how long a stop waits for queued lines to be posted before giving up on them (they stay
#: stored and searchable either way)
DRAIN_SECONDS = 10.0


class AlreadyStored:
    """The pipeline's store step for lines a collector has just stored itself.

    Collectors store each page with its cursor in one transaction and hand on only the new
    lines, so the pipeline must not store them again (a second insert would find them all
    present and relay nothing)."""

    async def add(self, lines: Iterable[ChatLine]) -> list[ChatLine]:
        return list(lines)


class ConnectedModerator:
    """Carries out moderation through the workspace's connection to the line's platform."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def target(
        self, workspace: str, broadcast_id: str, platform: str
    ) -> tuple[Any, BroadcastHandle] | None:
        try:
            stream = await self.services.livestreams.get(workspace, broadcast_id)
        except Exception:  # gone, or another workspace's: nothing to act on
            return None
        row = next((r for r in stream.platforms if r.platform == platform), None)
        if row is None:
            return None
        try:
            provider = await self.services.connections.provider(
                workspace, platform, actor=ACTOR, operation="moderate chat"
            )
        except Exception as exc:  # not connected any more
            log.info("no %s connection to moderate with: %s", platform, type(exc).__name__)
            return None
        return provider, handle_of(row)

    async def save(
        self, workspace: str, broadcast_id: str, platform: str, handle: BroadcastHandle
    ) -> None:
        """Keep what an action wrote into the handle (YouTube's ban ids, needed to unban after
        a restart) and book the quota it spent on the broadcast's platform."""
        async with self.services.db.transaction() as session:
            row = (
                await session.execute(
                    select(LivestreamPlatform).where(
                        LivestreamPlatform.livestream_id == broadcast_id,
                        LivestreamPlatform.platform == platform,
                    )
                )
            ).scalar_one_or_none()
            if row is None:
                return
            row.data = {**(row.data or {}), **handle.data}
            row.quota_used = (row.quota_used or 0) + handle.quota_used


def handle_of(row: Any) -> BroadcastHandle:
    """The stored handle of one platform of a broadcast, without its stream key (chat and
    moderation never need it, so reading chat never decrypts one)."""
    return BroadcastHandle(
        remote_id=row.remote_id or "",
        state=BroadcastState(row.status),
        watch_url=row.watch_url,
        data=dict(row.data or {}),
    )


class ChatService:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.store = ChatStore(services.db)
        self.relay = Relay(on_post=self._posted)
        self.history = StoredHistory(services.db)
        self.moderation = ModerationService(
            ConnectedModerator(services), self.history, store=self.store
        )
        self.pipeline = ChatPipeline(
            AlreadyStored(), self.relay, hold=self._hold, remember=self.moderation.remember
        )
        self.collection = ChatCollection(self.store, on_lines=self._collected)
        #: the collectors of each running broadcast, and every platform tried (read or not)
        self._collectors: dict[str, list[Any]] = {}
        self._tried: dict[str, set[str]] = {}
        #: False in ``golive serve`` until both chats' relay targets are registered, so chat
        #: resumed by the leader opens its threads in Slack and in Discord
        self.ready = True
        #: posts per thread, for status displays and tests
        self.posts: Counter[Thread] = Counter()
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"ChatService(running={sorted(self._collectors)!r})"

    def register(self, target: RelayTarget) -> None:
        """A chat adapter's relay target (Slack, Discord); threads in that chat get chat."""
        self.relay.register(target)

    def unregister(self, chat: str) -> None:
        self.relay.targets.pop(chat, None)

    @property
    def platforms(self) -> dict[str, list[str]]:
        """The platforms collected per running broadcast."""
        return {bid: [c.platform for c in found] for bid, found in self._collectors.items()}

    def running_any(self) -> bool:
        return bool(self._collectors)

    def running(self, broadcast_id: str) -> bool:
        return self.collection.running(broadcast_id)

    # -- lifecycle ---------------------------------------------------------------------------

    async def changed(self, workspace: str, stream: Livestream) -> None:
        """After a start, stop or cancel: run or end the broadcast's chat to match its state.

        Never raises: a broadcast that went live stays live even if its chat cannot run."""
        try:
            if stream.chat_relay and stream.status == "live":
                if not self.owner:  # the leader begins it at its next check (reconcile)
                    return
                if self.running(stream.id):  # a start of the platforms that were waiting
                    await self._follow_platforms(workspace, stream.id)
                else:
                    await self.begin(workspace, stream.id)
            elif stream.status in ("ended", "cancelled"):
                await self.end(stream.id)
        except Exception:
            log.exception("live chat of %s could not follow its broadcast", stream.id)

    async def begin(self, workspace: str, stream_id: str) -> list[str]:
        """Open the threads and start the collectors; returns the platforms collected."""
        async with self._lock:
            if self.collection.running(stream_id):
                return self.platforms.get(stream_id, [])
            if not self.owner or not self.ready:  # the leader runs it, once it is ready
                return []
            stream = await self.services.livestreams.get(workspace, stream_id)
            if stream.status != "live" or not stream.chat_relay:  # stopped meanwhile
                return []
            copies = await self.services.announcements.open_threads_of(
                workspace, "broadcast", stream.id, f"{stream.title} · live chat"[:100]
            )
            self.pipeline.set_rules(workspace, await load_rules(self.services.db, workspace))
            self.pipeline.follow(workspace, stream.id, threads(copies))
            self._collectors[stream.id] = []
            self._tried[stream.id] = set()
            self.collection.start(stream.id, await self._new_collectors(workspace, stream))
            collected = self.platforms[stream.id]
            log.info("live chat of %s: collecting %s", stream.id, ", ".join(collected))
            return collected

    async def _new_collectors(self, workspace: str, stream: Livestream) -> list[Any]:
        """Collectors for the broadcast's live platforms not tried yet (each is tried once,
        so a platform golive cannot read is not retried and logged on every check)."""
        tried = self._tried[stream.id]
        collectors = []
        for row in stream.platforms:
            if row.status != BroadcastState.LIVE.value or row.platform in tried:
                continue
            tried.add(row.platform)
            collector = await self._collector(workspace, stream.id, row)
            if collector is not None:
                collectors.append(collector)
        running = self._collectors[stream.id]
        running.extend(collectors)
        direct = frozenset(c.platform for c in running) - {"restream"}
        for collector in running:
            if hasattr(collector, "skip"):  # an aggregator: no second copy of a platform
                collector.skip = direct
        return collectors

    async def _follow_platforms(self, workspace: str, stream_id: str) -> list[str]:
        """A running broadcast's platforms that went live since: collect them too."""
        async with self._lock:
            if not self.collection.running(stream_id) or not self.owner:
                return []
            stream = await self.services.livestreams.get(workspace, stream_id)
            added = await self._new_collectors(workspace, stream)
            if added:
                self.collection.add(stream_id, added)
                log.info(
                    "live chat of %s: now also %s",
                    stream_id,
                    ", ".join(c.platform for c in added),
                )
            return [c.platform for c in added]

    async def _collector(self, workspace: str, stream_id: str, row: Any) -> Any | None:
        # Instagram's comments are read with the Facebook connection (Instagram API with
        # Facebook Login); its own connection is only a stream key
        reader = "facebook" if row.platform == "instagram" else row.platform
        try:
            provider = await self.services.connections.provider(
                workspace, reader, actor=ACTOR, operation="read chat"
            )
        except Exception as exc:  # not connected (any more): that platform's chat is skipped
            log.warning("no %s chat for %s: %s", row.platform, stream_id, type(exc).__name__)
            return None
        try:
            return collector_for(row.platform, provider, handle_of(row), stream_id)
        except Exception:  # a platform golive cannot read chat from in this setup
            log.exception("no %s chat collector for %s", row.platform, stream_id)
            return None

    async def end(self, stream_id: str) -> None:
        """Stop collecting and post what the relay still holds."""
        async with self._lock:
            await self.collection.stop(stream_id)
            self._collectors.pop(stream_id, None)
            self._tried.pop(stream_id, None)
            try:
                await asyncio.wait_for(self.relay.drain(), DRAIN_SECONDS)
            except TimeoutError:
                log.warning(
                    "live chat of %s: %d lines left unposted", stream_id, self.relay.pending()
                )
            self.relay.unfollow(stream_id)

    async def reconcile(self) -> list[str]:
        """Make the chat this process runs match the database; returns the broadcasts begun.

        The process that runs chat is the scheduler's leader (or the only process, when no
        scheduler runs here, as in the console), so several ``golive serve`` processes on one
        database never collect and relay a broadcast twice. The scheduler calls this on every
        leadership check. In the leader it begins the chat of broadcasts that went live anywhere
        (after a restart, from the cursors stored with their last page), adds platforms that
        went live later, follows rule changes made through other processes, and ends the chat
        of broadcasts stopped elsewhere. In any other process it ends whatever chat still runs
        there: the leader resumes it."""
        if not self.ready:
            return []
        if not self.owner:
            for stream_id in list(self._collectors):
                await self.end(stream_id)
            return []
        rows = await self._live_with_chat()
        gone = set(self._collectors) - {stream_id for _, stream_id in rows}
        if gone:  # read again: a start in this process may have landed since the first read
            gone -= {stream_id for _, stream_id in await self._live_with_chat()}
        for stream_id in gone:
            await self.end(stream_id)
        for workspace in {workspace for workspace, _ in rows}:
            self.pipeline.set_rules(workspace, await load_rules(self.services.db, workspace))
        begun = []
        for workspace, stream_id in rows:
            try:
                if self.running(stream_id):
                    await self._follow_platforms(workspace, stream_id)
                elif await self.begin(workspace, stream_id):
                    begun.append(stream_id)
            except Exception:
                log.exception("live chat of %s could not be followed", stream_id)
        return begun

    async def _live_with_chat(self) -> list[tuple[str, str]]:
        async with self.services.db.sessions() as session:
            rows = await session.execute(
                select(Livestream.workspace, Livestream.id).where(
                    Livestream.status == "live", Livestream.chat_relay.is_(True)
                )
            )
            return [(workspace, stream_id) for workspace, stream_id in rows]

    @property
    def owner(self) -> bool:
        """Whether this process runs chat (see :meth:`reconcile`)."""
        scheduler = self.services.scheduler
        return not scheduler.running or scheduler.leader

    async def close(self) -> None:
        await self.collection.close()
        self._collectors.clear()
        self._tried.clear()
        await self.relay.close()

    # -- the path of a line -------------------------------------------------------------------

    async def _collected(self, lines: list[ChatLine]) -> None:
        await self.pipeline.deliver(lines)

    async def _hold(self, workspace: str, line: ChatLine, verdict: Verdict) -> None:
        await self.moderation.auto(workspace, line, verdict)

    def _posted(self, thread: Thread, batch: Batch, at: float) -> None:
        self.posts[thread] += 1

    # -- status --------------------------------------------------------------------------------

    async def status_line(self, stream: Livestream) -> str | None:
        """``chat relay: 4 platforms, 1,234 lines, 2 held`` (None when chat relay is off)."""
        if not stream.chat_relay:
            return None
        lines = await self.store.count(stream.id)
        async with self.services.db.sessions() as session:
            held = await session.scalar(
                select(func.count()).where(
                    ModerationEntry.broadcast_id == stream.id,
                    ModerationEntry.actor.startswith("rule:"),
                )
            )
        platforms: Sequence[str] = self.platforms.get(stream.id, ())
        if self.running(stream.id):
            state = f"{len(platforms)} platform{'s' * (len(platforms) != 1)}"
        elif stream.status == "live" and not self.owner:
            state = "run by the scheduler leader process"
        elif stream.status == "live":
            state = "not running"
        else:
            state = "stopped"
        return f"chat relay: {state}, {lines:,} lines, {int(held or 0):,} held"
