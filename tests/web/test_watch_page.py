"""The member watch page in a real headless browser (Debian's chromium through Playwright).

golive's web app runs with sandbox data on its own event loop in a background thread, the
way ``golive serve`` runs it; the browser talks to it over 127.0.0.1 and never leaves the
machine. Chromium follows a redirect past Playwright's request routing, so the platform a
click lands on is a stand-in page on 127.0.0.1: the tests point a platform row's URL at it
(the real watch and join URLs are out of reach offline). One browser for the module keeps
this fast. Screenshots for people to look at go to ``tests/artifacts/`` (ignored by git).
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from bot.handlers import Requester, run
from bot.messages import display
from bot.services.context import Services
from bot.web import create_app
from storage.models import LinkClick, LivestreamPlatform, MeetingPlatform
from tests.conftest import FastRetry, make_settings

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
WHO = Requester("w", "U1")
T = TypeVar("T")

# CI installs chromium (.ci/run), so there a missing browser fails instead of skipping.
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason="Debian's chromium is not installed (apt-get install -y chromium)",
)


class App:
    """golive's services and web app on a loop of their own."""

    def __init__(self, tmp: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.tmp = tmp
        self.base = ""

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    async def start(self) -> None:
        url = f"sqlite+aiosqlite:///{self.tmp / 'golive.db'}"
        self.services = await Services.start(make_settings(self.tmp, url), sandbox=True)
        self.services.connections.retry_policy = FastRetry(initial_wait=0.01)
        self.server = TestServer(create_app(self.services), host="127.0.0.1")
        await self.server.start_server()
        self.base = str(self.server.make_url("")).rstrip("/")
        self.services.settings.public_url = self.base
        platform = web.Application()

        async def landing(request: web.Request) -> web.Response:
            return web.Response(
                text="<!doctype html><title>platform</title><p>on the platform</p>",
                content_type="text/html",
            )

        platform.router.add_get("/{tail:.*}", landing)
        self.platform = TestServer(platform, host="127.0.0.1")
        await self.platform.start_server()
        self.platform_base = str(self.platform.make_url("")).rstrip("/")

    async def stand_in(self, model: type, item_id: str, name: str) -> str:
        """Point one platform row's URL at the local stand-in and return the new URL."""
        url = f"{self.platform_base}/{name}/{item_id}"
        owner = (
            LivestreamPlatform.livestream_id
            if model is LivestreamPlatform
            else MeetingPlatform.meeting_id
        )
        async with self.services.db.transaction() as session:
            row = await session.scalar(
                select(model).where(owner == item_id, model.platform == name)  # type: ignore[attr-defined]
            )
            assert row is not None
            if model is LivestreamPlatform:
                row.watch_url = url
            else:
                row.join_url = url
        return url

    async def stop(self) -> None:
        await self.platform.close()
        await self.server.close()
        await self.services.close()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    running = App(tmp_path_factory.mktemp("web"))
    running.call(running.start())
    try:
        yield running
    finally:
        running.call(running.stop())
        running.loop.call_soon_threadsafe(running.loop.stop)
        running.thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    # Nothing outside 127.0.0.1 is ever fetched: a page that tried would fail here.
    context.route(lambda url: not url.startswith("http://127.0.0.1:"), lambda r: r.abort())
    tab = context.new_page()
    yield tab
    context.close()


async def _broadcast(app: App, *, start_in: timedelta | None = timedelta(hours=2)) -> Any:
    """A YouTube broadcast made through the sandbox, plus Twitch (primary) and a failed
    Facebook beside it, as another platform's provider would have stored them."""
    when = ""
    if start_in is not None:
        at = datetime.now(UTC) + start_in
        when = f" at {at:%Y-%m-%d %H:%M} UTC"
    reply = await run(app.services, WHO, "golive", f'"Sunday service"{when} on youtube')
    assert reply.ok, reply.private
    stream_id = reply.posts[0].id
    async with app.services.db.transaction() as session:
        session.add_all(
            [
                LivestreamPlatform(
                    livestream_id=stream_id,
                    platform="twitch",
                    position=1,
                    status="ready",
                    watch_url="https://www.twitch.tv/golive",
                    data={},
                ),
                LivestreamPlatform(
                    livestream_id=stream_id,
                    platform="facebook",
                    position=2,
                    status="failed",
                    error="Facebook Live is not answering right now: try again shortly.",
                    watch_url="https://www.facebook.com/golive/videos/1",
                    data={},
                ),
            ]
        )
    stream = await app.services.livestreams.get("w", stream_id)
    stream.primary_platform = "twitch"
    async with app.services.db.transaction() as session:
        await session.merge(stream)
    stream = await app.services.livestreams.get("w", stream_id)
    return stream, await app.services.links.ensure(stream)


async def _clicks(app: App, stream_id: str) -> list[tuple[str, str]]:
    async with app.services.db.sessions() as session:
        rows = await session.execute(
            select(LinkClick.platform, LinkClick.source).where(LinkClick.item_id == stream_id)
        )
        return [tuple(r) for r in rows]


def _luminance(css: str) -> float:
    """WCAG relative luminance of a computed ``rgb(r, g, b)`` colour."""
    channels = [int(part) / 255 for part in css[css.index("(") + 1 : -1].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(foreground: str, background: str) -> float:
    high, low = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _no_horizontal_scroll(page: Any) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_primary_first_failed_disabled_countdown_and_screenshots(app: App, page: Any) -> None:
    _, tracking = app.call(_broadcast(app))
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(tracking.page_url)
    items = page.locator("#platforms > li")
    assert items.count() == 3
    assert [items.nth(i).get_attribute("data-platform") for i in range(3)] == [
        "twitch",
        "youtube",
        "facebook",
    ]
    primary = items.nth(0)
    assert "primary" in (primary.get_attribute("class") or "")
    assert primary.locator(".badge").inner_text().lower() == "primary"
    colours = page.evaluate(
        """() => [...document.querySelectorAll('#platforms .button')]
            .map(b => getComputedStyle(b).backgroundColor)"""
    )
    assert colours[0] != colours[1]  # highlighted, not only labelled
    pairs = page.evaluate(
        """() => [...document.querySelectorAll('#platforms .button, .reason, .state, .alert')]
            .map(e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor,
                       getComputedStyle(e.parentElement).backgroundColor])"""
    )
    page_background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    for colour, background, parent in pairs:
        behind = next((c for c in (background, parent) if c != "rgba(0, 0, 0, 0)"), page_background)
        assert _contrast(colour, behind) >= 4.5, (colour, behind)  # WCAG AA for text

    failed = items.nth(2)
    button = failed.locator("button")
    assert button.is_disabled()
    reason = failed.locator(".reason")
    assert "Facebook Live is not answering right now" in reason.inner_text()
    assert button.get_attribute("aria-describedby") == reason.get_attribute("id")
    alternative = failed.locator(".alt a")
    assert alternative.inner_text() == display("twitch")
    alert = page.locator("#status .alert")
    assert "unavailable" in alert.inner_text() and display("twitch") in alert.inner_text()
    assert page.locator("#status").get_attribute("aria-live") == "polite"

    countdown = page.locator("#countdown")
    first = countdown.inner_text()
    assert first.startswith("Starts in 1 h 5") or first.startswith("Starts in 2 h")
    for _ in range(20):  # the page's own script ticks it (polled here: the CSP forbids eval)
        page.wait_for_timeout(150)
        if countdown.inner_text() != first:
            break
    assert countdown.inner_text() != first

    assert requested and all(url.startswith(app.base) for url in requested)  # no external asset
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "watch-1280.png"), full_page=True)
    assert _no_horizontal_scroll(page)
    page.set_viewport_size({"width": 360, "height": 780})
    assert _no_horizontal_scroll(page)
    box = page.locator("#platforms .button").first.bounding_box()
    assert box is not None and box["height"] >= 48 and box["x"] + box["width"] <= 360
    page.screenshot(path=str(ARTIFACTS / "watch-360.png"), full_page=True)
    assert (ARTIFACTS / "watch-360.png").stat().st_size > 0


