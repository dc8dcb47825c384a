"""Connection notices in Slack: one direct message per problem with a Reconnect button, the
admins' own choices (``/platforms notify``), and a channel instead of direct messages."""

from __future__ import annotations

import json

from tests.slack.conftest import Harness
from tests.slack.test_interactions import action

WS = "local"


async def connect_youtube(slack: Harness, user: str = "UADMIN") -> None:
    await slack.command("/platforms", "connect youtube", user=user)
    await slack.settle()
    assert await slack.services.connections.is_connected(WS, "youtube")


def notices(slack: Harness) -> list[dict]:
    return [
        m for m in slack.fake.of("chat.postMessage") if "connection expired" in m.get("text", "")
    ]


def reconnect_button(message: dict) -> dict:
    [button] = [
        element
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    return button


async def test_one_dm_per_problem_with_a_reconnect_button(slack: Harness):
    await connect_youtube(slack)
    faults = slack.services.sandbox.emulators["youtube"].faults
    faults.expire_tokens = faults.refuse_refresh = True
    for _ in range(4):
        await slack.services.health.check(WS, "youtube")
    [message] = notices(slack)
    assert slack.fake.of("conversations.open") == [{"users": "UADMIN"}]
    assert message["channel"] == "DUADMIN"
    button = reconnect_button(message)
    assert button["action_id"] == "golive_platform_connect" and button["value"] == "youtube"
    assert "/platforms connect youtube" in message["text"]
    assert "ya29." not in json.dumps(message)  # no token in the notice
    # the admin clicks Reconnect in the DM: golive checks the role and signs in again
    faults.reset()
    await slack.payload(action("golive_platform_connect", "youtube"))
    await slack.settle()
    assert (await slack.services.health.check(WS, "youtube")).status == "connected"
    assert len(notices(slack)) == 1
    # healthy again, then broken again: one more notice
    faults.expire_tokens = faults.refuse_refresh = True
    for _ in range(3):
        await slack.services.health.check(WS, "youtube")
    assert len(notices(slack)) == 2


async def test_admins_choose_kinds_and_a_channel(slack: Harness):
    await connect_youtube(slack)
    await slack.command("/platforms", "notify")
    await slack.settle()
    shown = slack.fake.responses[-1]["text"]
    assert "expired, broken, refresh; by direct message" in shown
    await slack.command("/platforms", "notify expired off")
    await slack.settle()
    assert "broken, refresh; by direct message" in slack.fake.responses[-1]["text"]
    faults = slack.services.sandbox.emulators["youtube"].faults
    faults.expire_tokens = faults.refuse_refresh = True
    await slack.services.health.check(WS, "youtube")
    assert notices(slack) == []  # expired notices are off for the only admin
    faults.reset()
    await connect_youtube(slack)
    await slack.services.health.check(WS, "youtube")
    await slack.command("/platforms", "notify expired on")
    await slack.settle()
    await slack.command("/platforms", "notify channel <#C0OPS123|ops>")
    await slack.settle()
    assert "by channel <#C0OPS123>" in slack.fake.responses[-1]["text"]
    faults.expire_tokens = faults.refuse_refresh = True
    await slack.services.health.check(WS, "youtube")
    [message] = notices(slack)
    assert message["channel"] == "C0OPS123"
    assert reconnect_button(message)["action_id"] == "golive_platform_connect"


async def test_members_cannot_choose_notices_and_bad_input_gets_one_sentence(slack: Harness):
    await slack.command("/platforms", "notify dm", user="UMEMBER")
    await slack.settle()
    assert slack.fake.responses[-1]["text"].startswith("Only golive admins can choose connection")
    await slack.command("/platforms", "notify expird on")
    await slack.settle()
    text = slack.fake.responses[-1]["text"]
    assert text.startswith("Unknown notice 'expird'") and "expired, broken, refresh" in text
