"""Forms, buttons and the App Home through signed requests to the real Bolt app."""

from __future__ import annotations

import asyncio
import json
import time

from bot.adapters.slack.progress import Coalescer
from tests.slack import signing
from tests.slack.conftest import Harness


def submission(view: dict, values: dict, user: str = "UADMIN") -> dict:
    return {
        "type": "view_submission",
        "team": {"id": "T1", "domain": "t1"},
        "user": {"id": user, "username": user.lower(), "team_id": "T1"},
        "api_app_id": "A1",
        "trigger_id": "1.2.3",
        "view": {**view, "id": "V1", "team_id": "T1", "state": {"values": values}, "hash": "h"},
    }


def action(action_id: str, value: str, user: str = "UADMIN", **extra) -> dict:
    return {
        "type": "block_actions",
        "team": {"id": "T1", "domain": "t1"},
        "user": {"id": user, "username": user.lower(), "team_id": "T1"},
        "api_app_id": "A1",
        "trigger_id": "1.2.3",
        "container": {"type": "message", "message_ts": "1.1", "channel_id": "C1"},
        "channel": {"id": "C1", "name": "general"},
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b",
                "value": value,
                "action_ts": "1.1",
                "text": {"type": "plain_text", "text": "x"},
            }
        ],
        **extra,
    }


def values(title: str, platforms: list[str], *, zone="Europe/Berlin", start=None, channels=()):
    return {
        "title": {"value": {"type": "plain_text_input", "value": title}},
        "description": {"value": {"type": "plain_text_input", "value": "All hands"}},
        "platforms": {
            "value": {
                "type": "checkboxes",
                "selected_options": [
                    {"value": p, "text": {"type": "plain_text", "text": p}} for p in platforms
                ],
            }
        },
        "primary": {"value": {"type": "static_select", "selected_option": None}},
        "start": {"value": {"type": "datetimepicker", "selected_date_time": start}},
        "timezone": {"value": {"type": "plain_text_input", "value": zone}},
        "options": {"value": {"type": "checkboxes", "selected_options": []}},
        "channels": {
            "value": {
                "type": "multi_conversations_select",
                "selected_conversations": list(channels),
            }
        },
    }


async def open_form(slack: Harness, command: str = "/golive") -> dict:
    assert (await slack.command(command)).status == 200
    await slack.settle()
    return slack.fake.of("views.open")[-1]["view"]


async def test_form_opens_with_connected_platforms_and_errors_show_inline(slack: Harness):
    view = await open_form(slack)
    ids = [b.get("block_id") for b in view["blocks"]]
    assert {"title", "platforms", "primary", "start", "timezone", "options", "channels"} <= set(ids)
    response = await slack.payload(
        submission(view, values("", [], zone="Mars/Olympus", start=int(time.time()) - 60))
    )
    body = json.loads(await response.text())
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"title", "platforms", "timezone", "start"}
    await slack.settle()
    assert slack.fake.of("chat.postMessage") == []


async def test_form_submission_announces_in_origin_and_chosen_channels(slack: Harness):
    view = await open_form(slack)
    response = await slack.payload(
        submission(view, values("Town hall", ["youtube"], channels=["C2"]))
    )
    assert response.status == 200 and await response.text() == ""
    await slack.settle()
    posted = slack.fake.of("chat.postMessage")
    assert [p["channel"] for p in posted] == ["C1", "C2"]
    assert posted[1]["blocks"][0]["text"]["text"] == "Town hall"
    assert slack.fake.problems == []


async def test_meet_form_has_duration(slack: Harness):
    view = await open_form(slack, "/meet")
    assert "duration" in [b.get("block_id") for b in view["blocks"]]


async def test_member_cannot_open_the_broadcast_form(slack: Harness):
    await slack.command("/golive", user="UMEMBER")
    await slack.settle()
    assert slack.fake.of("views.open") == []
    assert slack.fake.responses[-1]["text"].startswith("Only golive admins")


