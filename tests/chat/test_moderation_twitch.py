"""Twitch moderation: Helix delete chat message, ban, time-out and unban through the service.

The real Twitch provider talks to the emulator over HTTP; each test asserts the exact Helix
call, its query and body, and what the channel's chat accepts afterwards."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bot.chat.model import ChatLine
from bot.chat.moderation import MemoryHistory, ModerationService, actions_for
from providers.base import BroadcastHandle, Moderation
from providers.http import PlatformHttp
from providers.sandbox import Sandbox, start_sandbox
from providers.sandbox.chat import ChatRefused
from providers.sandbox.twitch import TwitchEmulator
from providers.twitch import Twitch
from tests.chat.moderation_env import StoredModerator, calls_since, twitch_provider


@dataclass
class Env:
    sandbox: Sandbox
    emulator: TwitchEmulator
    provider: Twitch
    handle: BroadcastHandle
    http: PlatformHttp
    service: ModerationService
    history: MemoryHistory

    def mark(self) -> int:
        return len(self.sandbox.requests["twitch"])

    async def say(
        self, text: str, chatter: str, chatter_id: str, badges: tuple[str, ...] = ()
    ) -> ChatLine:
        """A chatter writes; the line golive would relay for it, remembered for the menu."""
        message_id = await self.emulator.chat.inject(
            text, chatter, chatter_id=chatter_id, badges=badges
        )
        line = ChatLine(
            platform="twitch",
            message_id=message_id,
            author_name=chatter,
            author_id=chatter_id,
            badges=frozenset(),
            text=text,
            sent_at=datetime.now(UTC),
            broadcast_id="b1",
        )
        self.service.remember([line])
        return line

    async def act(self, line: ChatLine, action: str, role: str = "moderator") -> str:
        return await self.service.act(
            "W", line.id, action, actor="slack:UM", actor_name="@mo", role=role
        )


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    async with await start_sandbox(["twitch"]) as sandbox:
        emulator = sandbox.emulators["twitch"]
        assert isinstance(emulator, TwitchEmulator)
        provider, handle, http = twitch_provider(sandbox)
        moderator = StoredModerator({"twitch": provider})
        moderator.keep("twitch", handle)
        history = MemoryHistory()
        service = ModerationService(moderator, history)
        try:
            yield Env(sandbox, emulator, provider, handle, http, service, history)
        finally:
            await http.aclose()


def test_scopes_and_actions() -> None:
    assert {"moderator:manage:chat_messages", "moderator:manage:banned_users"} <= set(Twitch.scopes)
    assert [a.name for a in actions_for("twitch")] == [
        "delete",
        "timeout5m",
        "timeout1h",
        "ban",
        "unban",
    ]


async def test_delete_ban_timeout_unban(env: Env) -> None:
    me = env.emulator.channel.user_id
    assert isinstance(env.provider, Moderation)
    line = await env.say("spam spam", "Spammer", "9001")
    mark = env.mark()

    assert await env.act(line, "delete") == "deleted on Twitch by @mo"
    assert calls_since(env.sandbox, "twitch", mark) == [("DELETE", "/helix/moderation/chat")]
    assert env.emulator.chat.moderation.deleted == {line.message_id}
    again = await env.act(line, "delete")
    assert again.startswith("Delete message on Twitch failed:") and "not found" in again

    mark = env.mark()
    assert await env.act(line, "ban") == "banned on Twitch by @mo"
    assert calls_since(env.sandbox, "twitch", mark) == [("POST", "/helix/moderation/bans")]
    ban = env.emulator.chat.moderation.active_ban(me, "9001")
    assert ban is not None and ban.end_time is None and ban.moderator_id == me
    with pytest.raises(ChatRefused):
        await env.emulator.chat.inject("let me in", "Spammer", chatter_id="9001")
    twice = await env.act(line, "ban")
    assert "already banned" in twice
    # a banned user cannot be moved into a time-out either
    assert "already banned" in await env.act(line, "timeout5m")

    mark = env.mark()
    assert await env.act(line, "unban") == "unbanned on Twitch by @mo"
    assert calls_since(env.sandbox, "twitch", mark) == [("DELETE", "/helix/moderation/bans")]
    assert env.emulator.chat.moderation.active_ban(me, "9001") is None
    await env.emulator.chat.inject("thanks", "Spammer", chatter_id="9001")
    assert "not banned" in await env.act(line, "unban")

    assert await env.act(line, "timeout1h") == "timed out for 1 h on Twitch by @mo"
    timeout = env.emulator.chat.moderation.active_ban(me, "9001")
    assert timeout is not None and timeout.end_time is not None
    assert round((timeout.end_time - timeout.created_at).total_seconds()) == 3600
    with pytest.raises(ChatRefused):
        await env.emulator.chat.inject("hello?", "Spammer", chatter_id="9001")
    later = time.time() + 3601
    env.emulator.clock = lambda: later
    await env.emulator.chat.inject("back again", "Spammer", chatter_id="9001")  # over
    results = [e.result.split(":")[0] for e in env.history.entries]
    assert results == ["done", "failed", "done", "failed", "failed", "done", "failed", "done"]


async def test_the_calls_carry_the_documented_query_and_body(env: Env) -> None:
    me = env.emulator.channel.user_id
    line = await env.say("x", "Rude", "9002")
    await env.act(line, "timeout5m")
    await env.act(line, "unban")
    await env.act(line, "ban")
    await env.act(line, "delete")
    ids = {"broadcaster_id": me, "moderator_id": me}
    assert env.emulator.chat.moderation.received == [
        ("POST", "/helix/moderation/bans", ids, {"data": {"user_id": "9002", "duration": 300}}),
        ("DELETE", "/helix/moderation/bans", {**ids, "user_id": "9002"}, None),
        ("POST", "/helix/moderation/bans", ids, {"data": {"user_id": "9002"}}),
        ("DELETE", "/helix/moderation/chat", {**ids, "message_id": line.message_id}, None),
    ]


async def test_a_message_older_than_six_hours_cannot_be_deleted(env: Env) -> None:
    line = await env.say("old news", "Viewer", "9005")
    later = time.time() + 6 * 3600 + 1
    env.emulator.clock = lambda: later
    said = await env.act(line, "delete")
    assert said.startswith("Delete message on Twitch failed:") and "six hours" in said
    assert env.emulator.chat.moderation.deleted == set()


async def test_a_member_is_refused_with_no_call_to_twitch(env: Env) -> None:
    line = await env.say("spam", "Spammer", "9003")
    mark = env.mark()
    for action in ("delete", "ban", "timeout5m", "unban"):
        assert await env.act(line, action, role="member") == (
            "Only moderators and admins can moderate chat."
        )
    assert calls_since(env.sandbox, "twitch", mark) == []
    assert env.emulator.chat.moderation.active_ban(env.emulator.channel.user_id, "9003") is None


async def test_without_the_moderation_scopes_twitch_refuses(env: Env) -> None:
    provider, handle, http = twitch_provider(
        env.sandbox, scopes=("channel:read:stream_key", "channel:manage:broadcast")
    )
    try:
        service = ModerationService(StoredModerator({"twitch": provider}), MemoryHistory())
        service.moderator.keep("twitch", handle)  # type: ignore[attr-defined]
        line = await env.say("hi", "Viewer", "9004")
        service.remember([line])
        said = await service.act("W", line.id, "ban", actor="a", actor_name="@a", role="admin")
        assert said.startswith("Ban on Twitch failed:")
        assert "Missing scope: moderator:manage:banned_users" in said
        assert "reconnect Twitch (/platforms connect twitch)" in said
        assert env.emulator.oauth.grants["refresh_token"] == 0  # a refresh cannot add a scope
        assert env.emulator.chat.moderation.received[0][:2] == ("POST", "/helix/moderation/bans")
        assert env.emulator.chat.moderation.active_ban(handle.remote_id, "9004") is None
    finally:
        await http.aclose()


async def test_emulator_is_strict(env: Env) -> None:
    me = env.emulator.channel.user_id
    mod_line = await env.say("I moderate", "Mod", "9100", badges=("moderator",))
    issued = env.emulator.oauth.issue_tokens(env.emulator.client_id, Twitch.scopes)
    headers = {
        "Authorization": f"Bearer {issued['access_token']}",
        "Client-Id": env.emulator.client_id,
    }
    bans = env.http.base_url + "/moderation/bans"
    chat = env.http.base_url + "/moderation/chat"
    ids = {"broadcaster_id": me, "moderator_id": me}

    def shape(response: httpx.Response) -> tuple[int, str]:
        body = response.json()
        assert set(body) == {"error", "status", "message"}
        assert body["status"] == response.status_code
        return response.status_code, body["message"]

    async with httpx.AsyncClient() as raw:

        async def ban(data: Any, params: dict[str, str] = ids) -> httpx.Response:
            return await raw.post(bans, params=params, json=data, headers=headers)

        for duration in (0, 1_209_601, "soon", True):
            status, _ = shape(await ban({"data": {"user_id": "1", "duration": duration}}))
            assert status == 400
        assert shape(await ban({"data": {"duration": 5}}))[0] == 400
        assert shape(await ban({"user_id": "1"}))[0] == 400
        assert shape(await ban({"data": {"user_id": "1", "colour": "red"}}))[0] == 400
        assert shape(await ban({"data": {"user_id": me}}))[0] == 400  # the broadcaster
        assert shape(await ban({"data": {"user_id": "1"}}, {"broadcaster_id": me}))[0] == 400
        other = await ban({"data": {"user_id": "1"}}, {"broadcaster_id": me, "moderator_id": "7"})
        assert shape(other)[0] == 401
        longest = await ban({"data": {"user_id": "1", "duration": 1_209_600, "reason": "r"}})
        assert longest.status_code == 200
        made = longest.json()["data"][0]
        assert set(made) == {"broadcaster_id", "moderator_id", "user_id", "created_at", "end_time"}
        assert made["end_time"] is not None

        gone = await raw.delete(chat, params={**ids, "message_id": "nope"}, headers=headers)
        assert shape(gone)[0] == 404
        protected = await raw.delete(
            chat, params={**ids, "message_id": mod_line.message_id}, headers=headers
        )
        assert shape(protected) == (400, "You may not delete another moderator's messages.")
        stranger = env.emulator.oauth.issue_tokens(
            env.emulator.client_id, Twitch.scopes, subject="777"
        )
        not_mod = await raw.delete(
            chat,
            params={"broadcaster_id": me, "moderator_id": "777", "message_id": "x"},
            headers={**headers, "Authorization": f"Bearer {stranger['access_token']}"},
        )
        assert shape(not_mod)[0] == 403
        no_auth = await raw.delete(chat, params={**ids, "message_id": "x"})
        assert shape(no_auth)[0] == 401
        wrong_verb = await raw.put(bans, params=ids, json={}, headers=headers)
        assert wrong_verb.status_code == 405

        narrow = env.emulator.oauth.issue_tokens(env.emulator.client_id, ("user:read:chat",))
        scoped = {**headers, "Authorization": f"Bearer {narrow['access_token']}"}
        no_scope = await raw.post(bans, params=ids, json={"data": {"user_id": "1"}}, headers=scoped)
        assert shape(no_scope) == (401, "Missing scope: moderator:manage:banned_users")
        no_scope = await raw.delete(chat, params={**ids, "message_id": "x"}, headers=scoped)
        assert shape(no_scope) == (401, "Missing scope: moderator:manage:chat_messages")

        not_banned = await raw.delete(bans, params={**ids, "user_id": "55"}, headers=headers)
        assert shape(not_banned) == (400, "The user specified in the user_id field is not banned.")
