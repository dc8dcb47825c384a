"""Twitch chat over EventSub WebSocket: subscribe, receive, survive reconnects and silence."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from pydantic import SecretStr

from bot.chat.store import ChatStore
from bot.chat.twitch import TwitchCollector
from providers.base import PlatformConfig
from providers.chat.twitch import EventSubChat
from providers.http import PlatformHttp, RetryPolicy, StoredToken
from providers.oauth import OAuthFlow, credentials_from_token
from providers.sandbox import start_sandbox
from providers.sandbox.twitch import TwitchEmulator
from providers.twitch import Twitch
from tests.chat.helpers import BROADCAST, until


@dataclass
class LiveTwitch:
    emulator: TwitchEmulator
    chat: EventSubChat


@pytest.fixture
async def live_tw() -> AsyncIterator[LiveTwitch]:
    async with await start_sandbox(["twitch"]) as sandbox:
        emulator = sandbox.emulators["twitch"]
        assert isinstance(emulator, TwitchEmulator)
        emulator.chat.min_keepalive = 0.2
        client_id, secret = sandbox.clients["twitch"]
        config = PlatformConfig(
            endpoints=sandbox.endpoints["twitch"],
            client_id=client_id,
            client_secret=SecretStr(secret),
        )
        credentials = credentials_from_token(
            emulator.oauth.issue_tokens(emulator.client_id, (*Twitch.scopes, "user:read:chat"))
        )
        token = StoredToken("twitch", credentials, refresher=OAuthFlow(Twitch, config).refresh)
        api_url = config.endpoints.api_url
        http = PlatformHttp("twitch", api_url, token=token, retry=RetryPolicy(attempts=1))
        Twitch(config, http)  # sets the Client-Id header Helix wants
        user = emulator.channel.user_id
        ws_url = api_url.removesuffix("/helix").replace("http://", "ws://") + "/ws"
        chat = EventSubChat(http, user, user, ws_url=ws_url, keepalive_seconds=1)
        try:
            yield LiveTwitch(emulator, chat)
        finally:
            await http.aclose()


@pytest.fixture
async def running(
    live_tw: LiveTwitch, chat_store: ChatStore
) -> AsyncIterator[tuple[LiveTwitch, TwitchCollector]]:
    collector = TwitchCollector(live_tw.chat, BROADCAST)
    stop = asyncio.Event()
    task = asyncio.create_task(collector.run(chat_store, stop))
    await until(lambda: any(s.subscriptions for s in live_tw.emulator.chat.sessions.values()))
    try:
        yield live_tw, collector
    finally:
        stop.set()
        await live_tw.emulator.chat.drop_all()
        await asyncio.wait_for(task, 5)


async def test_messages_are_stored_once_with_badges(running, chat_store: ChatStore) -> None:
    live, collector = running
    chat = live.emulator.chat
    await chat.inject("hello", "Ana", badges=("broadcaster",))
    chat.duplicate_next = True  # at-least-once: the same notification twice
    await chat.inject("again", "Mod", badges=("moderator", "subscriber"))
    await until(lambda: collector.stored == 2)
    await asyncio.sleep(0.05)
    stored = await chat_store.search(BROADCAST, platform="twitch")
    assert [(s.text, s.badges) for s in stored] == [
        ("hello", frozenset({"owner"})),
        ("again", frozenset({"moderator", "subscriber"})),
    ]
    assert chat.sent["notification"] == 3


async def test_reconnect_message_moves_the_session_without_resubscribing(
    running, chat_store: ChatStore
) -> None:
    live, collector = running
    chat = live.emulator.chat
    await chat.send_reconnect()
    await until(lambda: chat.sent["session_welcome"] == 2)
    await until(lambda: len(chat.sessions) == 1)
    await chat.inject("after the move")
    await until(lambda: collector.stored == 1)
    assert live.chat.subscriptions == 1
    assert live.chat.reconnects == 0


async def test_dropped_or_silent_connection_reconnects_and_resubscribes(
    running, chat_store: ChatStore
) -> None:
    live, collector = running
    chat = live.emulator.chat
    await chat.drop_all()
    await until(lambda: live.chat.subscriptions == 2)
    await chat.inject("after a drop")
    await until(lambda: collector.stored == 1)
    chat.silent = True  # no keepalive: the client must notice within the timeout
    await until(lambda: live.chat.subscriptions == 3)
    chat.silent = False
    await chat.inject("after silence")
    await until(lambda: collector.stored == 2)
    assert live.chat.reconnects == 2


async def test_subscription_is_strict(live_tw: LiveTwitch) -> None:
    from providers.errors import PlatformError

    with pytest.raises(PlatformError) as unknown:
        await live_tw.chat._subscribe("no-such-session")
    assert unknown.value.status == 400
