"""Viewer sampling, the broadcast report and its chart, /metrics and /healthz."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from aiohttp.test_utils import TestServer
from PIL import Image

from bot.charts import render_png, viewers_figure
from bot.handlers import Requester, run
from bot.services.context import Services
from bot.web import create_app

WHO = Requester("w", "U1")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
T0 = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)


async def live_broadcast(services: Services, platforms: str = "youtube,twitch,facebook") -> str:
    created = await run(services, WHO, "golive", f'"Launch" on {platforms}')
    assert created.ok, created.private
    stream_id = created.posts[0].id
    started = await run(services, WHO, "golive", f"start {stream_id}")
    assert started.ok, started.private
    return stream_id


def set_viewers(services: Services, youtube: int, twitch: int, facebook: int) -> None:
    emulators = services.sandbox.emulators
    for broadcast in emulators["youtube"].broadcasts.values():
        broadcast.viewers = youtube
    emulators["twitch"].channel.viewers = twitch
    for video in emulators["facebook"].videos.values():
        video.live_views = facebook


async def test_samples_every_live_platform_and_reports_peak_and_average(services: Services):
    stream_id = await live_broadcast(services)
    rounds = [(10, 4, 3), (30, 8, 5), (20, 6, 9)]
    for minute, (yt, tw, fb) in enumerate(rounds):
        set_viewers(services, yt, tw, fb)
        counts = await services.analytics.sample(
            "w", stream_id, at=T0 + timedelta(minutes=10 * minute)
        )
        assert counts == {"youtube": yt, "twitch": tw, "facebook": fb}
    report = await services.analytics.report("w", stream_id)
    figures = {f.platform: f for f in report.platforms}
    assert (figures["youtube"].peak, figures["youtube"].average) == (30, 20)
    assert (figures["twitch"].peak, figures["twitch"].average) == (8, 6)
    assert (figures["facebook"].peak, figures["facebook"].average) == (9, 17 / 3)
    assert report.peak_total == 43  # 30 + 8 + 5 in the same round
    assert report.duration == timedelta(minutes=20)
    assert report.previous is None

    assert (await run(services, WHO, "golive", f"stop {stream_id}")).ok
    reply = await run(services, WHO, "golive", f"report {stream_id}")
    assert reply.ok, reply.private
    text = reply.posts[0]
    assert "YouTube viewers: peak 30 · average 20" in text
    assert "duration 20 min" in text
    assert "clicks:" in text  # the click lines stay
    [(name, png)] = reply.files
    assert name == f"golive-{stream_id}-viewers.png"
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.format == "PNG" and image.size == (900, 450)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # storage-independent
async def test_report_compares_with_previous_broadcasts(services: Services):
    first = await live_broadcast(services, "youtube")
    set_viewers(services, 40, 0, 0)
    await services.analytics.sample("w", first, at=T0)
    await run(services, WHO, "golive", f"stop {first}")
    second = await live_broadcast(services, "youtube")
    set_viewers(services, 60, 0, 0)
    await services.analytics.sample("w", second, at=T0 + timedelta(days=7))
    report = await services.analytics.report("w", second)
    assert report.previous == (1, 40.0)
    assert "peak 60 vs 40 on average (+50%)" in "\n".join(report.lines())


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # storage-independent
async def test_sampler_loop_stops_when_the_broadcast_ends(services: Services):
    stream_id = await live_broadcast(services, "youtube")
    set_viewers(services, 5, 0, 0)
    task = asyncio.create_task(services.analytics.run_sampler("w", stream_id, interval=0.05))
    for _ in range(250):  # at most 5 s
        if len(await services.analytics.samples(stream_id)) >= 2:
            break
        await asyncio.sleep(0.02)
    stopped = await run(services, WHO, "golive", f"stop {stream_id}")
    assert stopped.ok
    rounds = await asyncio.wait_for(task, timeout=5)
    assert rounds >= 2
    assert {s.viewers for s in await services.analytics.samples(stream_id)} == {5}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_chart_is_a_real_png_with_one_line_per_platform(backend):
    def points(base: int) -> list[tuple[datetime, int]]:
        return [(T0 + timedelta(minutes=m), base + 20 * (m % 7) + m) for m in range(60)]

    series = {"YouTube": points(120), "Twitch": points(45), "Facebook": points(80)}
    figure = viewers_figure("Viewers · Launch", series)
    axes = figure.axes[0]
    assert sorted(line.get_label() for line in axes.lines) == ["Facebook", "Twitch", "YouTube"]
    assert axes.get_legend() is not None
    png = render_png(figure)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.size == (900, 450)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "viewers-chart.png").write_bytes(png)


@pytest.fixture
async def web(services):
    server = TestServer(create_app(services), host="127.0.0.1")
    await server.start_server()
    async with httpx.AsyncClient(base_url=str(server.make_url("")).rstrip("/")) as client:
        yield client
    await server.close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # storage-independent
async def test_metrics_in_prometheus_text_format(services: Services, web):
    await live_broadcast(services, "youtube")
    await run(services, WHO, "golive", "nonsense-subcommand-x")
    response = await web.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    body = response.text
    assert 'golive_commands_total{adapter="console",command="golive",outcome="ok"} 2.0' in body
    assert 'golive_platform_calls_total{outcome="ok",platform="youtube"}' in body
    assert "golive_broadcasts_live 1.0" in body
    assert "# TYPE golive_platform_retryable_answers_total counter" in body


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # storage-independent
async def test_healthz_reports_database_scheduler_and_chat(services: Services, web):
    from bot.cli import _socket_mode_probe

    class SocketMode:  # Slack's Socket Mode handler, as far as the probe asks it
        def __init__(self) -> None:
            self.connected = True
            self.client = self

        async def is_connected(self) -> bool:
            return self.connected

    socket = SocketMode()
    services.health.probe_chat("slack", _socket_mode_probe(socket))
    services.health.report_chat("discord", "connected")
    body = (await web.get("/healthz")).json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok"
    assert body["scheduler"] == {"status": "not running"}
    assert body["chat"] == {"slack": "connected (Socket Mode)", "discord": "connected"}
    socket.connected = False  # asked at each request: a dropped socket shows at once
    body = (await web.get("/healthz")).json()
    assert body["chat"]["slack"] == "reconnecting (Socket Mode)"
    assert body["status"] == "ok"  # only the database makes golive unhealthy


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # storage-independent
async def test_console_saves_the_chart_under_the_data_dir(services: Services):
    from bot.adapters.console import shell

    services.settings.workspace = "w"
    stream_id = await live_broadcast(services, "youtube")
    set_viewers(services, 7, 0, 0)
    await services.analytics.sample("w", stream_id)
    out = io.StringIO()
    await shell.run(services, io.StringIO(f"/golive report {stream_id}\n"), out)
    assert len(await services.analytics.samples(stream_id)) == 2  # a live report samples too
    saved = services.settings.data_dir / "reports" / f"golive-{stream_id}-viewers.png"
    assert f"(chart saved to {saved})" in out.getvalue()
    assert saved.read_bytes().startswith(b"\x89PNG")
