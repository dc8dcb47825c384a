"""YouTube moderation: liveChatMessages.delete and liveChatBans through ModerationService.

Every action runs the real YouTube provider over HTTP against the emulator, and each test
asserts the exact call the emulator received, the quota it cost and the chat's state after."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from bot.chat.filters import Verdict
from bot.chat.model import ChatLine
from bot.chat.moderation import ACTIONS, MemoryHistory, ModerationService, actions_for
from bot.chat.youtube import to_line
from providers.base import BroadcastHandle, Moderation
from providers.chat.youtube import YouTubeChatClient
from providers.http import PlatformHttp
from providers.sandbox import Sandbox, start_sandbox
from providers.sandbox.chat import ChatAuthor, ChatRefused
from providers.sandbox.moderation import LIVE_CHAT_MODERATION
from providers.sandbox.youtube import YouTubeEmulator
from providers.youtube import BANS_KEY, QUOTA_COSTS, YouTube
from tests.chat.moderation_env import (
    StoredModerator,
    calls_since,
    live_youtube,
    youtube_provider,
)

MESSAGES = "/youtube/v3/liveChat/messages"
BANS = "/youtube/v3/liveChat/bans"


@dataclass
class Env:
    sandbox: Sandbox
    emulator: YouTubeEmulator
    provider: YouTube
    handle: BroadcastHandle
    http: PlatformHttp
    moderator: StoredModerator
    service: ModerationService
    history: MemoryHistory

    @property
    def broadcast(self) -> str:
        return self.handle.remote_id

    @property
    def chat_id(self) -> str:
        return self.handle.data["live_chat_id"]

    def mark(self) -> int:
        return len(self.sandbox.requests["youtube"])

    async def visible(self) -> list[dict[str, Any]]:
        """What a reader of the chat gets now (every message, from the start)."""
        await asyncio.sleep(0.01)  # the emulator's pollingIntervalMillis
        page = await YouTubeChatClient(self.http).list_messages(self.chat_id, None)
        return page.items

    async def lines(self) -> dict[str, ChatLine]:
        """The chat as golive's collector turns it into lines, by text; all remembered."""
        lines = [x for item in await self.visible() if (x := to_line(item, "b1"))]
        self.service.remember(lines)
        return {x.text: x for x in lines}

    async def act(self, line: ChatLine, action: str, role: str = "admin") -> str:
        return await self.service.act(
            "W", line.id, action, actor="slack:UA", actor_name="@ana", role=role
        )


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    async with await start_sandbox(["youtube"]) as sandbox:
        emulator = sandbox.emulators["youtube"]
        assert isinstance(emulator, YouTubeEmulator)
        provider, handle, http = await live_youtube(sandbox)
        moderator = StoredModerator({"youtube": provider})
        moderator.keep("youtube", handle)
        history = MemoryHistory()
        service = ModerationService(moderator, history)
        try:
            yield Env(sandbox, emulator, provider, handle, http, moderator, service, history)
        finally:
            await http.aclose()


def test_tables_agree_with_discovery() -> None:
    cache = pytest.importorskip("googleapiclient.discovery_cache")
    doc = json.loads(cache.get_static_doc("youtube", "v3"))
    for method in LIVE_CHAT_MODERATION:
        _, resource, name = method.id.split(".")
        declared = doc["resources"][resource]["methods"][name]
        assert declared["id"] == method.id
        assert declared["httpMethod"] == method.http_method
        assert declared["path"] == method.path
        assert set(declared["scopes"]) == set(method.scopes)
        assert ("request" in declared) == method.has_body
        assert set(declared["parameters"]) == set(method.params)
        for param, spec in method.params.items():
            assert spec.required == declared["parameters"][param].get("required", False)
            assert spec.repeated == declared["parameters"][param].get("repeated", False)
        assert QUOTA_COSTS[method.id] == method.cost
    delete = doc["resources"]["liveChatMessages"]["methods"]["delete"]
    assert "quota cost of 20 units" in delete["description"]


def test_youtube_offers_every_action() -> None:
    assert [a.name for a in actions_for("youtube")] == list(ACTIONS)


async def test_delete_reaches_youtube_and_the_message_is_gone(env: Env) -> None:
    env.emulator.chat.inject(env.broadcast, "buy followers", ChatAuthor("Spammer"))
    env.emulator.chat.inject(env.broadcast, "hello all", ChatAuthor("Viewer"))
    lines = await env.lines()
    spam = lines["buy followers"]
    assert isinstance(env.provider, Moderation)
    mark, quota, spent = env.mark(), env.emulator.quota_used(), env.provider.quota_spent

    assert await env.act(spam, "delete") == "deleted on YouTube by @ana"

    assert calls_since(env.sandbox, "youtube", mark) == [("DELETE", MESSAGES)]
    assert env.emulator.chat.moderation.deleted == {spam.message_id}
    assert env.emulator.quota_used() - quota == 20
    assert env.provider.quota_spent - spent == 20
    texts = [i["snippet"].get("displayMessage") for i in await env.visible()]
    assert "buy followers" not in texts and "hello all" in texts
    assert [(e.action, e.result) for e in env.history.entries] == [("delete", "done")]

    # the same message again: YouTube no longer has it, and the thread says so
    said = await env.act(spam, "delete")
    assert said.startswith("Delete message on YouTube failed:")
    assert "cannot be found" in said