async def test_link_buttons_are_acked_and_controls_are_admin_only(slack: Harness):
    assert (await slack.payload(action("golive_link:youtube", "x"))).status == 200
    await slack.command("/golive", '"Launch" on youtube')
    await slack.settle()
    stream = (await slack.services.livestreams.list("local"))[0]
    url = f"{slack.fake.base_url}/response/2"
    await slack.payload(action("golive_start", stream.id, user="UMEMBER", response_url=url))
    await slack.settle()
    assert slack.fake.responses[-1]["text"].startswith("Only golive admins can start")
    assert (await slack.services.livestreams.get("local", stream.id)).status == "created"
    await slack.payload(action("golive_start", stream.id, response_url=url))
    await slack.settle()
    assert (await slack.services.livestreams.get("local", stream.id)).status == "live"
    final = slack.fake.of("chat.update")[-1]
    assert "· live ·" in final["text"]


async def test_app_home_shows_connections_and_items(slack: Harness):
    await slack.command("/meet", '"Sync" on jitsi')
    await slack.settle()
    event = {
        "token": "legacy",
        "team_id": "T1",
        "api_app_id": "A1",
        "type": "event_callback",
        "event_id": "Ev1",
        "event_time": 1,
        "event": {"type": "app_home_opened", "user": "UADMIN", "channel": "D1", "tab": "home"},
    }
    body = json.dumps(event)
    headers = {**signing.headers(body), "Content-Type": "application/json"}
    assert (await slack.send(body, headers)).status == 200
    await slack.settle()
    published = slack.fake.of("views.publish")[-1]
    assert published["user_id"] == "UADMIN"
    text = json.dumps(published["view"])
    assert "*Platforms*" in text and "Sync" in text and "golive_platform_connect" in text


async def test_connect_button_sends_a_private_link(slack: Harness):
    url = f"{slack.fake.base_url}/response/3"
    await slack.payload(
        action("golive_platform_connect", "youtube", user="UMEMBER", response_url=url)
    )
    await slack.settle()
    assert slack.fake.responses[-1]["text"].startswith("Only golive admins")
    await slack.payload(action("golive_platform_connect", "youtube", response_url=url))
    await slack.settle()
    assert "YouTube connected" in slack.fake.responses[-1]["text"]  # sandbox sign-in


async def test_edits_of_one_message_are_coalesced():
    sent: list[int] = []

    async def send(n: int) -> None:
        await asyncio.sleep(0.02)
        sent.append(n)

    coalescer = Coalescer()
    for n in range(10):
        coalescer.push("C1/1", lambda n=n: send(n))
    await coalescer.flush("C1/1", lambda: send(10))
    assert sent[-1] == 10 and len(sent) <= 3


async def test_stream_key_platform_connects_through_a_form(slack: Harness):
    await slack.payload(action("golive_platform_connect", "rtmp"))
    await slack.settle()
    view = slack.fake.of("views.open")[-1]["view"]
    assert view["callback_id"] == "golive_stream_key"

    def keyed(url: str, key: str) -> dict:
        return {
            "arg0": {"value": {"type": "plain_text_input", "value": url}},
            "arg1": {"value": {"type": "plain_text_input", "value": key}},
        }

    bad = await slack.payload(submission(view, keyed("http://nope", "k")))
    assert json.loads(await bad.text())["response_action"] == "errors"
    assert not await slack.services.connections.is_connected("local", "rtmp")
    good = await slack.payload(
        submission(view, keyed("rtmps://live.example.com/app", "s3cr3t-key"))
    )
    assert good.status == 200 and await good.text() == ""
    await slack.settle()
    assert await slack.services.connections.is_connected("local", "rtmp")
    assert "s3cr3t-key" not in json.dumps([c.args for c in slack.fake.calls])


async def test_admin_and_moderator_groups(slack: Harness):
    from bot.adapters.slack.roles import Roles

    settings = slack.services.settings.model_copy(
        update={"slack_admin_group": "SADM", "slack_moderator_group": "SMOD"}
    )
    slack.fake.groups = {"SADM": ["UMEMBER"], "SMOD": ["UOWNER"]}
    roles = Roles(settings)
    client = slack.adapter.client
    assert (await roles.person(client, "T1", "UMEMBER")).role == "admin"
    assert (await roles.person(client, "T1", "UOWNER")).role == "moderator"  # group wins
    assert (await roles.person(client, "T1", "UADMIN")).role == "member"
    assert (await roles.person(client, "T1", "UNKNOWN")).role == "member"
    assert roles.refusal("stop broadcasts") == (
        "Only golive admins can stop broadcasts: ask <!subteam^SADM>."
    )
