"""GET /metrics: commands by adapter, relay lag, messages moderated.

The golive web app with the real Slack adapter serves /metrics; commands arrive signed, chat
lines go through the real relay and moderation code (the chat side is the relay tests'
recording target, the platform side their recording moderation provider)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot.chat.filters import Verdict
from bot.chat.moderation import MemoryHistory, ModerationService
from bot.chat.relay import Relay
from tests.relay.helpers import FakeModeration, FakeModerator, RecordingTarget, line
from tests.relay.test_slack_moderation import menu
from tests.slack.conftest import Harness, slack  # noqa: F401  (the fixture)


async def metrics(slack: Harness) -> str:  # noqa: F811
    response = await slack.http.get(f"{slack.url}/metrics")
    assert response.status == 200
    return await response.text()


def value(body: str, sample: str) -> float:
    found = re.search(rf"^{re.escape(sample)} (\S+)$", body, re.M)
    assert found is not None, f"{sample} not in /metrics"
    return float(found.group(1))


async def test_commands_are_counted_by_adapter_and_outcome(slack: Harness) -> None:  # noqa: F811
    await slack.command("/golive", "help")
    await slack.command("/golive", "list")
    await slack.command("/golive", '"Launch" on youtub')  # refused: unknown platform
    await slack.settle()
    body = await metrics(slack)
    ok = 'golive_commands_total{adapter="slack",command="golive",outcome="ok"}'
    refused = 'golive_commands_total{adapter="slack",command="golive",outcome="refused"}'
    assert (value(body, ok), value(body, refused)) == (2.0, 1.0)


async def test_relay_lag_is_the_delay_from_platform_to_post(slack: Harness) -> None:  # noqa: F811
    relay = Relay()
    relay.register(RecordingTarget(chat="slack"))
    relay.follow("w", "b1", [("slack", "C1", "1700000000.000001")])
    sent = datetime.now(UTC) - timedelta(seconds=4)
    relay.feed(
        [line(1, "youtube", at=sent), line(2, "twitch", at=sent), line(3, "youtube", at=sent)]
    )
    await relay.drain()
    await relay.close()
    body = await metrics(slack)
    youtube = '{chat="slack",platform="youtube"}'
    bucket = "golive_chat_relay_lag_seconds_bucket"
    assert value(body, f"golive_chat_relay_lag_seconds_count{youtube}") == 2.0
    assert 8.0 <= value(body, f"golive_chat_relay_lag_seconds_sum{youtube}") < 20.0
    assert value(body, f'{bucket}{{chat="slack",le="3.0",platform="youtube"}}') == 0.0
    assert value(body, f'{bucket}{{chat="slack",le="5.0",platform="youtube"}}') == 2.0
    twitch = 'golive_chat_relay_lag_seconds_count{chat="slack",platform="twitch"}'
    assert value(body, twitch) == 1.0


async def test_moderated_messages_by_platform_action_and_actor(slack: Harness) -> None:  # noqa: F811
    youtube = FakeModeration()
    moderation = ModerationService(FakeModerator({"youtube": youtube}), MemoryHistory())
    slack.adapter.moderation = moderation
    person, caught = line(7, "youtube", author="troll"), line(8, "youtube", text="buy now")
    moderation.remember([person, caught])
    await slack.payload(menu("UADMIN", f"delete:{person.id}"))
    await slack.payload(menu("UMEMBER", f"ban:{person.id}"))
    await slack.settle()
    await moderation.auto("w", caught, Verdict("link", "buy now"))
    body = await metrics(slack)
    name = "golive_chat_messages_moderated_total"
    by_person = f'{name}{{action="delete",actor="person",platform="youtube",result="done"}}'
    refused = f'{name}{{action="ban",actor="person",platform="youtube",result="refused"}}'
    by_rule = f'{name}{{action="delete",actor="rule",platform="youtube",result="done"}}'
    assert (value(body, by_person), value(body, refused), value(body, by_rule)) == (1.0, 1.0, 1.0)
    assert "# TYPE golive_chat_messages_moderated_total counter" in body
