"""Tracked links, clicks and the watch page state, without a browser (tests/web/ has one).

The seed property "member platform access" lives here: for any broadcast and any set of
platform states, every live or ready platform has exactly one enabled link on the watch page
and in the posted announcement, and no failed platform has one.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import pytest
from aiohttp.test_utils import TestServer
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot import pages
from bot.handlers import Requester, run
from bot.services.links import watch_state
from bot.views import broadcast_announcement, meeting_announcement, to_text
from bot.web import create_app
from storage.models import LinkClick, Livestream, LivestreamPlatform, Meeting, MeetingPlatform

WHO = Requester("w", "U1")
LIVE = ["youtube", "facebook", "instagram", "restream", "twitch", "rtmp"]
STATES = ["pending", "ready", "live", "ended", "failed"]


@pytest.fixture
async def web(services):
    server = TestServer(create_app(services), host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    async with httpx.AsyncClient(base_url=base, follow_redirects=False) as client:
        yield client
    await server.close()


def path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def _broadcast(services) -> tuple[Livestream, dict]:
    reply = await run(services, WHO, "golive", '"Launch" on youtube')
    assert reply.ok, reply.private
    post = reply.posts[0]
    stream = await services.livestreams.get("w", post.id)
    return stream, post


async def test_posted_links_are_tracked_and_reused(services) -> None:
    _, post = await _broadcast(services)
    link = post.links[0]
    assert link.tracked and re.fullmatch(r"http://127\.0\.0\.1:3000/go/[\w-]{22}", link.url)
    assert link.direct_url.startswith("https://www.youtube.com/watch?v=")
    assert link.for_chat("slack") == link.url + "?s=slack"
    assert post.page_url and "/live/" in post.page_url
    assert f"watch page: {post.page_url}" in to_text(post)
    status = await run(services, WHO, "golive", f"status {post.id}")
    again = status.posts[0]
    assert again.links[0].url == link.url and again.page_url == post.page_url


async def test_click_redirects_counts_and_shows_in_status_and_report(services, web) -> None:
    stream, post = await _broadcast(services)
    link = post.links[0]
    for source in ("slack", "slack", "discord", "page", "evil<script>"):
        response = await web.get(path(link.url) + f"?s={source}")
        assert response.status_code == 302
        assert response.headers["location"] == link.direct_url
        assert response.headers["cache-control"] == "no-store"
    counts = await services.links.clicks("broadcast", stream.id)
    assert counts == {
        ("youtube", "slack"): 2,
        ("youtube", "discord"): 1,
        ("youtube", "page"): 1,
        ("youtube", "other"): 1,
    }
    status = await run(services, WHO, "golive", f"status {stream.id}")
    assert "clicks: YouTube 5" in status.posts
    report = await run(services, WHO, "golive", f"report {stream.id}")
    text = report.posts[0]
    assert "YouTube (primary): ready · 5 clicks (discord 1 · other 1 · page 1 · slack 2)" in text
    assert "clicks: YouTube 5 · total 5" in text


async def test_unknown_and_malformed_ids_get_a_friendly_404(services, web) -> None:
    for link_id in ("A" * 22, "short", "a%20b%20c%20d%20e%20f%20g%20h"):
        response = await web.get(f"/go/{link_id}")
        assert response.status_code == 404
        assert "Link not found" in response.text and "Traceback" not in response.text
    assert (await web.get("/live/nopenopenope")).status_code == 404
    assert (await web.get("/live/nopenopenope/state")).status_code == 404
    async with services.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(LinkClick)) == 0


async def test_ended_broadcast_goes_to_recording_or_says_it_ended(services, web) -> None:
    stream, post = await _broadcast(services)
    await run(services, WHO, "golive", f"start {stream.id}")
    await run(services, WHO, "golive", f"stop {stream.id}")
    ended = await web.get(path(post.links[0].url))
    assert ended.status_code == 200 and "has ended" in ended.text
    async with services.db.transaction() as session:
        row = (await session.execute(select(LivestreamPlatform))).scalar_one()
        row.data = {**row.data, "recording_url": "https://www.youtube.com/watch?v=rec"}
    recorded = await web.get(path(post.links[0].url))
    assert recorded.status_code == 302
    assert recorded.headers["location"] == "https://www.youtube.com/watch?v=rec"


async def test_failed_platform_link_points_to_the_alternatives(services, web) -> None:
    stream, post = await _broadcast(services)
    async with services.db.transaction() as session:
        session.add(
            LivestreamPlatform(
                livestream_id=stream.id,
                platform="twitch",
                position=1,
                status="failed",
                error="Twitch is not answering right now: try again shortly.",
                watch_url="https://www.twitch.tv/golive",
                data={},
            )
        )
    stream = await services.livestreams.get("w", stream.id)
    tracking = await services.links.ensure(stream)
    assert tracking.urls["youtube"] == post.links[0].url  # reused, one more made
    response = await web.get(path(tracking.urls["twitch"]))
    assert response.status_code == 503
    assert "Twitch is not answering right now" in response.text
    assert f"../go/{tracking.ids['youtube']}?s=page" in response.text
    assert f"../live/{tracking.slug}" in response.text
    state = (await web.get(f"/live/{tracking.slug}/state")).json()
    assert [p["platform"] for p in state["platforms"]] == ["youtube", "twitch"]
    assert [p["enabled"] for p in state["platforms"]] == [True, False]
    assert "unavailable" in state["status_html"]


async def test_meeting_links_are_tracked_and_host_links_never_are(services, web) -> None:
    reply = await run(services, WHO, "meet", '"Sync" on jitsi')
    post = reply.posts[0]
    assert post.links[0].tracked
    response = await web.get(path(post.links[0].url) + "?s=discord")
    assert response.status_code == 302 and response.headers["location"] == post.links[0].direct_url
    page = await web.get(path(post.page_url))
    assert page.status_code == 200 and "Join on Jitsi Meet" in page.text
    assert "'nonce-" in page.headers["content-security-policy"]
    meeting = await services.meetings.list("w")
    host = [row.host_url_enc for row in meeting[0].platforms if row.host_url_enc]
    for secret in host:
        assert secret not in page.text
    report = await run(services, WHO, "golive", f"report {post.id}")
    assert "Jitsi Meet (primary): created · 1 click (discord 1)" in report.posts[0]


# -- the seed property "member platform access" ---------------------------------------------


@st.composite
def broadcasts(draw) -> Livestream:
    chosen = draw(st.lists(st.sampled_from(LIVE), min_size=1, max_size=6, unique=True))
    primary = draw(st.sampled_from(chosen))
    status = draw(st.sampled_from(["created", "live", "ended"]))
    start = draw(st.none() | st.just(datetime.now(UTC) + timedelta(hours=2)))
    stream = Livestream(
        id="b1", workspace="w", title=draw(st.text(min_size=1, max_size=40)), description=""
    )
    stream.primary_platform, stream.status, stream.scheduled_start = primary, status, start
    for position, name in enumerate(chosen):
        state = draw(st.sampled_from(STATES))
        recording = draw(st.booleans())
        stream.platforms.append(
            LivestreamPlatform(
                platform=name,
                position=position,
                watch_url=f"https://{name}.example/watch/{position}",
                status=state,
                error="it broke: <b>try again</b>" if state == "failed" else None,
                data={"recording_url": f"https://{name}.example/rec"} if recording else {},
                quota_used=0,
            )
        )
    return stream


def _enabled_on_page(html: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for platform, body in re.findall(r'<li [^>]*data-platform="(\w+)"[^>]*>(.*?)</li>', html):
        found[platform] = len(re.findall(r'<a class="button" href="[^"]+"', body))
    return found


@settings(max_examples=150, deadline=None)
@given(broadcasts())
def test_member_platform_access(stream: Livestream) -> None:
    hrefs = {row.platform: f"../go/{row.platform}-id?s=page" for row in stream.platforms}
    tracked = {
        row.platform: f"https://golive.example/go/{row.platform}-id" for row in stream.platforms
    }
    state = watch_state(stream, hrefs)
    html = pages.platforms_html(state)
    enabled = _enabled_on_page(html)
    post = broadcast_announcement(stream, "UTC", tracked, "https://golive.example/live/s")
    text = to_text(post)
    assert state.buttons[0].primary and post.links[0].primary
    for row in stream.platforms:
        posted = [link for link in post.links if link.platform == row.platform]
        assert len(posted) == 1
        in_text = text.count(f"https://golive.example/go/{row.platform}-id")
        if row.status in {"live", "ready"}:
            assert enabled[row.platform] == 1
            assert posted[0].url == tracked[row.platform]
            assert in_text == 1
        if row.status == "failed":
            assert enabled[row.platform] == 0
            assert posted[0].url is None and in_text == 0
            assert "it broke: &lt;b&gt;try again&lt;/b&gt;" in html
        # a platform's own URL is never on the page: every click goes through /go/
        assert row.watch_url not in html


@given(st.sampled_from(["created", "failed", "cancelled"]), st.booleans())
def test_meeting_access(state: str, cancelled: bool) -> None:
    meeting = Meeting(id="m1", workspace="w", title="Sync", primary_platform="jitsi")
    meeting.status = "cancelled" if cancelled else "created"
    meeting.duration_minutes, meeting.timezone = 30, "UTC"
    meeting.start = datetime.now(UTC) + timedelta(minutes=5)
    meeting.platforms.append(
        MeetingPlatform(platform="jitsi", position=0, join_url="https://meet.jit.si/x", data={})
    )
    meeting.platforms[0].status = state
    page = watch_state(meeting, {"jitsi": "../go/j?s=page"})
    post = meeting_announcement(meeting, "UTC", {"jitsi": "https://golive.example/go/j"})
    assert page.buttons[0].enabled is (state == "created")
    assert (post.links[0].url is not None) is (state == "created")
    if not cancelled:
        assert "Starts in 4 min " in pages.clock_html(page)
