"""Relayed live chat in a Discord thread, and moderating it from the thread's selects.

The bot is discord.py's real client talking to the fake Discord over HTTP; moderation runs
through the real ModerationService with a provider stand-in that records the calls it gets.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import discord

from bot.adapters.discord.client import GoliveBot
from bot.chat.model import ChatLine
from bot.chat.moderation import MemoryHistory, ModerationService, offered
from bot.services.context import Services
from tests.discord import payloads
from tests.discord.conftest import World, deliver
from tests.discord.fake import FakeDiscord
from tests.relay.helpers import FakeModeration, FakeModerator, most_in_window

T0 = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)
HOSTILE = "@everyone <@123> <@&456> [login](https://evil.example) **bold**\x07\u202e`x`\nfake"


def chat_line(n: int, platform: str = "youtube", text: str | None = None) -> ChatLine:
    return ChatLine(
        platform=platform,
        message_id=f"{platform}-m{n}",
        author_name=f"viewer {n % 3}",
        author_id=f"author-{n % 3}",
        badges=frozenset(),
        text=text if text is not None else f"hello {n}",
        sent_at=T0 + timedelta(milliseconds=n),
        broadcast_id="bc1",
    )


def follow(services: Services, world: World, fake: FakeDiscord) -> int:
    thread = fake.add_thread(world.guild, world.announcements)
    services.chat.relay.follow(
        services.settings.workspace, "bc1", [("discord", str(world.announcements), str(thread))]
    )
    return thread


async def test_batches_are_coalesced_inert_and_within_the_channel_limit(
    services: Services, bot: GoliveBot, fake: FakeDiscord, world: World
) -> None:
    thread = follow(services, world, fake)
    sent = [chat_line(0, text=HOSTILE)]
    services.chat.relay.feed(sent)
    # six rounds of lines arriving faster than one post a second
    for round_ in range(6):
        batch = [chat_line(10 * round_ + k + 1) for k in range(7)]
        sent.extend(batch)
        services.chat.relay.feed(batch)
        await services.chat.relay.drain()
    posts = [(at, body) for channel, at, body in fake.created if channel == thread]
    assert fake.channel_429s == 0
    assert most_in_window([at for at, _ in posts], 5.0) <= 5
    assert len(posts) < len(sent)  # coalesced, not one post per line
    shown = "\n".join(body["content"] for _, body in posts)
    for line in sent[1:]:
        assert (
            shown.count(f": hello {line.message_id.removeprefix('youtube-m')}\n")
            + (shown.endswith(f": hello {line.message_id.removeprefix('youtube-m')}"))
            == 1
        )
    first = posts[0][1]
    assert first["allowed_mentions"] == {"parse": []}
    hostile = first["content"].splitlines()[0]
    assert "@everyone" not in hostile and "<@123>" not in hostile and "<@&456>" not in hostile
    assert "](" not in hostile and "\x07" not in hostile and "\u202e" not in hostile
    assert "**bold**" not in hostile and "\nfake" not in first["content"].split("hello")[0]
    # YouTube offers moderation: each post carries a select over its lines, values = line ids
    ids = {line.id for line in sent}
    offered_ids: list[str] = []
    for _, body in posts:
        assert body["components"], "a post of moderatable lines carries a select"
        for row in body["components"]:
            [select] = row["components"]
            assert 1 <= len(select["options"]) <= 25 and len(select["custom_id"]) <= 100
            offered_ids.extend(o["value"] for o in select["options"])
    assert sorted(offered_ids) == sorted(ids)  # every relayed line offered exactly once
    label = first["components"][0]["components"][0]["options"][0]["label"]
    assert len(label) <= 100 and "\x07" not in label and "\u202e" not in label


async def test_moderator_deletes_and_bans_from_the_thread_member_is_refused(
    services: Services, bot: GoliveBot, fake: FakeDiscord, world: World
) -> None:
    youtube = FakeModeration()
    history = MemoryHistory()
    # a fresh service, as after a restart: the line is found in the chat store by its id
    services.chat.moderation = ModerationService(
        FakeModerator({"youtube": youtube}), history, store=services.chat.store
    )
    bot.relay_target.offered = lambda platform: offered(youtube.capabilities, True)
    thread = follow(services, world, fake)
    lines = [chat_line(n) for n in range(30)]
    await services.chat.store.add(lines)
    services.chat.relay.feed(lines)
    await services.chat.relay.drain()
    [post] = fake.in_channel(thread)
    rows = post["components"]
    assert [len(r["components"][0]["options"]) for r in rows] == [25, 5]
    target = lines[7]
    assert target.id not in services.chat.moderation.lines

    # a member picks a line: refused privately, nothing reaches the platform
    click = payloads.select(fake, world.guild, world.member, post, "golive:chat:0", [target.id])
    await deliver(bot, click)
    refused = fake.interactions[int(click["id"])]
    assert refused.original is not None and "Only moderators" in refused.original["content"]
    assert refused.original["flags"] & 64  # ephemeral
    assert youtube.calls == []

    async def moderate(action: str) -> None:
        pick = payloads.select(
            fake, world.guild, world.moderator, post, "golive:chat:0", [target.id]
        )
        await deliver(bot, pick)
        menu = fake.interactions[int(pick["id"])].original
        assert menu is not None and menu["flags"] & 64
        [select] = menu["components"][0]["components"]
        assert [o["value"] for o in select["options"]] == [
            "delete",
            "timeout5m",
            "timeout1h",
            "ban",
            "unban",
        ]
        assert len(select["custom_id"]) <= 100
        await deliver(
            bot,
            payloads.select(
                fake, world.guild, world.moderator, menu, select["custom_id"], [action]
            ),
        )

    await moderate("delete")
    await moderate("ban")
    assert youtube.calls == [
        ("delete_message", "youtube-bc1", target.message_id),
        ("ban", target.author_id, None),
    ]
    said = [m["content"] for m in fake.in_channel(thread)[1:]]
    moderator_id = world.moderator["user"]["id"]
    assert said == [
        f"deleted on YouTube by <@{moderator_id}>",
        f"banned on YouTube by <@{moderator_id}>",
    ]
    bodies = [body for channel, _, body in fake.created if channel == thread][1:]
    assert all(body["allowed_mentions"] == {"parse": []} for body in bodies)
    actors = [(e.action, e.actor, e.result) for e in history.entries]
    assert actors == [
        ("delete", f"discord:{moderator_id}", "done"),
        ("ban", f"discord:{moderator_id}", "done"),
    ]
    assert fake.rejections == []


async def test_the_fake_refuses_selects_discord_refuses(
    bot: GoliveBot, fake: FakeDiscord, world: World
) -> None:
    route = discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=world.channel)

    def select(custom_id: str, options: int) -> dict:
        return {
            "content": "x",
            "components": [
                {
                    "type": 1,
                    "components": [
                        {
                            "type": 3,
                            "custom_id": custom_id,
                            "options": [
                                {"label": f"o{n}", "value": f"v{n}"} for n in range(options)
                            ],
                        }
                    ],
                }
            ],
        }

    for body in (select("golive:chat:0", 26), select("x" * 101, 3), select("ok", 0)):
        try:
            await bot.http.request(route, json=body)
        except discord.HTTPException as exc:
            assert exc.status == 400 and exc.code == 50035
        else:
            raise AssertionError("the fake accepted a select Discord refuses")
    await bot.http.request(route, json=select("golive:chat:0", 25))
