"""Slash commands through signed requests to the real Bolt app, Slack served by the fake."""

from __future__ import annotations

import time

from tests.slack import signing
from tests.slack.conftest import Harness


def last_announcement(fake) -> dict:
    updates = fake.of("chat.update")
    return updates[-1]


async def test_golive_progress_then_announcement_primary_first(slack: Harness) -> None:
    response = await slack.command("/golive", '"Launch" on youtube,facebook primary youtube')
    assert response.status == 200
    await slack.settle()
    posts = slack.fake.of("chat.postMessage")
    assert len(posts) == 1 and posts[0]["channel"] == "C1"  # the progress message
    assert "Setting up the broadcast *Launch*" in posts[0]["blocks"][0]["text"]["text"]
    line = posts[0]["blocks"][1]["elements"][0]["text"]
    assert "… creating" in line  # per-platform state, edited in place from here on
    assert {u["ts"] for u in slack.fake.of("chat.update")} == {"1700000000.000001"}
    final = last_announcement(slack.fake)
    assert final["ts"] == "1700000000.000001"  # the progress message turned announcement
    blocks = final["blocks"]
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Launch", "emoji": True},
    }
    buttons = next(b for b in blocks if b["type"] == "actions")["elements"]
    assert buttons[0]["text"]["text"] == "★ YouTube (primary)"
    assert buttons[0]["style"] == "primary"
    assert "/go/" in buttons[0]["url"] and buttons[0]["url"].endswith("?s=slack")  # tracked
    labels = [b["text"]["text"] for b in buttons if b["action_id"] != "golive_link:page"]
    assert labels == ["★ YouTube (primary)", "Facebook"]
    assert all("style" not in b for b in buttons[1:])
    context = next(b for b in blocks if b["type"] == "context")
    assert "YouTube: ready" in context["elements"][0]["text"]
    # the admin gets start/stop/status privately
    controls = slack.fake.responses[-1]
    assert controls["response_type"] == "ephemeral"
    assert [e["action_id"] for e in controls["blocks"][1]["elements"]] == [
        "golive_start",
        "golive_stop",
        "golive_status",
    ]
    assert slack.fake.problems == []


async def test_meet_progress_then_announcement(slack: Harness) -> None:
    response = await slack.command("/meet", '"Sync" on zoom,jitsi')
    assert response.status == 200
    await slack.settle()
    assert slack.fake.of("chat.postMessage")[0]["text"] == "Setting up Sync…"
    final = last_announcement(slack.fake)
    buttons = next(b for b in final["blocks"] if b["type"] == "actions")["elements"]
    assert buttons[0]["style"] == "primary" and "(primary)" in buttons[0]["text"]["text"]
    labels = [b["text"]["text"] for b in buttons if b["action_id"] != "golive_link:page"]
    assert labels == ["★ Zoom (primary)", "Jitsi Meet"]
    assert all("/go/" in b["url"] or "/live/" in b["url"] for b in buttons)
    assert slack.fake.problems == []


async def test_ack_comes_before_any_platform_call(slack: Harness) -> None:
    emulators = slack.services.sandbox.emulators  # type: ignore[attr-defined]
    for emulator in emulators.values():
        emulator.faults.latency = 5.0
    started = time.monotonic()
    response = await slack.command("/golive", '"Slow" on youtube')
    elapsed = time.monotonic() - started
    assert response.status == 200 and elapsed < 1.0, elapsed
    assert slack.fake.of("chat.postMessage") == []  # nothing done before the ack
    for emulator in emulators.values():
        emulator.faults.latency = 0.0


async def test_member_is_refused_privately_with_who_can(slack: Harness) -> None:
    await slack.command("/golive", '"Launch" on youtube', user="UMEMBER")
    await slack.settle()
    assert slack.fake.of("chat.postMessage") == []
    refusal = slack.fake.responses[-1]
    assert refusal["response_type"] == "ephemeral"
    assert refusal["text"] == (
        "Only golive admins can create broadcasts: ask the workspace's admins and owners."
    )


async def test_bad_input_gets_one_private_sentence(slack: Harness) -> None:
    await slack.command("/golive", '"Launch" on youtub')
    await slack.settle()
    assert "Unknown platform 'youtub'" in slack.fake.responses[-1]["text"]
    assert slack.fake.of("chat.postMessage") == []


async def test_forged_unsigned_and_stale_requests_get_401(slack: Harness) -> None:
    body = signing.command_body(
        "/golive", '"X" on youtube', user="UADMIN", response_url=f"{slack.fake.base_url}/response/1"
    )
    forged = signing.headers(body, secret="wrong")
    stale = signing.headers(body, timestamp=int(time.time()) - 301)
    unsigned = {"Content-Type": "application/x-www-form-urlencoded"}
    for headers in (forged, stale, unsigned):
        response = await slack.send(body, headers)
        assert response.status == 401
    await slack.settle()
    assert slack.fake.calls == [] and slack.fake.responses == []
    assert await slack.services.livestreams.list(slack.services.settings.workspace) == []


async def test_platforms_lists_connections_with_buttons_for_admins(slack: Harness) -> None:
    await slack.command("/platforms")
    await slack.settle()
    rows = slack.fake.responses[-1]["blocks"]
    youtube = next(r for r in rows if "*YouTube*" in r["text"]["text"])
    assert "not connected" in youtube["text"]["text"]
    assert youtube["accessory"]["action_id"] == "golive_platform_connect"
    await slack.command("/platforms", user="UMEMBER")
    await slack.settle()
    assert all("accessory" not in r for r in slack.fake.responses[-1]["blocks"])


async def test_rate_limited_post_is_retried(slack: Harness) -> None:
    slack.fake.rate_limit["chat.postMessage"] = 1
    await slack.command("/meet", '"Sync" on jitsi')
    await slack.settle()
    assert len(slack.fake.of("chat.postMessage")) == 1
    assert slack.fake.of("chat.update")


async def test_single_workspace_has_no_install_page(slack: Harness) -> None:
    response = await slack.http.get(f"{slack.url}/slack/install")
    assert response.status == 404