async def test_ban_is_kept_across_a_restart_and_unban_lifts_it(env: Env) -> None:
    troll = ChatAuthor("Troll")
    env.emulator.chat.inject(env.broadcast, "rude", troll)
    line = (await env.lines())["rude"]
    assert line.author_id == troll.channel_id
    mark, quota = env.mark(), env.emulator.quota_used()

    assert await env.act(line, "ban") == "banned on YouTube by @ana"

    assert calls_since(env.sandbox, "youtube", mark) == [("POST", BANS)]
    assert env.emulator.quota_used() - quota == 50
    ban = env.emulator.chat.moderation.active_ban(env.chat_id, troll.channel_id)
    assert ban is not None and ban.type == "permanent" and ban.until is None
    with pytest.raises(ChatRefused):
        env.emulator.chat.inject(env.broadcast, "still here", troll)
    events = [i for i in await env.visible() if i["snippet"]["type"] == "userBannedEvent"]
    assert events[-1]["snippet"]["userBannedDetails"]["bannedUserDetails"] == {
        "channelId": troll.channel_id
    }
    # the ban's id went into the stored handle data
    stored = json.loads(env.moderator.stored["youtube"].data[BANS_KEY])
    assert stored == {troll.channel_id: ban.id}

    # golive restarts: a new provider, the handle rebuilt from storage
    fresh, http = youtube_provider(env.sandbox)
    env.moderator.providers["youtube"] = fresh
    try:
        mark = env.mark()
        assert await env.act(line, "unban") == "unbanned on YouTube by @ana"
    finally:
        await http.aclose()
    assert calls_since(env.sandbox, "youtube", mark) == [("DELETE", BANS)]
    assert not env.emulator.chat.moderation.is_banned(env.broadcast, troll.channel_id)
    assert json.loads(env.moderator.stored["youtube"].data[BANS_KEY]) == {}
    env.emulator.chat.inject(env.broadcast, "sorry", troll)  # accepted again


async def test_timeout_is_a_temporary_ban_that_runs_out(env: Env) -> None:
    troll = ChatAuthor("Loud")
    env.emulator.chat.inject(env.broadcast, "CAPS", troll)
    line = (await env.lines())["CAPS"]

    assert await env.act(line, "timeout5m") == "timed out for 5 min on YouTube by @ana"

    ban = env.emulator.chat.moderation.active_ban(env.chat_id, troll.channel_id)
    assert ban is not None and (ban.type, ban.seconds) == ("temporary", 300)
    with pytest.raises(ChatRefused):
        env.emulator.chat.inject(env.broadcast, "again", troll)
    later = time.time() + 301
    env.emulator.clock = lambda: later
    env.emulator.chat.inject(env.broadcast, "back", troll)  # the time-out is over
    # unbanning a ban that already ran out is not an error: golive forgets it
    assert await env.act(line, "unban") == "unbanned on YouTube by @ana"
    assert json.loads(env.moderator.stored["youtube"].data[BANS_KEY]) == {}


async def test_a_rule_deletes_on_youtube_and_the_history_names_it(env: Env) -> None:
    env.emulator.chat.inject(env.broadcast, "visit evil.example", ChatAuthor("Linker"))
    line = (await env.lines())["visit evil.example"]
    mark = env.mark()
    entry = await env.service.auto("W", line, Verdict("link", "evil.example"))
    assert (entry.actor, entry.result) == ("rule:link", "done")
    assert calls_since(env.sandbox, "youtube", mark) == [("DELETE", MESSAGES)]
    assert env.emulator.chat.moderation.deleted == {line.message_id}


async def test_a_member_is_refused_with_no_call_to_youtube(env: Env) -> None:
    env.emulator.chat.inject(env.broadcast, "spam", ChatAuthor("Spammer"))
    line = (await env.lines())["spam"]
    mark = env.mark()
    for action in ("delete", "ban", "timeout1h", "unban"):
        said = await env.act(line, action, role="member")
        assert said == "Only moderators and admins can moderate chat."
    assert calls_since(env.sandbox, "youtube", mark) == []
    assert env.emulator.chat.moderation.deleted == set()
    assert [e.result for e in env.history.entries] == ["refused"] * 4


async def test_unban_without_a_recorded_ban_says_where_to_do_it(env: Env) -> None:
    env.emulator.chat.inject(env.broadcast, "hi", ChatAuthor("Someone"))
    line = (await env.lines())["hi"]
    mark = env.mark()
    said = await env.act(line, "unban")
    assert "YouTube Studio" in said
    assert calls_since(env.sandbox, "youtube", mark) == []


