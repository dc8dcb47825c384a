"""Live chat from 4 platforms through store, filters and relay into the Slack fake.

Two scenarios, each feeding lines the way collectors hand them over (a page per platform every
50 ms, some lines delivered twice as after a reconnect), into :class:`ChatPipeline` with the
real :class:`ChatStore` (SQLite), the workspace's filters and the Slack relay target posting
over HTTP to the local Slack Web API fake:

- busy community stream, 20 messages a second for 60 s: messages lost from storage (target 0),
  every message relayed individually (no overflow), p95 delay from the platform's ``sent_at``
  to the relayed post (target <= 2 s), and the most posts in any second per thread (target <= 1,
  Slack's chat.postMessage limit per channel);
- burst, 1,000 messages a second for 30 s: messages lost from storage (target 0) and every
  message either relayed or counted in an overflow summary;
- the filter pipeline's lines per second on one core (target >= 50,000).

Run: python bench/chat_relay.py [--seconds 60]  (the burst lasts half as long)
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web

from bot.adapters.slack.app import web_client
from bot.adapters.slack.chatlines import SlackRelayTarget
from bot.chat.filters import Filter, Rules
from bot.chat.model import ChatLine
from bot.chat.moderation import actions_for
from bot.chat.relay import Batch, ChatPipeline, Relay, Thread
from bot.chat.store import ChatStore
from storage.db import Database
from tests.slack.fake_api import FakeSlack

PLATFORMS = ("youtube", "facebook", "twitch", "restream")
RULES = Rules(
    banned_words=("spamword", "scamcoin"),
    patterns=(r"free\s+v-?bucks", r"\b(?:dm|whatsapp|telegram)\s+me\b"),
    links_allowed=("golive.dev", "youtube.com"),
    flood_limit=1_000_000,  # the bench's synthetic authors talk fast; floods are not measured
    repeat_limit=0,
)
WORDS = [
    "hello",
    "great",
    "stream",
    "from",
    "berlin",
    "love",
    "this",
    "song",
    "when",
    "is",
    "the",
    "next",
    "one",
    "wow",
    "nice",
]


def make_line(platform: str, n: int, broadcast: str, at: datetime) -> ChatLine:
    text = " ".join(WORDS[(n + k) % len(WORDS)] for k in range(3 + n % 9)) + f" {n}"
    return ChatLine(
        platform=platform,
        message_id=f"{platform}-{n}",
        author_name=f"viewer {n % 500}",
        author_id=f"a{n % 500}",
        badges=frozenset({"subscriber"}) if n % 4 == 0 else frozenset(),
        text=text,
        sent_at=at,
        broadcast_id=broadcast,
    )


#: when each chat.postMessage reached the Slack fake (its side of the rate limit)
ARRIVED: list[float] = []


@web.middleware
async def arrivals(request: web.Request, handler):
    if request.path.endswith("/chat.postMessage"):
        ARRIVED.append(time.monotonic())
    return await handler(request)


def most_in_a_second(times: list[float]) -> int:
    times = sorted(times)
    worst = start = 0
    for end, t in enumerate(times):
        while t - times[start] >= 1.0:
            start += 1
        worst = max(worst, end - start + 1)
    return worst


async def scenario(
    store: ChatStore, api_url: str, fake: FakeSlack, rate: int, seconds: float, name: str
) -> dict[str, float]:
    client = web_client(api_url, "xoxb-test")
    posts: list[tuple[float, Batch]] = []

    async def client_for(workspace: str):
        return client

    def on_post(thread: Thread, batch: Batch, at: float) -> None:
        posts.append((at, batch))

    relay = Relay(on_post=on_post)
    relay.register(SlackRelayTarget(client_for, actions_for))
    pipeline = ChatPipeline(store, relay)
    pipeline.set_rules("bench", RULES)
    pipeline.follow("bench", name, [("slack", "C1", "1700000000.000001")])
    fake.calls.clear()
    ARRIVED.clear()

    step = 0.05
    ticks = int(seconds / step)
    per_platform = rate / len(PLATFORMS)
    sent = 0
    begin = time.monotonic()
    for tick in range(ticks):
        now = datetime.now(UTC)
        page: list[ChatLine] = []
        for p in PLATFORMS:
            lo = round(tick * per_platform * step)
            hi = round((tick + 1) * per_platform * step)
            page.extend(make_line(p, n, name, now) for n in range(lo, hi))
        sent += len(page)
        await pipeline.deliver(page + page[:2])  # a reconnect replays the last two
        delay = begin + (tick + 1) * step - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
    await relay.drain()
    await relay.close()
    await asyncio.sleep(0)

    stored = len(await store.search(name))
    shown = sum(len(b.lines) for _, b in posts)
    skipped = sum(sum(b.skipped.values()) for _, b in posts)
    delays = [at - line.sent_at.timestamp() for at, b in posts for line in b.lines]
    p95 = statistics.quantiles(delays, n=20)[-1] if len(delays) > 1 else 0.0
    return {
        "sent": sent,
        "stored": stored,
        "shown": shown,
        "skipped": skipped,
        "posts": len(posts),
        "p95": p95,
        "max_per_second": most_in_a_second(ARRIVED),
        "problems": len(fake.problems),
    }


def filter_rate(count: int = 200_000) -> float:
    base = datetime(2026, 12, 3, tzinfo=UTC)
    lines = [
        make_line(PLATFORMS[n % 4], n, "f", base + timedelta(milliseconds=n)) for n in range(count)
    ]
    check = Filter(RULES).check
    began = time.perf_counter()
    caught = sum(1 for line in lines if check(line) is not None)
    took = time.perf_counter() - began
    assert caught == 0, caught
    return count / took


async def main(seconds: float) -> None:
    logging.basicConfig(level=logging.WARNING)
    fake = FakeSlack()
    app = fake.app()
    app.middlewares.append(arrivals)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    api_url = f"http://127.0.0.1:{runner.addresses[0][1]}/api"
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        await db.upgrade()
        store = ChatStore(db)
        try:
            busy = await scenario(store, api_url, fake, 20, seconds, "busy")
            burst = await scenario(store, api_url, fake, 1000, seconds / 2, "burst")
        finally:
            await db.dispose()
            await runner.cleanup()
    print(f"busy stream: 20 msg/s for {seconds:g} s across {len(PLATFORMS)} platforms")
    print(f"  sent {busy['sent']}, stored {busy['stored']}, lost {busy['sent'] - busy['stored']}")
    print(
        f"  relayed individually {busy['shown']} of {busy['sent']}"
        f" (overflow {busy['skipped']}), in {busy['posts']} posts"
    )
    print(f"  p95 delay platform -> relayed post: {busy['p95']:.2f} s (target <= 2 s)")
    print(f"  most posts in any second in the thread: {busy['max_per_second']} (limit 1)")
    print(f"burst: 1000 msg/s for {seconds / 2:g} s")
    print(
        f"  sent {burst['sent']}, stored {burst['stored']},"
        f" lost from storage {burst['sent'] - burst['stored']}"
    )
    accounted = burst["shown"] + burst["skipped"]
    print(
        f"  relayed {burst['shown']} + in overflow summaries {burst['skipped']} = {accounted}"
        f" (unaccounted {burst['sent'] - accounted}), in {burst['posts']} posts"
    )
    print(f"  most posts in any second in the thread: {burst['max_per_second']} (limit 1)")
    print(f"Slack fake rejected payloads: {busy['problems'] + burst['problems']}")
    print(f"filter pipeline: {filter_rate():,.0f} lines/s on one core (target >= 50,000)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="busy stream length")
    asyncio.run(main(parser.parse_args().seconds))
