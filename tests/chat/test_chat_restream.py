"""Restream's chat WebSocket: events stored once, heartbeats, reconnect on silence, the token
(which rides in the URL) never in a log or repr."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest

from bot.chat.restream import RestreamCollector
from bot.chat.store import ChatStore
from providers.chat.restream import RestreamChatSocket
from providers.sandbox import start_sandbox
from providers.sandbox.restream import RestreamEmulator
from tests.chat.helpers import BROADCAST, until


@pytest.fixture
async def restream() -> AsyncIterator[tuple[RestreamEmulator, str, str]]:
    async with await start_sandbox(["restream"]) as sandbox:
        emulator = sandbox.emulators["restream"]
        assert isinstance(emulator, RestreamEmulator)
        emulator.chat.heartbeat_seconds = 0.1
        issued = emulator.oauth.issue_tokens(emulator.client_id, ("chat.read",))
        base = sandbox.endpoints["restream"].api_url.split("/v2")[0]
        yield emulator, issued["access_token"], base.replace("http://", "ws://") + "/ws"


async def test_events_stored_once_and_silence_reconnects(
    restream, chat_store: ChatStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    emulator, token, url = restream

    async def source() -> str:
        return token

    socket = RestreamChatSocket(source, ws_url=url, silence_seconds=0.4)
    collector = RestreamCollector(socket, BROADCAST)
    stop = asyncio.Event()
    task = asyncio.create_task(collector.run(chat_store, stop))
    try:
        await until(lambda: emulator.chat.sockets != [])
        await until(lambda: emulator.chat.sent["heartbeat"] >= 2)
        emulator.chat.duplicate_next = True
        await emulator.chat.inject("hello from LinkedIn", "Lin")
        await until(lambda: collector.stored == 1)
        greeted = emulator.chat.sent["connection_info"]
        emulator.chat.silent = True
        await until(lambda: socket.reconnects >= 1)
        emulator.chat.silent = False
        # the new socket has been greeted and the old one is gone
        await until(lambda: emulator.chat.sent["connection_info"] > greeted)
        await until(lambda: len(emulator.chat.sockets) == 1)
        await emulator.chat.inject("after the silence", event_source_id=29)
        await until(lambda: collector.stored == 2)
    finally:
        stop.set()
        await emulator.chat.drop_all()
        await asyncio.wait_for(task, 5)
    stored = await chat_store.search(BROADCAST)
    assert [(s.platform, s.text) for s in stored] == [
        ("linkedin", "hello from LinkedIn"),
        ("kick", "after the silence"),
    ]
    assert token not in caplog.text
    assert token not in repr(socket)


async def test_refused_token_is_never_logged(restream, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    _, _, url = restream
    wrong = "wrong-token-" + "x" * 20

    async def source() -> str:
        return wrong

    socket = RestreamChatSocket(source, ws_url=url, silence_seconds=0.4)
    stop = asyncio.Event()

    async def consume() -> None:
        async for _ in socket.events(stop):
            pass

    task = asyncio.create_task(consume())
    await until(lambda: socket.reconnects >= 2)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert "WSServerHandshakeError" in caplog.text
    assert wrong not in caplog.text
