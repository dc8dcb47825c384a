"""Relay stored chat into each broadcast's threads, batched within each chat's limits.

Slack allows about one message per second per channel (docs.slack.dev "Rate limits",
chat.postMessage special rate limit) and Discord five messages per five seconds per channel
(discord.com/developers/docs/topics/rate-limits, answered with 429 beyond). So lines are never
posted one by one: a :class:`Courier` per channel posts at most once per ``Limits.interval``
and coalesces everything that arrived meanwhile into that one post, up to the chat's size
limits (Slack: 50 blocks, one line per section block so each can carry its moderation menu;
Discord: 2,000 characters of content).

When chat outruns what a thread can carry, a post shows the lines that fit, one more post's
worth of the newest lines waits for the next post, and everything between is counted in an
overflow summary ("+840 more, 95% on YouTube"): moderators keep up with what is being said now,
and the complete chat stays in storage (the store saw it before the relay), so nothing is lost.
Per platform, relayed lines keep their platform's order.

:class:`ChatPipeline` is the path of every collected line: store (duplicates dropped), filter
(caught lines held back and handed to moderation), relay.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from bot import metrics
from bot.chat import escape
from bot.chat.filters import Filter, Rules, Verdict
from bot.chat.model import ChatLine

log = logging.getLogger(__name__)

#: How the platform's name is shown as a tag in front of each relayed line.
TAGS = {
    "youtube": "YouTube",
    "facebook": "Facebook",
    "twitch": "Twitch",
    "restream": "Restream",
    "instagram": "Instagram",
    "rtmp": "Custom RTMP",
    # platforms whose chat only comes through Restream
    "linkedin": "LinkedIn",
    "dlive": "DLive",
    "x": "X",
    "discord": "Discord",
}


def tag(platform: str) -> str:
    return TAGS.get(platform, platform.capitalize())


@dataclass(frozen=True)
class Limits:
    interval: float  # seconds between two posts in one channel
    max_lines: int  # lines in one post (besides the overflow summary)
    max_chars: int  # characters of rendered lines in one post


@dataclass(frozen=True)
class Batch:
    """One post: the lines shown, and how many per platform did not fit."""

    lines: tuple[ChatLine, ...]
    skipped: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str | None:
        """``+840 more, 95% on YouTube``: what a moderator needs to judge the overflow."""
        total = sum(self.skipped.values())
        if not total:
            return None
        platform, most = self.skipped.most_common(1)[0]
        share = round(100 * most / total)
        if share == 100:
            return f"+{total} more, all on {tag(platform)}"
        return f"+{total} more, {share}% on {tag(platform)}"


class RelayTarget(Protocol):
    """What a chat adapter offers the relay (Slack and Discord each have one)."""

    chat: str
    limits: Limits

    def size(self, line: ChatLine) -> int:
        """Characters the line takes once rendered (for the post's size limit)."""
        ...

    async def post(self, workspace: str, channel: str, thread_id: str, batch: Batch) -> None: ...


@dataclass(frozen=True)
class Thread:
    chat: str
    workspace: str
    channel: str
    thread_id: str


PostHook = Callable[[Thread, Batch, float], None]


class Courier:
    """Posts one channel's queued lines, at most once per interval, coalesced."""

    def __init__(self, target: RelayTarget, on_post: PostHook | None = None) -> None:
        self.target = target
        self.on_post = on_post
        self.queues: dict[Thread, deque[ChatLine]] = {}
        self.wake = asyncio.Event()
        self.idle = asyncio.Event()
        self.idle.set()
        self.last = float("-inf")
        self.task: asyncio.Task[None] | None = None

    def put(self, thread: Thread, lines: Sequence[ChatLine]) -> None:
        self.queues.setdefault(thread, deque()).extend(lines)
        self.wake.set()
        self.idle.clear()
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self.run())

    def pending(self) -> int:
        return sum(len(q) for q in self.queues.values())

    def take(self, queue: deque[ChatLine]) -> Batch:
        """The oldest lines that fit; of the rest, one more post's worth of the newest waits
        for the next post and the lines between are counted per platform as skipped."""
        limits = self.target.limits
        chosen: list[ChatLine] = []
        chars = 0
        while queue and len(chosen) < limits.max_lines:
            size = self.target.size(queue[0])
            if chosen and chars + size > limits.max_chars:
                break
            chars += size
            chosen.append(queue.popleft())
        skipped: Counter[str] = Counter()
        while len(queue) > limits.max_lines:
            skipped[queue.popleft().platform] += 1
        return Batch(tuple(chosen), skipped)

    async def run(self) -> None:
        while True:
            if not any(self.queues.values()):
                self.wake.clear()
                self.idle.set()
                try:
                    await asyncio.wait_for(self.wake.wait(), timeout=30)
                except TimeoutError:
                    return
            wait = self.last + self.target.limits.interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            # the thread whose oldest line has waited longest goes first
            thread, queue = min(
                ((t, q) for t, q in self.queues.items() if q),
                key=lambda item: item[1][0].sent_at,
            )
            batch = self.take(queue)
            try:
                await self.target.post(thread.workspace, thread.channel, thread.thread_id, batch)
            except Exception:  # a failed post never stops the relay; the chat is stored
                log.exception("relay post to %s %s failed", thread.chat, thread.channel)
                continue
            finally:
                # counted from the answer: the platform saw the request before that, so the
                # next one reaches it at least one interval later, however slow this one was
                self.last = time.monotonic()
            metrics.relay_lag(
                thread.chat, [(x.platform, x.sent_at) for x in batch.lines], datetime.now(UTC)
            )
            if self.on_post is not None:
                self.on_post(thread, batch, time.time())


