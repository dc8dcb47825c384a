"""The relay's ingest refuses what it must, and drives the whole broadcast from chat commands."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.handlers import run
from bot.services.context import Services
from tests.multistream.helpers import Listener, decodes, encoder, free_port, video_times
from tests.multistream.scenario import ADMIN, new_broadcast


async def test_a_wrong_key_is_refused_and_logged(
    relayed: Services, caplog: pytest.LogCaptureFixture
) -> None:
    await new_broadcast(relayed)
    caplog.set_level(logging.INFO)
    guess = "not-the-key-0123456789"
    sender = await encoder(f"{relayed.relay.address}/{guess}", 3)
    assert await asyncio.wait_for(sender.wait(), 10) != 0
    refusals = [r.getMessage() for r in caplog.records if "refused a publish" in r.getMessage()]
    assert refusals and "belongs to no open broadcast" in refusals[0]
    assert guess not in caplog.text
    assert 'golive_relay_publishes_refused_total{reason="unknown_key"} 1.0' in (
        relayed.metrics.render().decode()
    )


async def test_a_second_publisher_on_a_live_key_is_refused(relayed: Services) -> None:
    _, key, _ = await new_broadcast(relayed)
    first = await encoder(f"{relayed.relay.address}/{key}", 4)
    await asyncio.sleep(1.5)
    second = await encoder(f"{relayed.relay.address}/{key}", 4)
    assert await asyncio.wait_for(second.wait(), 10) != 0
    assert first.returncode is None  # the first one goes on undisturbed
    assert await first.wait() == 0
    assert 'reason="already_publishing"} 1.0' in relayed.metrics.render().decode()


async def test_from_create_to_stop_through_commands(relayed: Services, tmp_path: Path) -> None:
    platform = await Listener.start(free_port(), tmp_path / "platform.flv")
    stream_id, key, private = await new_broadcast(relayed, ingest=platform.ingest)
    assert any("golive sends a copy to Custom RTMP" in line for line in private)
    assert len(key) >= 32
    _, other_key, _ = await new_broadcast(relayed, ingest=platform.ingest, title="Next")
    assert other_key != key  # a new key for every broadcast
    async with relayed.db.engine.connect() as conn:
        stored = (await conn.execute(text("SELECT relay_key_enc FROM livestreams"))).all()
    assert stored and all(key not in row[0] and other_key not in row[0] for row in stored)

    sender = await encoder(f"{relayed.relay.address}/{key}", 6)
    started = await run(relayed, ADMIN, "golive", f"start {stream_id}")
    assert started.ok, started.private
    await asyncio.sleep(3)
    status = await run(relayed, ADMIN, "golive", f"status {stream_id}")
    assert "Relay: encoder sending" in status.private
    line = next(li for li in status.private if li.strip().startswith("Custom RTMP:"))
    assert "connected" in line and "Mbit/s" in line
    assert all(key not in str(post) for post in status.posts)
    metrics = relayed.metrics.render().decode()
    assert (
        f'golive_relay_destination_connected{{broadcast="{stream_id}",destination="rtmp"}} 1.0'
        in metrics
    )
    assert "golive_relay_encoders_publishing 1.0" in metrics

    assert await sender.wait() == 0
    stopped = await run(relayed, ADMIN, "golive", f"stop {stream_id}")
    assert stopped.ok, stopped.private
    assert await platform.finished() == 0
    assert relayed.relay.status(stream_id) is None
    times = video_times(platform.path)
    assert abs((times[-1] - times[0]) - 6) <= 1.0
    ok, _ = await decodes(platform.path)
    assert ok
    # the ended broadcast's key opens nothing any more
    late = await encoder(f"{relayed.relay.address}/{key}", 2)
    assert await asyncio.wait_for(late.wait(), 10) != 0
