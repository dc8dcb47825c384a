"""Instagram live comments: the client and collector against the Graph emulator, and the chat
service reading them through the Facebook connection while an Instagram broadcast is live."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.chat.collector import CollectorRunner
from bot.chat.instagram import InstagramCollector
from bot.chat.service import collector_for
from bot.chat.store import ChatStore
from bot.handlers import Requester, run
from bot.services.context import Services
from providers.base import BroadcastHandle, BroadcastState
from providers.errors import InvalidRequest
from providers.facebook import Facebook
from providers.sandbox.instagram_graph import InstagramGraph
from storage.models import Livestream, LivestreamPlatform
from tests.chat.helpers import until
from tests.conftest import FastRetry, database_url, make_settings

BROADCAST = "igbc0001"


@pytest.fixture
async def services(backend: str, tmp_path: Path) -> AsyncIterator[Services]:
    url = await database_url(backend, tmp_path)
    running = await Services.start(make_settings(tmp_path, url), sandbox=True)
    running.connections.retry_policy = FastRetry(initial_wait=0.01)
    try:
        yield running
    finally:
        await running.close()


def graph(services: Services) -> InstagramGraph:
    return services.sandbox.emulators["facebook"].instagram  # type: ignore[attr-defined]


async def facebook(services: Services) -> Facebook:
    workspace = services.settings.workspace
    await services.connections.ensure(workspace, "admin", "facebook")
    return await services.connections.provider(
        workspace, "facebook", actor="test", operation="read chat"
    )


async def store_for(services: Services) -> ChatStore:
    async with services.db.transaction() as session:
        stream = Livestream(
            id=BROADCAST, workspace=services.settings.workspace, title="IG", primary_platform="ig"
        )
        stream.platforms.append(LivestreamPlatform(platform="instagram"))
        session.add(stream)
    return services.chat.store


async def test_comments_of_the_live_are_collected_once_and_resume(services: Services) -> None:
    provider = await facebook(services)
    handle = BroadcastHandle(remote_id="instagram-x", state=BroadcastState.LIVE)
    collector = collector_for("instagram", provider, handle, BROADCAST)
    assert isinstance(collector, InstagramCollector)
    store = await store_for(services)
    runner = CollectorRunner(store, collector)

    page = await runner.step()  # not live yet in Instagram
    assert page.lines == [] and page.cursor is None and page.wait_seconds > 0

    ig = graph(services)
    media = ig.go_live()
    for n in range(60):  # more than one page of 50
        ig.inject(media, f"comment {n}", f"fan{n % 4}")
    ig.inject(media, "thanks for coming", ig.username)
    page = await runner.step()
    assert page.cursor is not None and page.cursor.startswith(media + " ")
    texts = [line.text for line in await store.search(BROADCAST)]
    assert texts == [f"comment {n}" for n in range(60)] + ["thanks for coming"]
    [own] = await store.search(BROADCAST, "thanks")
    assert own.badges == {"owner"} and own.author_name == ig.username

    ig.inject(media, "late one", "fan9")
    restarted = CollectorRunner(store, collector_for("instagram", provider, handle, BROADCAST))
    await restarted.step()  # loads the stored cursor: the same second is read again, dropped
    texts = [line.text for line in await store.search(BROADCAST)]
    assert texts[-1] == "late one" and len(texts) == len(set(texts)) == 62
    assert restarted.stored == 1

    ig.end(media)
    page = await restarted.step()
    assert page.ended


async def test_the_emulator_refuses_what_graph_refuses(services: Services) -> None:
    ig = graph(services)
    emulator = services.sandbox.emulators["facebook"]  # type: ignore[attr-defined]
    base = services.platform_config("facebook").endpoints.api_url
    media = ig.go_live()
    narrow = emulator.oauth.issue_tokens(
        emulator.client_id, ("pages_show_list", "pages_read_engagement", "instagram_basic")
    )["access_token"]
    async with httpx.AsyncClient(base_url=base) as http:
        live = await http.get(f"/{ig.user_id}/live_media", params={"access_token": narrow})
        assert live.status_code == 200 and live.json()["data"] == [{"id": media}]
        refused = await http.get(f"/{media}/comments", params={"access_token": narrow})
        assert refused.status_code == 400 and refused.json()["error"]["code"] == 10
        full = emulator.oauth.issue_tokens(
            emulator.client_id,
            ("pages_read_engagement", "instagram_basic", "instagram_manage_comments"),
        )["access_token"]
        too_many = await http.get(
            f"/{media}/comments", params={"access_token": full, "limit": "500"}
        )
        assert too_many.json()["error"]["code"] == 100
        unknown = await http.get(
            f"/{media}/comments", params={"access_token": full, "fields": "id,message"}
        )
        assert "nonexisting field (message)" in unknown.json()["error"]["message"]


async def test_missing_permission_stops_the_collector(services: Services) -> None:
    provider = await facebook(services)
    emulator = services.sandbox.emulators["facebook"]  # type: ignore[attr-defined]
    graph(services).go_live()
    for record in emulator.oauth.access_tokens.values():
        record.scopes = tuple(s for s in record.scopes if s != "instagram_manage_comments")
    collector = collector_for(
        "instagram", provider, BroadcastHandle("x", BroadcastState.LIVE), BROADCAST
    )
    with pytest.raises(InvalidRequest):
        await collector.fetch(None)


async def test_an_instagram_broadcast_with_chat_collects_its_comments(services: Services) -> None:
    me = Requester(services.settings.workspace, "console")
    reply = await run(services, me, "golive", '"Both" on facebook,instagram chat')
    assert reply.ok, reply.private
    [stream] = await services.livestreams.list(me.workspace)
    await run(services, me, "golive", f"start {stream.id}")
    assert sorted(services.chat.platforms[stream.id]) == ["facebook", "instagram"]
    ig = graph(services)
    media = ig.go_live()  # the person goes live in Instagram's app
    ig.inject(media, "hello from instagram", "fan1")
    await until(
        lambda: any(
            line.platform == "instagram" for line in services.chat.moderation.lines.values()
        ),
        20,
    )
    [line] = [x for x in await services.chat.store.search(stream.id) if x.platform == "instagram"]
    assert line.text == "hello from instagram"
