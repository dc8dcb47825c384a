"""Facebook moderation: delete a live comment and block its author from the Page.

The real Facebook provider (with its Page token) talks to the Graph emulator over HTTP.
Facebook has no time-out: the menu does not offer one and nothing is ever sent for it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from bot.chat.facebook import to_line
from bot.chat.model import ChatLine
from bot.chat.moderation import MemoryHistory, ModerationService, actions_for
from providers.base import BroadcastHandle, Moderation
from providers.chat.facebook import FacebookCommentsClient
from providers.facebook import Facebook
from providers.http import PlatformHttp
from providers.sandbox import Sandbox, start_sandbox
from providers.sandbox.chat import ChatRefused
from providers.sandbox.facebook import SCOPES, VERSION, FacebookEmulator
from tests.chat.moderation_env import StoredModerator, calls_since, live_facebook


@dataclass
class Env:
    sandbox: Sandbox
    emulator: FacebookEmulator
    provider: Facebook
    handle: BroadcastHandle
    http: PlatformHttp
    service: ModerationService

    @property
    def page_id(self) -> str:
        return self.handle.data["page_id"]

    def mark(self) -> int:
        return len(self.sandbox.requests["facebook"])

    async def comments(self) -> list[dict]:
        client = FacebookCommentsClient(self.provider, self.page_id)
        return (await client.comments(self.handle.remote_id, None)).items

    async def lines(self) -> dict[str, ChatLine]:
        lines = [x for c in await self.comments() if (x := to_line(c, "b1", self.page_id))]
        self.service.remember(lines)
        return {x.text: x for x in lines}

    async def act(self, line: ChatLine, action: str, role: str = "admin") -> str:
        return await self.service.act(
            "W", line.id, action, actor="slack:UA", actor_name="@ana", role=role
        )


async def make_env(sandbox: Sandbox, scopes: tuple[str, ...] | None = None) -> Env:
    emulator = sandbox.emulators["facebook"]
    assert isinstance(emulator, FacebookEmulator)
    provider, handle, http = await live_facebook(sandbox, scopes)
    moderator = StoredModerator({"facebook": provider})
    moderator.keep("facebook", handle)
    service = ModerationService(moderator, MemoryHistory())
    return Env(sandbox, emulator, provider, handle, http, service)


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    async with await start_sandbox(["facebook"]) as sandbox:
        made = await make_env(sandbox)
        try:
            yield made
        finally:
            await made.provider.aclose()
            await made.http.aclose()


def test_capabilities_and_permission() -> None:
    assert "pages_manage_engagement" in Facebook.scopes
    assert [a.name for a in actions_for("facebook")] == ["delete", "ban", "unban"]


async def test_delete_then_block_and_unblock(env: Env) -> None:
    video = env.handle.remote_id
    env.emulator.chat.inject(video, "cheap pills", "Spammer", user_id="7000001")
    env.emulator.chat.inject(video, "nice stream", "Fan", user_id="7000002")
    spam = (await env.lines())["cheap pills"]
    assert isinstance(env.provider, Moderation)
    mark = env.mark()

    assert await env.act(spam, "delete") == "deleted on Facebook by @ana"
    assert calls_since(env.sandbox, "facebook", mark) == [
        ("DELETE", f"{VERSION}/{spam.message_id}")
    ]
    assert [c["message"] for c in await env.comments()] == ["nice stream"]

    mark = env.mark()
    assert await env.act(spam, "ban") == "banned on Facebook by @ana"
    assert calls_since(env.sandbox, "facebook", mark) == [
        ("POST", f"{VERSION}/{env.page_id}/blocked")
    ]
    assert env.emulator.chat.moderation.is_blocked(env.page_id, "7000001")
    with pytest.raises(ChatRefused):
        env.emulator.chat.inject(video, "again!", "Spammer", user_id="7000001")

    mark = env.mark()
    assert await env.act(spam, "unban") == "unbanned on Facebook by @ana"
    assert calls_since(env.sandbox, "facebook", mark) == [
        ("DELETE", f"{VERSION}/{env.page_id}/blocked")
    ]
    assert not env.emulator.chat.moderation.is_blocked(env.page_id, "7000001")
    env.emulator.chat.inject(video, "sorry", "Spammer", user_id="7000001")


async def test_no_timeout_on_facebook_and_nothing_is_sent(env: Env) -> None:
    env.emulator.chat.inject(env.handle.remote_id, "LOUD", "Shouter", user_id="7000003")
    line = (await env.lines())["LOUD"]
    offered = await env.service.capabilities("W", "b1", "facebook")
    assert [a.name for a in offered] == ["delete", "ban", "unban"]
    mark = env.mark()
    for action in ("timeout5m", "timeout1h"):
        said = await env.act(line, action)
        assert said.startswith("Not done: Facebook does not offer")
    assert calls_since(env.sandbox, "facebook", mark) == []
    # the provider itself refuses a time-out too, rather than turning it into a block
    with pytest.raises(Exception, match="no time-out"):
        await env.provider.ban(env.handle, "7000003", 300)
    assert calls_since(env.sandbox, "facebook", mark) == []


async def test_a_member_is_refused_with_no_call_to_facebook(env: Env) -> None:
    env.emulator.chat.inject(env.handle.remote_id, "spam", "Spammer", user_id="7000004")
    line = (await env.lines())["spam"]
    mark = env.mark()
    for action in ("delete", "ban", "unban"):
        said = await env.act(line, action, role="member")
        assert said == "Only moderators and admins can moderate chat."
    assert calls_since(env.sandbox, "facebook", mark) == []


async def test_hide_keeps_the_comment_but_marks_it_hidden(env: Env) -> None:
    comment = env.emulator.chat.inject(env.handle.remote_id, "meh", "Critic", user_id="7000005")
    await env.provider.hide_message(env.handle, comment)
    stored = env.emulator.chat.comments[env.handle.remote_id][0]
    assert stored["is_hidden"] is True
    assert [c["message"] for c in await env.comments()] == ["meh"]


async def test_without_pages_manage_engagement_deleting_is_refused() -> None:
    async with await start_sandbox(["facebook"]) as sandbox:
        env = await make_env(sandbox, scopes=SCOPES[2:5])  # no pages_manage_engagement
        try:
            env.emulator.chat.inject(env.handle.remote_id, "x", "Viewer", user_id="7000006")
            line = (await env.lines())["x"]
            said = await env.act(line, "delete")
            assert said.startswith("Delete message on Facebook failed:")
            assert "pages_manage_engagement" in said
            assert [c["message"] for c in await env.comments()] == ["x"]
        finally:
            await env.provider.aclose()
            await env.http.aclose()


async def test_emulator_is_strict(env: Env) -> None:
    comment = env.emulator.chat.inject(env.handle.remote_id, "hi", "Viewer", user_id="7000007")
    user_token = env.emulator.issue_user_token()
    page_token = next(t.token for t in env.emulator.page_tokens.values())
    base = env.sandbox.endpoints["facebook"].api_url

    def code(response: httpx.Response) -> int:
        error = response.json()["error"]
        assert {"message", "type", "code", "fbtrace_id"} <= set(error)
        return error["code"]

    async with httpx.AsyncClient() as raw:

        def auth(token: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {token}"}

        as_user = await raw.delete(f"{base}/{comment}", headers=auth(user_token))
        assert (as_user.status_code, code(as_user)) == (400, 200)
        blocked = f"{base}/{env.page_id}/blocked"
        user_block = await raw.post(blocked, data={"user": "1"}, headers=auth(user_token))
        assert code(user_block) == 210
        nobody = await raw.post(blocked, data={}, headers=auth(page_token))
        assert code(nobody) == 100
        letters = await raw.post(blocked, data={"user": "abc"}, headers=auth(page_token))
        assert code(letters) == 100
        extra = await raw.post(blocked, data={"user": "1", "x": "y"}, headers=auth(page_token))
        assert code(extra) == 100
        several = await raw.post(blocked, data={"user": '["11","12"]'}, headers=auth(page_token))
        assert several.json() == {"11": True, "12": True}
        lifted = await raw.delete(blocked, params={"uid": "11"}, headers=auth(page_token))
        assert lifted.json() == {"success": True}
        assert env.emulator.chat.moderation.blocked[env.page_id] == {"12"}

        bad_hide = await raw.post(
            f"{base}/{comment}", data={"is_hidden": "maybe"}, headers=auth(page_token)
        )
        assert code(bad_hide) == 100
        gone = await raw.delete(f"{base}/{comment}", headers=auth(page_token))
        assert gone.json() == {"success": True}
        again = await raw.delete(f"{base}/{comment}", headers=auth(page_token))
        assert (again.status_code, code(again)) == (400, 100)