def test_click_through_lands_on_the_platform_and_counts_once(app: App, page: Any) -> None:
    stream, tracking = app.call(_broadcast(app))
    landing = app.call(app.stand_in(LivestreamPlatform, stream.id, "youtube"))
    page.goto(tracking.page_url)
    with page.expect_navigation(url=landing):
        page.locator('#platforms li[data-platform="youtube"] a.button').click()
    assert page.url == landing
    assert page.inner_text("body") == "on the platform"
    assert app.call(_clicks(app, stream.id)) == [("youtube", "page")]


def test_state_refreshes_without_a_reload(app: App, page: Any) -> None:
    stream, tracking = app.call(_broadcast(app, start_in=None))
    page.goto(tracking.page_url + "?poll=1000")
    page.evaluate("window.stillHere = true")
    assert page.locator('li[data-platform="youtube"] a.button').count() == 1

    async def youtube_fails() -> None:
        async with app.services.db.transaction() as session:
            row = await session.scalar(
                select(LivestreamPlatform).where(
                    LivestreamPlatform.livestream_id == stream.id,
                    LivestreamPlatform.platform == "youtube",
                )
            )
            assert row is not None
            row.status, row.error = "failed", "YouTube is not answering right now."

    app.call(youtube_fails())
    page.wait_for_selector('li[data-platform="youtube"] button[disabled]', timeout=5000)
    assert page.evaluate("window.stillHere") is True
    assert "YouTube is not answering" in page.inner_text('li[data-platform="youtube"] .reason')
    assert page.locator("#platforms a.button").count() == 1  # only Twitch is left


def test_meeting_page_counts_down_and_joins(app: App, page: Any) -> None:
    at = datetime.now(UTC) + timedelta(days=2)
    reply = app.call(
        run(app.services, WHO, "meet", f'"Planning" on jitsi at {at:%Y-%m-%d %H:%M} UTC')
    )
    assert reply.ok, reply.private
    post = reply.posts[0]
    landing = app.call(app.stand_in(MeetingPlatform, post.id, "jitsi"))
    page.goto(post.page_url)
    assert page.locator("#countdown").inner_text().startswith("Starts in 1 day")
    join = page.locator("#platforms li.primary a.button")
    assert join.inner_text().startswith("Join on Jitsi Meet")
    with page.expect_navigation(url=landing):
        join.click()
    assert page.url == landing
    clicks = app.call(app.services.links.clicks("meeting", post.id))
    assert clicks == {("jitsi", "page"): 1}
