"""The relay: every line once, in order per platform, coalesced, never over a thread's limit."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime

from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.slack.app import web_client
from bot.adapters.slack.chatlines import ACTION_ID, SlackRelayTarget
from bot.chat.filters import Rules
from bot.chat.moderation import offered
from bot.chat.relay import Batch, ChatPipeline, DiscordRelayTarget, Limits, Relay
from providers.base import Capability
from tests.relay.helpers import MemoryStore, RecordingTarget, line, most_in_window
from tests.slack.fake_api import FakeSlack

PLATFORMS = ("youtube", "facebook", "twitch", "restream")


async def produce(pipeline: ChatPipeline, per_second: int, seconds: float, dupes: bool = True):
    """Each platform sends ``per_second`` lines a second, some delivered twice (reconnects)."""
    sent = 0
    step = 0.05
    for tick in range(int(seconds / step)):
        batch = []
        for p in PLATFORMS:
            for k in range(round((tick + 1) * per_second * step) - round(tick * per_second * step)):
                n = tick * 100 + k
                batch.append(line(n, p, at=datetime.now(UTC)))
        sent += len(batch)
        await pipeline.deliver(batch + (batch[:3] if dupes else []))
        await asyncio.sleep(step)
    return sent


def seen(posts) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for post in posts:
        for one in post.batch.lines:
            out.setdefault(one.platform, []).append(one.message_id)
    return out


async def test_every_line_once_in_order_coalesced_under_the_limit() -> None:
    target = RecordingTarget(limits=Limits(interval=0.25, max_lines=45, max_chars=30000))
    discord = RecordingTarget(chat="discord", limits=Limits(0.25, 40, 1800))
    relay = Relay()
    relay.register(target)
    relay.register(discord)
    store = MemoryStore()
    pipeline = ChatPipeline(store, relay)
    pipeline.follow("W", "b1", [("slack", "C1", "111.1"), ("discord", "D1", "999")])
    sent = await produce(pipeline, per_second=20, seconds=1.5)
    await relay.drain()
    await relay.close()
    for chat in (target, discord):
        got = seen(chat.posts)
        for p in PLATFORMS:
            ids = got[p]
            assert len(ids) == len(set(ids))  # exactly once
            assert ids == sorted(ids, key=lambda m: int(m.rsplit("-", 1)[1]))  # platform's order
        assert sum(len(v) for v in got.values()) == sent == len(store.lines)
        assert all(not p.batch.skipped for p in chat.posts)
        assert len(chat.posts) < sent / 5  # coalesced
        assert most_in_window([p.at for p in chat.posts], 0.25) == 1


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(PLATFORMS), st.integers(0, 30), st.integers(1, 5)),
        max_size=120,
    )
)
def test_any_interleaving_with_replays_relays_each_line_once_in_order(deliveries) -> None:
    """Deliveries: (platform, how many of its lines so far, chunk id); a platform's collector
    re-sends from an older point after a reconnect, and chunks interleave platforms."""

    async def run() -> None:
        target = RecordingTarget(limits=Limits(0.001, 10_000, 10**7))  # no overflow here
        relay = Relay()
        relay.register(target)
        pipeline = ChatPipeline(MemoryStore(), relay)
        pipeline.follow("W", "b1", [("slack", "C1", "1.1")])
        high: dict[str, int] = {}
        for platform, upto, back in deliveries:
            start = max(0, high.get(platform, 0) - back)  # a replay of the last few
            end = max(high.get(platform, 0), upto)
            await pipeline.deliver([line(n, platform) for n in range(start, end)])
            high[platform] = end
        await relay.drain()
        await relay.close()
        got = seen(target.posts)
        for platform, end in high.items():
            assert got.get(platform, []) == [f"{platform}-{n}" for n in range(end)]

    asyncio.run(run())


async def test_outrun_thread_posts_what_fits_and_counts_the_rest() -> None:
    target = RecordingTarget(limits=Limits(interval=0.2, max_lines=10, max_chars=30000))
    relay = Relay()
    relay.register(target)
    pipeline = ChatPipeline(MemoryStore(), relay)
    pipeline.follow("W", "b1", [("slack", "C1", "1.1")])
    lines = [line(i, "youtube" if i % 20 else "twitch") for i in range(1000)]
    await pipeline.deliver(lines)
    await relay.drain()
    await relay.close()
    shown = sum(len(p.batch.lines) for p in target.posts)
    skipped = sum(sum(p.batch.skipped.values()) for p in target.posts)
    assert shown + skipped == 1000
    summary = next(p.batch.summary() for p in target.posts if p.batch.skipped)
    assert summary == "+980 more, 95% on YouTube"
    # the oldest that fit first, then the newest: still in order, and the last line is shown
    assert target.posts[-1].batch.lines[-1].message_id == "youtube-999"
    assert len(target.posts) == 2


async def test_caught_lines_are_held_back() -> None:
    target = RecordingTarget()
    relay = Relay()
    relay.register(target)
    held = []

    async def hold(workspace, one, verdict):
        held.append((workspace, one.message_id, verdict.rule))

    pipeline = ChatPipeline(MemoryStore(), relay, hold)
    pipeline.follow("W", "b1", [("slack", "C1", "1.1")])
    pipeline.set_rules("W", Rules(banned_words=("spam",)))
    await pipeline.deliver([line(1, text="hi"), line(2, text="spam!"), line(3, text="yo")])
    await relay.drain()
    await relay.close()
    assert [m for p in target.posts for m in (x.message_id for x in p.batch.lines)] == [
        "youtube-1",
        "youtube-3",
    ]
    assert held == [("W", "youtube-2", "banned_word")]


async def test_slack_fake_receives_coalesced_posts_within_one_per_second() -> None:
    fake = FakeSlack()
    runner = web.AppRunner(fake.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    client = web_client(f"{url}/api", "xoxb-test")
    times: list[float] = []

    async def client_for(workspace):
        return client

    caps = frozenset({Capability.CHAT_DELETE, Capability.BAN, Capability.TIMEOUT})
    target = SlackRelayTarget(client_for, lambda p: offered(caps, True) if p == "youtube" else [])
    relay = Relay(on_post=lambda thread, batch, at: times.append(time.monotonic()))
    relay.register(target)
    pipeline = ChatPipeline(MemoryStore(), relay)
    pipeline.follow("W", "b1", [("slack", "C1", "1700000000.000001")])
    try:
        sent = await produce(pipeline, per_second=5, seconds=2.5)
        await relay.drain()
    finally:
        await relay.close()
        await runner.cleanup()
    posts = fake.of("chat.postMessage")
    assert fake.problems == []
    assert most_in_window(times, 1.0) == 1
    sections = [b for p in posts for b in p["blocks"] if b["type"] == "section"]
    assert len(sections) == sent
    assert all(p["thread_ts"] == "1700000000.000001" and p["unfurl_links"] is False for p in posts)
    menus = [b for b in sections if "accessory" in b]
    assert menus and all(b["accessory"]["action_id"] == ACTION_ID for b in menus)
    assert {b["block_id"].split(":")[0] for b in sections} == {"chat"}
    assert Counter(len(menus[0]["accessory"]["options"]) for _ in [0]) == Counter({5: 1})


async def test_discord_target_payloads() -> None:
    sent = []

    async def send(channel, payload):
        sent.append((channel, payload))

    target = DiscordRelayTarget(send)
    batch = Batch((line(1, text="@everyone <@123> **x**"),), Counter({"twitch": 3}))
    await target.post("W", "D1", "T9", batch)
    channel, payload = sent[0]
    assert channel == "T9" and payload["allowed_mentions"] == {"parse": []}
    assert payload["content"].startswith("-# +3 more, all on Twitch\n**[YouTube]**")
    assert "@\u200beveryone" in payload["content"] and "\\<@\u200b123" in payload["content"]
