"""The "Remind me" button in Slack through signed requests to the real Bolt app: the block
action opts a member in (and out) with an ephemeral answer, and each reminder offset sends the
member a DM with the countdown and the links (short real delays)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.scheduling.conftest import eventually
from tests.slack.conftest import Harness
from tests.slack.test_interactions import action


def _buttons(blocks: list[dict]) -> list[dict]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def _dms(slack: Harness, user: str) -> list[str]:
    return [c["text"] for c in slack.fake.of("chat.postMessage") if c["channel"] == user]


async def test_remind_me_in_slack_opts_in_and_dms_at_each_offset(slack: Harness) -> None:
    services = slack.services
    services.settings.reminders = "2s,1s"
    services.scheduler.lock_retry = 0.1
    workspace = slack.adapter.workspace_for("T1")
    await services.connections.connect_in_sandbox(workspace, "UADMIN", "youtube")
    far = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%d %H:%M UTC")
    assert (await slack.command("/golive", f'"Launch" on youtube at {far}')).status == 200
    await slack.settle()
    stream = (await services.livestreams.list(workspace))[0]
    final = slack.fake.of("chat.update")[-1]
    remind = [b for b in _buttons(final["blocks"]) if b["action_id"] == "golive_remind"]
    assert remind == [
        {
            "type": "button",
            "text": {"type": "plain_text", "text": "Remind me", "emoji": True},
            "action_id": "golive_remind",
            "value": f"broadcast:{stream.id}",
        }
    ]

    press = action("golive_remind", f"broadcast:{stream.id}", user="UMEMBER")
    assert (await slack.payload(press)).status == 200
    await slack.settle()
    (answer,) = slack.fake.of("chat.postEphemeral")[-1:]
    assert answer["user"] == "UMEMBER" and answer["channel"] == "C1"
    assert "private reminder of this broadcast" in answer["text"]

    start = datetime.now(UTC) + timedelta(seconds=2.8)
    services.scheduler.plan_broadcast(workspace, stream.id, start)
    await services.scheduler.start()
    await eventually(lambda: len(_dms(slack, "UMEMBER")) == 2, within=10)
    first, second = _dms(slack, "UMEMBER")
    assert "“Launch” starts in 2 s" in first and "“Launch” starts in 1 s" in second
    assert "★ YouTube: http://127.0.0.1:3000/go/" in first
    assert _dms(slack, "UADMIN") == []
    reminders = [
        c for c in slack.fake.of("chat.postMessage") if c["channel"] == "C1" and "blocks" in c
    ]
    assert reminders and all(
        any(b["action_id"] == "golive_remind" for b in _buttons(r["blocks"]))
        for r in reminders[-2:]
    )

    assert (await slack.payload(press)).status == 200  # pressed again: opted out
    await slack.settle()
    assert "No more private reminders" in slack.fake.of("chat.postEphemeral")[-1]["text"]
    assert await services.optins.members("broadcast", stream.id) == []
