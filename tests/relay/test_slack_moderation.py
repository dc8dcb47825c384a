"""From a relayed line's overflow menu in Slack to the platform, and the result in the thread.

The platform side here is a recording fake; tests/relay/test_slack_moderation_platforms.py
runs the same clicks against the real providers and the emulators."""

from __future__ import annotations

from typing import Any

from bot.chat.moderation import MemoryHistory, ModerationService
from tests.relay.helpers import FakeModeration, FakeModerator, line
from tests.slack.conftest import Harness, slack  # noqa: F401  (the fixture)


def menu(user: str, value: str) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "team": {"id": "T1", "domain": "t1"},
        "user": {"id": user, "username": user.lower(), "team_id": "T1"},
        "api_app_id": "A1",
        "trigger_id": "1.2.3",
        "container": {
            "type": "message",
            "message_ts": "1700000000.000009",
            "thread_ts": "1700000000.000001",
            "channel_id": "C1",
        },
        "channel": {"id": "C1", "name": "general"},
        "message": {"ts": "1700000000.000009", "thread_ts": "1700000000.000001"},
        "actions": [
            {
                "type": "overflow",
                "action_id": "golive_chat_line",
                "block_id": "chat:x",
                "selected_option": {"text": {"type": "plain_text", "text": "x"}, "value": value},
                "action_ts": "1.2",
            }
        ],
    }


async def test_admin_deletes_and_bans_member_is_refused(slack: Harness) -> None:  # noqa: F811
    youtube = FakeModeration()
    history = MemoryHistory()
    slack.adapter.moderation = ModerationService(FakeModerator({"youtube": youtube}), history)
    chat = line(7, "youtube", author="troll")
    slack.adapter.moderation.remember([chat])

    await slack.payload(menu("UADMIN", f"delete:{chat.id}"))
    await slack.payload(menu("UADMIN", f"ban:{chat.id}"))
    await slack.settle()
    assert youtube.calls == [
        ("delete_message", "youtube-b1", "youtube-7"),
        ("ban", "troll", None),
    ]
    said = [(m["thread_ts"], m["text"]) for m in slack.fake.of("chat.postMessage")]
    assert ("1700000000.000001", "deleted on YouTube by <@UADMIN>") in said
    assert ("1700000000.000001", "banned on YouTube by <@UADMIN>") in said

    await slack.payload(menu("UMEMBER", f"ban:{chat.id}"))
    await slack.settle()
    assert len(youtube.calls) == 2  # nothing reached the platform
    refusal = slack.fake.of("chat.postEphemeral")[-1]
    assert refusal["user"] == "UMEMBER" and "Only moderators and admins" in refusal["text"]
    assert [e.result for e in history.entries] == ["done", "done", "refused"]


async def test_moderation_commands(slack: Harness) -> None:  # noqa: F811
    await slack.command("/golive", "moderation help")
    await slack.command("/golive", "moderation")
    await slack.settle()
    texts = [r["text"] for r in slack.fake.responses]
    assert any(t.startswith("Moderation from the chat thread") for t in texts)
    assert "No moderation actions yet." in texts
