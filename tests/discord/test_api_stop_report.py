"""Stopping through the HTTP API posts the report too, once, into the Discord thread."""

from __future__ import annotations

import httpx
from aiohttp import web

from bot.adapters.discord.client import GoliveBot
from bot.handlers import Requester, run
from bot.services.context import Services
from bot.web import create_app
from tests.discord.conftest import World
from tests.discord.fake import FakeDiscord

WHO = Requester("w", "U1")


async def test_api_stop_posts_the_report_once(
    services: Services, bot: GoliveBot, fake: FakeDiscord, world: World
) -> None:
    await services.announcements.add_target("w", "discord", str(world.announcements), user="U1")
    created = await run(services, WHO, "golive", '"Town hall" on youtube')
    stream_id = created.posts[0].id
    assert (await run(services, WHO, "golive", f"start {stream_id}")).ok
    [copy] = await services.announcements.copies("broadcast", stream_id)
    assert copy.chat == "discord" and copy.thread_id is not None

    runner = web.AppRunner(create_app(services), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    token, _ = await services.tokens.create("w", "ci", "read-write", user="U1")
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        async with httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as api:
            for _ in range(2):
                response = await api.post(
                    f"/api/livestreams/{stream_id}/stop", headers={"Prefer": "wait"}
                )
                assert response.status_code == 200, response.text
    finally:
        await runner.cleanup()

    thread = int(copy.thread_id)
    [report] = [m for m in fake.in_channel(thread) if m["attachments"]]
    assert report["content"].startswith(f"Report · Broadcast {stream_id} · “Town hall” has ended")
    assert [a["filename"] for a in report["attachments"]] == [f"golive-{stream_id}-viewers.png"]
