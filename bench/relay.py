"""The built-in relay's cost and delay: CPU seconds per minute per destination, added delay.

Run from the repository root: ``PYTHONPATH=. .venv/bin/python bench/relay.py [--seconds 30]``.

A 6 Mbit/s 720p30 clip (x264, CBR, key frame every 2 s, AAC) is encoded once, then sent in
real time (``-re -c copy``, so the encoder itself costs next to nothing) into a golive relay
with the relay on, exactly as OBS would publish.

1. **CPU**: three local ``ffmpeg -listen`` destinations record what they get. The relay's
   CPU is golive's own process (RTMP parsing, FLV, fan-out) plus every output ffmpeg it runs
   (read from ``/proc/<pid>/stat``); the figure is that total per destination per minute of
   stream. Target: at most 3 (copy, not transcode).
2. **Delay**: one destination whose listener writes FLV to a pipe this script reads; each
   video frame's arrival there is compared with the moment the relay received it from the
   encoder (the relay's own feed to its outputs). Target: p95 at most 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bot.relay.ffmpeg import ffmpeg_path
from bot.relay.outputs import Destination, Output
from bot.services.context import Services
from tests.conftest import make_settings
from tests.multistream.helpers import Listener, free_port, wait_listening
from tests.multistream.scenario import new_broadcast

BITRATE = "6M"
TICKS = os.sysconf("SC_CLK_TCK")


async def run(*args: str, **kwargs) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=kwargs.pop("stdout", asyncio.subprocess.DEVNULL),
        stderr=asyncio.subprocess.DEVNULL,
        **kwargs,
    )


async def make_clip(ffmpeg: str, path: Path, seconds: int) -> float:
    """A clip whose video really is 6 Mbit/s: noise keeps x264 from compressing it away."""
    started = time.monotonic()
    process = await run(
        ffmpeg, "-y", "-hide_banner", "-loglevel", "error",
        "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30,noise=alls=12:allf=t",
        "-f", "lavfi", "-i", "sine=frequency=440",
        "-t", str(seconds),
        "-c:v", "libx264", "-preset", "ultrafast", "-g", "60", "-keyint_min", "60",
        "-b:v", BITRATE, "-minrate", BITRATE, "-maxrate", BITRATE, "-bufsize", "3M",
        "-x264-params", "nal-hrd=cbr",
        "-c:a", "aac", "-b:a", "128k",
        "-f", "flv", str(path),
    )  # fmt: skip
    assert await process.wait() == 0, "could not encode the test clip"
    return time.monotonic() - started


def cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


async def golive(tmp: Path) -> Services:
    settings = make_settings(
        tmp,
        f"sqlite+aiosqlite:///{tmp / 'golive.db'}",
        relay_port=free_port(),
        relay_host="127.0.0.1",
    )
    services = await Services.start(settings, sandbox=True)
    await services.relay.start()
    return services


async def publish(ffmpeg: str, clip: Path, url: str) -> asyncio.subprocess.Process:
    return await run(ffmpeg, "-hide_banner", "-loglevel", "error", "-re", "-i", str(clip),
                     "-c", "copy", "-f", "flv", url)  # fmt: skip


async def cpu_run(ffmpeg: str, clip: Path, tmp: Path, destinations: int) -> dict[str, float]:
    services = await golive(tmp / "cpu")
    try:
        listeners = [
            await Listener.start(free_port(), tmp / f"cpu-{n}.flv") for n in range(destinations)
        ]
        stream_id, key, _ = await new_broadcast(services)
        await services.relay.begin(
            "w",
            "U1",
            stream_id,
            [Destination.join(f"d{n}", li.ingest, "x") for n, li in enumerate(listeners)],
        )
        own_before, wall_before = time.process_time(), time.monotonic()
        outputs: dict[int, float] = {}
        sender = await publish(ffmpeg, clip, f"{services.relay.address}/{key}")
        while sender.returncode is None:
            _, rows = services.relay.status(stream_id) or (None, [])
            for row in rows:
                if row.pid and (spent := cpu_seconds(row.pid)) is not None:
                    outputs[row.pid] = spent
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(sender.wait(), 0.5)
        wall = time.monotonic() - wall_before
        own = time.process_time() - own_before
        _, rows = services.relay.status(stream_id)
        bitrates = [row.bitrate for row in rows if row.bitrate]
        await services.relay.end(stream_id)
        for listener in listeners:
            await listener.finished()
        return {
            "wall": wall,
            "own": own,
            "outputs": sum(outputs.values()),
            "processes": len(outputs),
            "bitrate": statistics.fmean(bitrates) if bitrates else 0.0,
        }
    finally:
        await services.close()


async def delay_run(ffmpeg: str, clip: Path, tmp: Path) -> list[float]:
    """Seconds from the relay receiving each video frame to its arrival at the destination."""
    services = await golive(tmp / "delay")
    received: dict[int, float] = {}
    feed = Output.feed

    def timed_feed(self: Output, data: bytes, tag) -> None:
        if tag.kind == 9:
            received.setdefault(tag.timestamp, time.monotonic())
        feed(self, data, tag)

    Output.feed = timed_feed  # type: ignore[method-assign]
    try:
        port = free_port()
        sink = await run(
            ffmpeg, "-hide_banner", "-loglevel", "quiet", "-fflags", "nobuffer",
            "-listen", "1", "-i", f"rtmp://127.0.0.1:{port}/live/x",
            "-c", "copy", "-flush_packets", "1", "-f", "flv", "pipe:1",
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        await wait_listening(port)
        stream_id, key, _ = await new_broadcast(services)
        await services.relay.begin(
            "w", "U1", stream_id, [Destination.join("d", f"rtmp://127.0.0.1:{port}/live", "x")]
        )
        sender = await publish(ffmpeg, clip, f"{services.relay.address}/{key}")
        arrived: dict[int, float] = {}
        assert sink.stdout is not None
        await sink.stdout.readexactly(13)  # FLV header and the first previous-tag size
        reading = asyncio.create_task(_read_tags(sink.stdout, arrived))
        await sender.wait()
        await asyncio.sleep(1.0)
        await services.relay.end(stream_id)
        await asyncio.wait_for(sink.wait(), 10)
        await asyncio.wait_for(reading, 5)
    finally:
        Output.feed = feed  # type: ignore[method-assign]
        await services.close()
    first = min(arrived, default=0)
    # the first seconds include the destination's own probing of the stream: steady state only
    return [
        arrived[ts] - received[ts] for ts in sorted(arrived) if ts in received and ts > first + 3000
    ]


async def _read_tags(stream: asyncio.StreamReader, arrived: dict[int, float]) -> None:
    try:
        while True:
            head = await stream.readexactly(11)
            size = int.from_bytes(head[1:4], "big")
            ts = int.from_bytes(head[4:7], "big") | head[7] << 24
            await stream.readexactly(size + 4)
            if head[0] & 0x1F == 9:
                arrived.setdefault(ts, time.monotonic())
    except asyncio.IncompleteReadError:
        return


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=30, help="length of the stream")
    parser.add_argument("--destinations", type=int, default=3)
    args = parser.parse_args()
    ffmpeg = ffmpeg_path(None)
    with tempfile.TemporaryDirectory(prefix="golive-relay-bench-") as name:
        tmp = Path(name)
        clip = tmp / "clip.flv"
        took = await make_clip(ffmpeg, clip, args.seconds)
        size = clip.stat().st_size
        print(
            f"clip: {args.seconds} s, {size * 8 / args.seconds / 1e6:.2f} Mbit/s "
            f"(encoded once in {took:.1f} s)"
        )
        cpu = await cpu_run(ffmpeg, clip, tmp, args.destinations)
        minutes = cpu["wall"] / 60
        total = cpu["own"] + cpu["outputs"]
        per = total / args.destinations / minutes
        print(
            f"cpu: {args.destinations} destinations for {cpu['wall']:.1f} s; golive process "
            f"{cpu['own']:.2f} s, {cpu['processes']} output ffmpeg {cpu['outputs']:.2f} s; "
            f"mean output bitrate {cpu['bitrate'] / 1e6:.2f} Mbit/s"
        )
        print(
            f"cpu seconds per minute per destination: {per:.2f} (target <= 3; "
            f"ratio to target {per / 3:.2f})"
        )
        delays = await delay_run(ffmpeg, clip, tmp)
        if not delays:
            print("delay: no frames measured", file=sys.stderr)
            raise SystemExit(1)
        delays.sort()
        p50 = statistics.median(delays)
        p95 = delays[int(0.95 * (len(delays) - 1))]
        print(
            f"delay relay-in to destination over {len(delays)} frames: p50 {p50 * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms, max {delays[-1] * 1000:.0f} ms (target p95 <= 1000 ms; "
            f"ratio {p95:.2f})"
        )


if __name__ == "__main__":
    asyncio.run(main())
