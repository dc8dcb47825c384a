"""Announcements in Discord: embed and link buttons, edits in place, threads, rate limits."""

from __future__ import annotations

import json
import time

import discord
import discord.http
import pytest

from bot.adapters.discord import render
from bot.handlers import Requester, run
from bot.services.context import Services
from bot.views import Announcement, PlatformLink
from tests.discord import payloads
from tests.discord.conftest import World, deliver
from tests.discord.fake import FakeDiscord


def many_links() -> Announcement:
    names = ["YouTube", "Twitch", "Facebook", "Restream", "Instagram", "Kick", "Custom"]
    links = [
        PlatformLink(n.lower(), n, f"https://example.org/{n.lower()}", n == "Twitch", "ready")
        for n in names
    ]
    links.append(PlatformLink("zoom", "Zoom", None, False, "failed", "token expired — reconnect"))
    links.sort(key=lambda link: not link.primary)
    return Announcement("broadcast", "b1", "Big show", "created", "now", tuple(links))


def test_link_buttons_five_to_a_row_primary_first_and_marked() -> None:
    post = many_links()
    rows = render.buttons(post).to_components()
    assert [len(row["components"]) for row in rows] == [5, 2]  # Zoom has no link: no button
    flat = [button for row in rows for button in row["components"]]
    assert all(b["style"] == 5 and "custom_id" not in b and b["url"] for b in flat)
    assert flat[0]["label"] == "★ Primary · Twitch"
    assert not any("★" in b["label"] for b in flat[1:])
    card = render.embed(post).to_dict()
    names = [f["name"] for f in card["fields"]]
    assert names[2] == "★ Primary · Twitch"
    assert "✗ failed — token expired — reconnect" in [f["value"] for f in card["fields"]]


def test_embed_stays_within_discord_limits() -> None:
    links = tuple(
        PlatformLink(f"p{i}", f"P{i}", f"https://x.org/{i}", i == 0, "ready") for i in range(40)
    )
    post = Announcement("broadcast", "b", "T" * 300, "live", "now", links, "D" * 5000)
    card = render.embed(post).to_dict()
    assert len(card["title"]) == 256 and len(card["description"]) == 4096
    assert len(card["fields"]) == 25
    assert sum(len(row["components"]) for row in render.buttons(post).to_components()) == 25


async def test_state_changes_edit_in_place_and_live_opens_a_thread(
    bot, fake: FakeDiscord, world: World
):
    async def golive(**values):
        payload = payloads.command(
            fake, world.guild, world.channel, world.admin, "golive", **values
        )
        await deliver(bot, payload)
        return fake.interactions[int(payload["id"])]

    await golive(title="Launch", platforms="youtube")
    [post] = fake.in_channel(world.channel)

    await golive(action="start")
    assert fake.in_channel(world.channel) == [post]  # edited, not posted again
    message_id, body = fake.edits[-1]
    assert message_id == int(post["id"])
    fields = {f["name"]: f["value"] for f in body["embeds"][0]["fields"]}
    assert fields["Status"] == "live" and fields["★ Primary · YouTube"] == "● live"
    assert body["components"][0]["components"][0]["style"] == 5
    [thread] = fake.threads
    assert thread["id"] == post["id"] and thread["parent_id"] == str(world.channel)
    assert thread["name"] == "Launch · live chat"
    assert thread["thread_metadata"]["auto_archive_duration"] == 1440

    stopped = await golive(action="stop")
    _, body = fake.edits[-1]
    assert {f["name"]: f["value"] for f in body["embeds"][0]["fields"]}["Status"] == "ended"
    assert len(fake.threads) == 1 and stopped.followups == []


async def test_one_broken_channel_never_stops_the_others(
    bot, fake: FakeDiscord, world: World, services: Services
):
    workspace = services.settings.workspace
    gone = fake.add_channel(world.guild, "locked")
    fake.forbidden.add(gone)
    for channel in (gone, world.announcements):
        await services.announcements.add_target(workspace, "discord", str(channel), user="ana")
    reply = await run(services, Requester(workspace, "ana"), "meet", '"Sync" on jitsi')
    assert reply.ok
    assert len(fake.in_channel(world.announcements)) == 1
    assert ("POST", f"/channels/{gone}/messages") in [(m, p) for m, p, _ in fake.calls]
    assert any(body["code"] == 50013 for _, _, body in fake.rejections)


