"""Files into Slack through its current upload flow, against the strict fake.

slack_sdk's real AsyncWebClient talks to the fake over HTTP; golive's `/golive report` arrives
as a signed slash command and its chart lands in the channel.
"""

from __future__ import annotations

import io

import aiohttp
import pytest
from PIL import Image
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import uploads
from tests.slack.conftest import Harness

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


def client_for(slack: Harness) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=f"{slack.fake.base_url}/api/")


async def test_share_runs_the_three_steps_into_the_thread(slack: Harness) -> None:
    client = client_for(slack)
    files = [("golive-b1-viewers.png", PNG), ("golive-b1-chat.png", PNG[:1000])]
    await uploads.share(client, "C1", "Report · Broadcast b1", files, thread_ts="1700000000.000001")
    asked = slack.fake.of("files.getUploadURLExternal")
    assert [(a["filename"], a["length"]) for a in asked] == [
        ("golive-b1-viewers.png", str(len(PNG))),
        ("golive-b1-chat.png", "1000"),
    ]
    [complete] = slack.fake.of("files.completeUploadExternal")
    assert complete["channel_id"] == "C1" and complete["thread_ts"] == "1700000000.000001"
    shared = slack.fake.shared
    assert [(f.filename, f.data, f.channel, f.thread_ts) for f in shared] == [
        ("golive-b1-viewers.png", PNG, "C1", "1700000000.000001"),
        ("golive-b1-chat.png", PNG[:1000], "C1", "1700000000.000001"),
    ]
    assert shared[0].initial_comment == "Report · Broadcast b1"
    assert slack.fake.problems == []


async def test_upload_url_takes_one_post_of_exactly_the_declared_length(slack: Harness) -> None:
    client = client_for(slack)
    ticket = await client.files_getUploadURLExternal(filename="a.png", length=10)
    async with aiohttp.ClientSession() as http:
        short = await http.post(ticket["upload_url"], data=b"12345")
        assert short.status == 400
        again = await http.post(ticket["upload_url"], data=b"1234567890")
        assert again.status == 404  # the URL was used up by the first POST
    with pytest.raises(SlackApiError) as refused:
        await client.files_completeUploadExternal(files=[{"id": ticket["file_id"]}])
    assert refused.value.response["error"] == "file_not_found"

    ticket = await client.files_getUploadURLExternal(filename="b.png", length=4)
    async with aiohttp.ClientSession() as http:
        assert (await http.get(ticket["upload_url"])).status == 405
        assert (await http.post(ticket["upload_url"], data=b"abcd")).status == 200
    done = await client.files_completeUploadExternal(
        files=[{"id": ticket["file_id"], "title": "b"}], channel_id="C1"
    )
    assert done["files"] == [{"id": ticket["file_id"], "title": "b"}]
    with pytest.raises(SlackApiError) as twice:  # completing is once per file
        await client.files_completeUploadExternal(files=[{"id": ticket["file_id"]}])
    assert twice.value.response["error"] == "file_not_found"


async def test_fake_refuses_what_slack_refuses(slack: Harness) -> None:
    client = client_for(slack)

    with pytest.raises(SlackApiError) as no_name:
        await client.api_call("files.getUploadURLExternal", params={"length": 5})
    assert no_name.value.response["error"] == "invalid_arguments"
    with pytest.raises(SlackApiError) as zero:
        await client.files_getUploadURLExternal(filename="a.png", length=0)
    assert zero.value.response["error"] == "missing_argument"
    with pytest.raises(SlackApiError) as unknown:
        await client.files_completeUploadExternal(files=[{"id": "F404"}], channel_id="C1")
    assert unknown.value.response["error"] == "file_not_found"

    ticket = await client.files_getUploadURLExternal(filename="c.png", length=3)
    async with aiohttp.ClientSession() as http:
        await http.post(ticket["upload_url"], data=b"abc")
    for channel, error in (("#general", "channel_not_found"), ("C0OUT", "not_in_channel")):
        slack.fake.outside = {"C0OUT"}
        with pytest.raises(SlackApiError) as bad:
            await client.files_completeUploadExternal(
                files=[{"id": ticket["file_id"]}], channel_id=channel
            )
        assert bad.value.response["error"] == error
    assert slack.fake.shared == []

    slack.fake.scopes.discard("files:write")
    with pytest.raises(SlackApiError) as scope:
        await client.files_getUploadURLExternal(filename="a.png", length=5)
    assert scope.value.response["error"] == "missing_scope"
    assert scope.value.response["needed"] == "files:write"


async def report_for(slack: Harness) -> str:
    await slack.command("/golive", '"Launch" on youtube')
    await slack.settle()
    [stream] = await slack.services.livestreams.list(slack.services.settings.workspace)
    return stream.id


async def test_report_command_uploads_the_chart_into_the_channel(slack: Harness) -> None:
    stream_id = await report_for(slack)
    await slack.command("/golive", f"report {stream_id}")
    await slack.settle()
    [chart] = slack.fake.shared
    assert chart.channel == "C1" and chart.thread_ts is None
    assert chart.filename == f"golive-{stream_id}-viewers.png"
    assert chart.initial_comment.startswith(f"Report · Broadcast {stream_id}")
    image = Image.open(io.BytesIO(chart.data))
    image.load()
    assert image.format == "PNG" and image.size == (900, 450)
    # the text went with the chart, not a second time privately
    assert not any("Report ·" in (r.get("text") or "") for r in slack.fake.responses)
    assert slack.fake.problems == []


async def test_report_without_the_scope_says_what_to_do(slack: Harness) -> None:
    stream_id = await report_for(slack)
    slack.fake.scopes.discard("files:write")
    await slack.command("/golive", f"report {stream_id}")
    await slack.settle()
    assert slack.fake.shared == []
    texts = [r.get("text") or "" for r in slack.fake.responses]
    assert any(t.startswith(f"Report · Broadcast {stream_id}") for t in texts)  # still shown
    assert any("lacks the files:write scope" in t for t in texts)