async def test_emulator_is_strict(env: Env) -> None:
    owner = ChatAuthor("Owner", channel_id=env.emulator.channel_id, owner=True)
    own_id = env.emulator.chat.inject(env.broadcast, "welcome", owner)
    viewer = ChatAuthor("Viewer")
    viewer_msg = env.emulator.chat.inject(env.broadcast, "hi", viewer)
    base = env.http.base_url
    client_id = env.emulator.client_id

    def bearer(subject: str | None = None) -> dict[str, str]:
        issued = env.emulator.oauth.issue_tokens(client_id, YouTube.scopes, subject=subject)
        return {"Authorization": f"Bearer {issued['access_token']}"}

    owner_auth, stranger = bearer(), bearer("UCsomeoneelse0000000000")

    def ban_body(**snippet: Any) -> dict[str, Any]:
        full = {
            "liveChatId": env.chat_id,
            "type": "permanent",
            "bannedUserDetails": {"channelId": viewer.channel_id},
            **snippet,
        }
        return {"snippet": {k: v for k, v in full.items() if v is not None}}

    def reason(response: httpx.Response) -> str:
        return response.json()["error"]["errors"][0]["reason"]

    async with httpx.AsyncClient() as raw:
        delete = base + "/liveChat/messages"
        assert (await raw.delete(delete, params={"id": viewer_msg})).status_code == 401
        missing = await raw.delete(delete, headers=owner_auth)
        assert (missing.status_code, reason(missing)) == (400, "required")
        unknown = await raw.delete(delete, params={"id": "LCC.nope"}, headers=owner_auth)
        assert (unknown.status_code, reason(unknown)) == (404, "liveChatMessageNotFound")
        other = await raw.delete(delete, params={"id": viewer_msg}, headers=stranger)
        assert (other.status_code, reason(other)) == (403, "forbidden")
        mine = await raw.delete(delete, params={"id": own_id}, headers=owner_auth)
        assert (mine.status_code, reason(mine)) == (403, "modificationNotAllowed")
        extra = await raw.delete(
            delete, params={"id": viewer_msg, "part": "id"}, headers=owner_auth
        )
        assert extra.status_code == 400
        # a moderator the owner appointed may delete
        env.emulator.chat.moderation.add_moderator(env.broadcast, "UCsomeoneelse0000000000")
        ok = await raw.delete(delete, params={"id": viewer_msg}, headers=stranger)
        assert ok.status_code == 204 and not ok.content

        bans = base + "/liveChat/bans"

        async def ban(body: dict[str, Any], part: str = "snippet", **kw: Any) -> httpx.Response:
            return await raw.post(
                bans, params={"part": part}, json=body, headers=kw.get("headers", owner_auth)
            )

        no_part = await raw.post(bans, json=ban_body(), headers=owner_auth)
        assert (no_part.status_code, reason(no_part)) == (400, "required")
        assert reason(await ban(ban_body(), part="id")) == "unknownPart"
        no_channel = await ban(ban_body(bannedUserDetails={}))
        assert (no_channel.status_code, reason(no_channel)) == (400, "required")
        assert reason(await ban(ban_body(type="forever"))) == "invalid"  # not in the enum
        assert reason(await ban(ban_body(type="liveChatBanTypeUnspecified"))) == "invalidValue"
        assert reason(await ban(ban_body(banDurationSeconds="60"))) == "invalidValue"
        assert reason(await ban(ban_body(type="temporary", banDurationSeconds="0"))) == (
            "invalidValue"
        )
        assert reason(await ban({"snippet": {}, "extra": 1})) == "invalid"  # unknown field
        lost = await ban(ban_body(liveChatId="nochat"))
        assert (lost.status_code, reason(lost)) == (404, "liveChatNotFound")
        owner_ban = await ban(ban_body(bannedUserDetails={"channelId": owner.channel_id}))
        assert (owner_ban.status_code, reason(owner_ban)) == (403, "forbidden")
        outsider = bearer("UCnotamoderator000000000")
        refused = await ban(ban_body(), headers=outsider)
        assert (refused.status_code, reason(refused)) == (403, "forbidden")

        made = await ban(ban_body(type="temporary"))
        assert made.status_code == 200
        created = made.json()
        assert created["kind"] == "youtube#liveChatBan" and created["id"]
        assert created["snippet"]["banDurationSeconds"] == "300"  # the documented default

        unban = await raw.delete(bans, params={"id": "nosuchban"}, headers=owner_auth)
        assert (unban.status_code, reason(unban)) == (404, "liveChatBanNotFound")
        not_theirs = await raw.delete(bans, params={"id": created["id"]}, headers=outsider)
        assert (not_theirs.status_code, reason(not_theirs)) == (403, "forbidden")
        lifted = await raw.delete(bans, params={"id": created["id"]}, headers=owner_auth)
        assert lifted.status_code == 204