async def test_rate_limits_are_waited_out_by_discord_py(
    bot, fake: FakeDiscord, world: World, services: Services
):
    workspace = services.settings.workspace
    await services.announcements.add_target(
        workspace, "discord", str(world.announcements), user="ana"
    )
    fake.limit_next("POST", rf"^/channels/{world.announcements}/messages$", retry_after=0.4)
    began = time.monotonic()
    reply = await run(services, Requester(workspace, "ana"), "meet", '"Sync" on jitsi')
    assert reply.ok
    assert time.monotonic() - began >= 0.4
    statuses = [s for m, p, s in fake.calls if p == f"/channels/{world.announcements}/messages"]
    assert statuses == [429, 200]
    assert len(fake.in_channel(world.announcements)) == 1


async def test_the_fake_rejects_what_discord_rejects(bot, fake: FakeDiscord, world: World):
    """The checks the assertions above rely on: a bad button or row is a 400, as on Discord."""
    link = {"type": 2, "style": 5, "label": "Watch", "url": "https://example.org"}
    bad = [
        [{"type": 1, "components": [{**link, "custom_id": "x"}]}],  # link with custom_id
        [{"type": 1, "components": [link] * 6}],  # six in a row
        [{"type": 1, "components": [link]}] * 6,  # six rows
        [{"type": 1, "components": [{**link, "label": "L" * 81}]}],
    ]
    for components in bad:
        params = discord.http.MultipartParameters(
            payload={"content": "x", "components": components}, multipart=None, files=None
        )
        with pytest.raises(discord.HTTPException) as caught:
            await bot.http.send_message(world.channel, params=params)
        assert caught.value.status == 400 and caught.value.code == 50035
    with pytest.raises(discord.NotFound) as missing:
        await bot.http.start_thread_with_message(
            world.channel, 42, name="x", auto_archive_duration=1440
        )
    assert missing.value.code == 10008


async def test_every_livestream_platform_one_button_each_primary_first(
    bot, fake: FakeDiscord, world: World
):
    everything = "youtube,twitch,facebook,restream,instagram,rtmp"
    payload = payloads.command(
        fake,
        world.guild,
        world.channel,
        world.admin,
        "golive",
        title="Everywhere",
        platforms=everything,
        primary="twitch",
    )
    await deliver(bot, payload)
    [post] = fake.in_channel(world.channel)
    buttons = [b for row in post["components"] for b in row["components"]]
    assert all(len(row["components"]) <= 5 for row in post["components"])
    assert all(b["style"] == 5 and "custom_id" not in b for b in buttons)
    assert [b["label"] for b in buttons] == [
        "★ Primary · Twitch",
        "YouTube",
        "Facebook",
        "Instagram",
        "Custom RTMP",
    ]  # Restream forwards to the others and has no watch page of its own: no button
    fields = [f["name"] for f in post["embeds"][0]["fields"]][2:8]
    assert fields[0] == "★ Primary · Twitch" and "Restream" in fields

    start = payloads.command(
        fake, world.guild, world.channel, world.admin, "golive", action="start"
    )
    await deliver(bot, start)
    _, body = fake.edits[-1]
    states = {f["name"]: f["value"] for f in body["embeds"][0]["fields"]}
    assert states["★ Primary · Twitch"] == "● live" and states["Custom RTMP"] == "● live"
    assert [t["id"] for t in fake.threads] == [post["id"]]


async def test_a_meeting_on_zoom_and_jitsi(bot, fake: FakeDiscord, world: World):
    payload = payloads.command(
        fake,
        world.guild,
        world.channel,
        world.admin,
        "meet",
        title="Board",
        platforms="zoom,jitsi",
        primary="zoom",
        duration=30,
    )
    await deliver(bot, payload)
    [post] = fake.in_channel(world.channel)
    labels = [b["label"] for row in post["components"] for b in row["components"]]
    assert labels == ["★ Primary · Zoom", "Jitsi Meet"]
    private = fake.interactions[int(payload["id"])].original_edits[-1]["content"]
    assert "host start link for Zoom" in private  # only the requester sees it
    assert "zak=" not in json.dumps(post)
