"""From a relayed line's menu in Slack to the platform's own moderation API, end to end.

A signed Slack block action goes into the Slack adapter; the real YouTube and Twitch
providers carry it out against the emulators over HTTP; the result is posted in the thread."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.chat.model import ChatLine
from bot.chat.moderation import MemoryHistory, ModerationService
from bot.chat.youtube import to_line
from providers.chat.youtube import YouTubeChatClient
from providers.sandbox import Sandbox, start_sandbox
from providers.sandbox.chat import ChatAuthor, ChatRefused
from providers.sandbox.twitch import TwitchEmulator
from providers.sandbox.youtube import YouTubeEmulator
from tests.chat.moderation_env import StoredModerator, live_youtube, twitch_provider
from tests.relay.test_slack_moderation import menu
from tests.slack.conftest import Harness, slack  # noqa: F401  (the fixture)

THREAD = "1700000000.000001"


@pytest.fixture
async def platforms() -> AsyncIterator[tuple[Sandbox, StoredModerator]]:
    async with await start_sandbox(["youtube", "twitch"]) as sandbox:
        youtube, yt_handle, yt_http = await live_youtube(sandbox)
        twitch, tw_handle, tw_http = twitch_provider(sandbox)
        moderator = StoredModerator({"youtube": youtube, "twitch": twitch})
        moderator.keep("youtube", yt_handle)
        moderator.keep("twitch", tw_handle)
        try:
            yield sandbox, moderator
        finally:
            await yt_http.aclose()
            await tw_http.aclose()


def thread_posts(slack: Harness) -> list[str]:  # noqa: F811
    return [m["text"] for m in slack.fake.of("chat.postMessage") if m.get("thread_ts") == THREAD]


async def test_delete_and_ban_from_slack_reach_youtube_and_twitch(
    slack: Harness,  # noqa: F811
    platforms: tuple[Sandbox, StoredModerator],
) -> None:
    sandbox, moderator = platforms
    yt = sandbox.emulators["youtube"]
    tw = sandbox.emulators["twitch"]
    assert isinstance(yt, YouTubeEmulator) and isinstance(tw, TwitchEmulator)
    service = ModerationService(moderator, MemoryHistory())
    slack.adapter.moderation = service

    # what the collectors would have relayed: a YouTube line and a Twitch line
    yt_handle = (await moderator.target("T1", "b1", "youtube"))[1]  # type: ignore[index]
    troll = ChatAuthor("Troll")
    yt.chat.inject(yt_handle.remote_id, "buy my course", troll)
    await asyncio.sleep(0.01)
    provider = moderator.providers["youtube"]
    page = await YouTubeChatClient(provider.http).list_messages(
        yt_handle.data["live_chat_id"], None
    )
    yt_line = next(x for item in page.items if (x := to_line(item, "b1")))
    tw_id = await tw.chat.inject("spam link", "Spammer", chatter_id="9123")
    tw_line = ChatLine(
        platform="twitch",
        message_id=tw_id,
        author_name="Spammer",
        author_id="9123",
        badges=frozenset(),
        text="spam link",
        sent_at=datetime.now(UTC),
        broadcast_id="b1",
    )
    service.remember([yt_line, tw_line])
    yt_mark, tw_mark = len(sandbox.requests["youtube"]), len(sandbox.requests["twitch"])

    await slack.payload(menu("UADMIN", f"delete:{yt_line.id}"))
    await slack.payload(menu("UADMIN", f"ban:{yt_line.id}"))
    await slack.payload(menu("UADMIN", f"delete:{tw_line.id}"))
    await slack.payload(menu("UADMIN", f"ban:{tw_line.id}"))
    await slack.settle()

    # each click is carried out on its own, so the two calls may arrive in either order
    assert sorted(sandbox.requests["youtube"][yt_mark:]) == [
        ("DELETE", "/youtube/v3/liveChat/messages"),
        ("POST", "/youtube/v3/liveChat/bans"),
    ]
    assert sorted(sandbox.requests["twitch"][tw_mark:]) == [
        ("DELETE", "/helix/moderation/chat"),
        ("POST", "/helix/moderation/bans"),
    ]
    assert yt.chat.moderation.deleted == {yt_line.message_id}
    assert yt.chat.moderation.is_banned(yt_handle.remote_id, troll.channel_id)
    assert tw.chat.moderation.deleted == {tw_id}
    assert tw.chat.moderation.active_ban(tw.channel.user_id, "9123") is not None
    with pytest.raises(ChatRefused):
        await tw.chat.inject("back", "Spammer", chatter_id="9123")
    posts = thread_posts(slack)
    for said in (
        "deleted on YouTube by <@UADMIN>",
        "banned on YouTube by <@UADMIN>",
        "deleted on Twitch by <@UADMIN>",
        "banned on Twitch by <@UADMIN>",
    ):
        assert said in posts

    # a member's click reaches no platform
    yt_mark, tw_mark = len(sandbox.requests["youtube"]), len(sandbox.requests["twitch"])
    await slack.payload(menu("UMEMBER", f"unban:{yt_line.id}"))
    await slack.payload(menu("UMEMBER", f"unban:{tw_line.id}"))
    await slack.settle()
    assert sandbox.requests["youtube"][yt_mark:] == []
    assert sandbox.requests["twitch"][tw_mark:] == []
    refusals = slack.fake.of("chat.postEphemeral")[-2:]
    assert all("Only moderators and admins" in r["text"] for r in refusals)


async def test_moderation_help_names_what_each_platform_offers(slack: Harness) -> None:  # noqa: F811
    await slack.command("/golive", "moderation help")
    await slack.settle()
    text = next(r["text"] for r in slack.fake.responses if "Moderation from" in r["text"])
    lines = dict(line.split(": ", 1) for line in text.splitlines()[1:])
    every = "Delete message, Time out 5 min, Time out 1 h, Ban, Unban"
    assert lines["YouTube"] == every
    assert lines["Twitch"] == every
    assert lines["Facebook"] == "Delete message, Ban, Unban"
    for platform in ("Restream", "Instagram", "Custom RTMP"):
        assert lines[platform] == "no moderation", platform