class Relay:
    """Which threads each broadcast's chat goes to, and one courier per channel."""

    def __init__(self, on_post: PostHook | None = None) -> None:
        self.targets: dict[str, RelayTarget] = {}
        self.threads: dict[str, list[Thread]] = {}
        self.couriers: dict[tuple[str, str, str], Courier] = {}
        self.on_post = on_post

    def register(self, target: RelayTarget) -> None:
        self.targets[target.chat] = target

    def follow(
        self, workspace: str, broadcast_id: str, threads: Iterable[tuple[str, str, str]]
    ) -> None:
        """Relay a broadcast into ``threads`` ((chat, channel, thread id), see
        :func:`bot.services.announcements.threads`); chats with no target are skipped."""
        self.threads[broadcast_id] = [
            Thread(chat, workspace, channel, thread_id)
            for chat, channel, thread_id in threads
            if chat in self.targets
        ]

    def unfollow(self, broadcast_id: str) -> None:
        self.threads.pop(broadcast_id, None)

    def feed(self, lines: Sequence[ChatLine]) -> None:
        by_broadcast: dict[str, list[ChatLine]] = {}
        for line in lines:
            by_broadcast.setdefault(line.broadcast_id, []).append(line)
        for broadcast_id, group in by_broadcast.items():
            for thread in self.threads.get(broadcast_id, ()):
                key = (thread.chat, thread.workspace, thread.channel)
                courier = self.couriers.get(key)
                if courier is None:
                    courier = Courier(self.targets[thread.chat], self.on_post)
                    self.couriers[key] = courier
                courier.put(thread, group)

    def pending(self) -> int:
        return sum(c.pending() for c in self.couriers.values())

    async def drain(self) -> None:
        """Wait until every queued line is posted (tests, shutdown)."""
        for courier in list(self.couriers.values()):
            await courier.idle.wait()

    async def close(self) -> None:
        tasks = [c.task for c in self.couriers.values() if c.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class Store(Protocol):
    async def add(self, lines: Iterable[ChatLine]) -> list[ChatLine]: ...


Hold = Callable[[str, ChatLine, Verdict], Awaitable[None]]


class ChatPipeline:
    """Store, filter, relay: the path of every collected line, in that order.

    Storing first is what makes "nothing is lost" true whatever the filter or relay do."""

    def __init__(
        self,
        store: Store,
        relay: Relay,
        hold: Hold | None = None,
        remember: Callable[[Sequence[ChatLine]], None] | None = None,
    ) -> None:
        self.store = store
        self.relay = relay
        self.hold = hold
        #: told every relayed line, so a moderator's menu action finds its line
        self.remember = remember
        self.filters: dict[str, Filter] = {}
        self.workspaces: dict[str, str] = {}  # broadcast id -> workspace

    def set_rules(self, workspace: str, rules: Rules) -> None:
        self.filters[workspace] = Filter(rules)

    def follow(self, workspace: str, broadcast_id: str, threads) -> None:
        self.workspaces[broadcast_id] = workspace
        self.relay.follow(workspace, broadcast_id, threads)

    async def deliver(self, lines: Iterable[ChatLine]) -> list[ChatLine]:
        """Returns the lines relayed (new and not caught)."""
        fresh = await self.store.add(lines)
        passed: list[ChatLine] = []
        for line in fresh:
            workspace = self.workspaces.get(line.broadcast_id, "")
            rules = self.filters.get(workspace)
            verdict = rules.check(line) if rules is not None else None
            if verdict is None:
                passed.append(line)
            elif self.hold is not None:
                await self.hold(workspace, line, verdict)
        if self.remember is not None:
            self.remember(passed)
        self.relay.feed(passed)
        return passed


Send = Callable[[str, dict[str, Any]], Awaitable[None]]


class DiscordRelayTarget:
    """Relay posts for a Discord thread, as ``POST /channels/{thread id}/messages`` payloads.

    Discord: 2,000 characters of content per message, 5 messages per 5 s per channel
    (discord.com/developers/docs/resources/message#create-message, topics/rate-limits);
    ``allowed_mentions: {"parse": []}`` so no text can ping anyone even if escaping missed it,
    and ``SUPPRESS_EMBEDS`` (flag 4) so chat links do not unfurl. The Discord adapter supplies
    ``send`` (its REST client) and adds its moderation select menu."""

    chat = "discord"
    limits = Limits(interval=1.05, max_lines=40, max_chars=1800)
    SUPPRESS_EMBEDS = 1 << 2

    def __init__(self, send: Send) -> None:
        self.send = send

    @staticmethod
    def render(line: ChatLine) -> str:
        return f"**[{tag(line.platform)}]** {escape.discord(line.author_name, 80)}: " + (
            escape.discord(line.text, 300)
        )

    def size(self, line: ChatLine) -> int:
        return len(self.render(line)) + 1

    def payload(self, batch: Batch) -> dict[str, Any]:
        rows = [self.render(line) for line in batch.lines]
        summary = batch.summary()
        if summary:
            rows.insert(0, f"-# {summary}")
        return {
            "content": "\n".join(rows)[:2000],
            "allowed_mentions": {"parse": []},
            "flags": self.SUPPRESS_EMBEDS,
        }

    async def post(self, workspace: str, channel: str, thread_id: str, batch: Batch) -> None:
        await self.send(thread_id, self.payload(batch))
