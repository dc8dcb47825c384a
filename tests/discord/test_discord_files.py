"""Files on Discord messages (the report's charts) through discord.py's real client.

The fake takes them as Discord does (developers/reference.mdx "Uploading Files"):
``multipart/form-data`` with ``payload_json`` and ``files[n]`` parts, each file listed in
``attachments``, at most 20 MiB a file.
"""

from __future__ import annotations

import io
import json

import aiohttp
import discord
import pytest
from PIL import Image

from bot.adapters.discord.client import GoliveBot
from bot.adapters.discord.publisher import DiscordPublisher
from tests.discord import payloads
from tests.discord.attachments import MAX_FILE
from tests.discord.conftest import World, deliver
from tests.discord.fake import TOKEN, FakeDiscord

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20


async def test_post_files_sends_the_charts_as_attachments(
    bot: GoliveBot, fake: FakeDiscord, world: World
) -> None:
    publisher = DiscordPublisher(bot)
    files = [("golive-b1-viewers.png", PNG), ("golive-b1-chat.png", PNG[:700])]
    await publisher.post_files("w", str(world.channel), str(world.channel), "Report · b1", files)
    [message] = fake.in_channel(world.channel)
    assert message["content"] == "Report · b1"
    assert [(a["filename"], a["size"], a["content_type"]) for a in message["attachments"]] == [
        ("golive-b1-viewers.png", len(PNG), "image/png"),
        ("golive-b1-chat.png", 700, "image/png"),
    ]
    assert fake.files[int(message["id"])] == files


async def test_a_file_over_the_limit_is_refused_with_413(
    bot: GoliveBot, fake: FakeDiscord, world: World
) -> None:
    channel = bot.get_partial_messageable(world.channel)
    big = discord.File(io.BytesIO(b"\0" * (MAX_FILE + 1)), filename="huge.png")
    with pytest.raises(discord.HTTPException) as refused:
        await channel.send("too big", file=big)
    assert refused.value.status == 413 and refused.value.code == 40005
    assert fake.in_channel(world.channel) == []


async def test_files_must_be_named_and_listed(fake: FakeDiscord, world: World) -> None:
    url = f"{fake.url}/channels/{world.channel}/messages"
    headers = {"Authorization": f"Bot {TOKEN}", "User-Agent": "DiscordBot (x, 1)"}

    async def send(payload: dict, *parts: tuple[str, str | None]) -> dict:
        form = aiohttp.FormData()
        form.add_field("payload_json", json.dumps(payload), content_type="application/json")
        for name, filename in parts:
            form.add_field(name, PNG, filename=filename, content_type="image/png")
        async with aiohttp.ClientSession() as http:
            response = await http.post(url, data=form, headers=headers)
            return {"status": response.status, **await response.json()}

    unlisted = await send({"content": "x", "attachments": []}, ("files[0]", "a.png"))
    assert (unlisted["status"], unlisted["code"]) == (400, 50035)
    dangling = await send(
        {"content": "x", "attachments": [{"id": 1, "filename": "a.png"}]}, ("files[0]", "a.png")
    )
    assert "attachments" in dangling["errors"]
    wrong_name = await send({"content": "x", "attachments": []}, ("file", "a.png"))
    assert wrong_name["status"] == 400
    listed = {"content": "x", "attachments": [{"id": 0, "filename": "chart.png"}]}
    sent = await send(listed, ("files[0]", "a.png"))
    assert sent["status"] == 200 and sent["attachments"][0]["filename"] == "chart.png"


async def test_report_command_attaches_the_chart(
    bot: GoliveBot, fake: FakeDiscord, world: World
) -> None:
    create = payloads.command(
        fake, world.guild, world.channel, world.admin, "golive", title="Launch", platforms="YouTube"
    )
    await deliver(bot, create)
    [stream] = await bot.services.livestreams.list(
        bot.services.settings.discord_workspace(world.guild)
    )
    report = payloads.command(
        fake, world.guild, world.channel, world.admin, "golive", action="report", id=stream.id
    )
    await deliver(bot, report)
    [post] = fake.interactions[int(report["id"])].followups
    assert post["content"].startswith(f"Report · Broadcast {stream.id}")
    [chart] = post["attachments"]
    assert chart["filename"] == f"golive-{stream.id}-viewers.png"
    [(_, data)] = fake.files[int(post["id"])]
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.format == "PNG" and image.size == (900, 450)
