"""One encoder in, three platforms out: real ffmpeg on 127.0.0.1 on both sides.

Three ``ffmpeg -listen`` processes stand in for platforms. Each must receive a decodable
stream as long as the encoder sent; killing one mid-stream must leave the other two without
a gap, and the relay must reconnect the killed one to its restarted listener on its own.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.relay.outputs import Destination
from bot.services.context import Services
from tests.multistream.conftest import GRACE
from tests.multistream.helpers import (
    Listener,
    decodes,
    encoder,
    free_port,
    largest_gap,
    video_times,
)
from tests.multistream.scenario import new_broadcast

SECONDS = 8


async def test_three_destinations_and_one_killed_and_restarted(
    relayed: Services, tmp_path: Path
) -> None:
    listeners = [await Listener.start(free_port(), tmp_path / f"{n}.flv") for n in "abc"]
    stream_id, key, _ = await new_broadcast(relayed)
    destinations = [
        Destination.join(n, li.ingest, "x") for n, li in zip("abc", listeners, strict=True)
    ]
    await relayed.relay.begin("w", "U1", stream_id, destinations)
    sender = await encoder(f"{relayed.relay.address}/{key}", SECONDS)

    await asyncio.sleep(3.5)
    _, rows = relayed.relay.status(stream_id)
    assert [r.state for r in rows] == ["connected"] * 3
    pids = {r.name: r.pid for r in rows}
    victim = listeners[1]
    victim.process.kill()
    await victim.process.wait()
    restarted = await Listener.start(victim.port, tmp_path / "b-again.flv")

    assert await sender.wait() == 0
    await asyncio.sleep(0.5)
    _, rows = relayed.relay.status(stream_id)
    by_name = {r.name: r for r in rows}
    assert by_name["a"].pid == pids["a"] and by_name["c"].pid == pids["c"]
    assert by_name["a"].reconnects == by_name["c"].reconnects == 0
    assert by_name["b"].reconnects >= 1
    assert by_name["b"].pid != pids["b"]
    assert by_name["b"].last_error
    assert "x" not in by_name["b"].last_error.split("/")  # the key never shows
    await relayed.relay.end(stream_id)

    for listener in (listeners[0], listeners[2], restarted):
        assert await listener.finished() == 0
    for survivor in (listeners[0], listeners[2]):
        times = video_times(survivor.path)
        assert abs((times[-1] - times[0]) - SECONDS) <= 1.0, (times[0], times[-1])
        assert largest_gap(times) <= 0.5
        ok, frames = await decodes(survivor.path)
        assert ok and frames >= (SECONDS - 1) * 30
    again = video_times(restarted.path)
    assert again and again[-1] - again[0] >= 2.0  # it received again after the reconnect
    ok, frames = await decodes(restarted.path)
    assert ok and frames >= 60
    metrics = relayed.metrics.render().decode()
    assert 'golive_relay_reconnects_total{destination="b"}' in metrics


async def test_encoder_back_within_grace_continues_into_the_same_outputs(
    relayed: Services, tmp_path: Path
) -> None:
    listener = await Listener.start(free_port(), tmp_path / "out.flv")
    stream_id, key, _ = await new_broadcast(relayed)
    await relayed.relay.begin(
        "w", "U1", stream_id, [Destination.join("only", listener.ingest, "x")]
    )
    first = await encoder(f"{relayed.relay.address}/{key}", 3)
    assert await first.wait() == 0
    _, rows = relayed.relay.status(stream_id)
    pid = rows[0].pid
    assert pid is not None
    await asyncio.sleep(1.0)
    encoder_state, _ = relayed.relay.status(stream_id)
    assert encoder_state.state == "away"
    second = await encoder(f"{relayed.relay.address}/{key}", 3)
    assert await second.wait() == 0
    _, rows = relayed.relay.status(stream_id)
    assert rows[0].pid == pid and rows[0].reconnects == 0  # the same process all along

    # no encoder for longer than the grace period: the output ends cleanly by itself
    assert await listener.finished(wait=GRACE + 5) == 0
    encoder_state, rows = relayed.relay.status(stream_id)
    assert encoder_state.state == "waiting" and rows[0].state == "waiting"
    times = video_times(listener.path)
    assert times == sorted(times)
    assert abs((times[-1] - times[0]) - 7.0) <= 1.0  # 3 s, away 1 s, 3 s
    assert 0.5 <= largest_gap(times) <= 2.0  # the time the encoder was away, once
    ok, frames = await decodes(listener.path)
    assert ok and frames >= 150
