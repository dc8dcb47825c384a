"""How much longer does starting a broadcast on six platforms take than on the slowest one?

Every platform emulator answers each request after 300 ms. Each platform is started alone
first (its own broadcast), then all six together; the figure printed is the six-platform
wall time divided by the slowest single platform's. Concurrent fan-out keeps it near 1
(target: at most 1.15); platforms started one after another would make it about the sum.

Instagram and custom RTMP have no API (golive hands out their stream key), so they answer
at once; the four API platforms carry the latency.

Run: python bench/fanout.py [--latency 0.3] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from pathlib import Path

from cryptography.fernet import Fernet

from bot.handlers import Requester, run
from bot.services.context import Services
from bot.settings import Settings

PLATFORMS = ["youtube", "facebook", "twitch", "restream", "instagram", "rtmp"]
WHO = Requester("bench", "U1")


async def timed_start(services: Services, chosen: list[str]) -> float:
    created = await run(services, WHO, "golive", f'"Bench" on {",".join(chosen)}')
    assert created.ok, created.private
    stream_id = created.posts[0].id
    began = time.perf_counter()
    started = await run(services, WHO, "golive", f"start {stream_id}")
    took = time.perf_counter() - began
    states = {link.platform: link.state for link in started.posts[0].links}
    assert set(states.values()) == {"live"}, states
    await run(services, WHO, "golive", f"stop {stream_id}")
    return took


async def main(latency: float, rounds: int) -> None:
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}",
            secret_keys=Fernet.generate_key().decode(),
            data_dir=Path(tmp),
        )
        services = await Services.start(settings, sandbox=True)
        try:
            for platform in PLATFORMS:  # connect first: sign-ins are not what is measured
                await services.connections.ensure("bench", "U1", platform)
            for emulator in services.sandbox.emulators.values():
                emulator.faults.latency = latency
            single: dict[str, float] = {}
            for platform in PLATFORMS:
                single[platform] = statistics.median(
                    [await timed_start(services, [platform]) for _ in range(rounds)]
                )
            together = statistics.median(
                [await timed_start(services, PLATFORMS) for _ in range(rounds)]
            )
        finally:
            await services.close()
    slowest = max(single, key=single.__getitem__)
    print(f"emulator latency per request: {latency * 1000:.0f} ms, median of {rounds} rounds")
    for platform, seconds in single.items():
        print(f"  start on {platform:<10} alone: {seconds:6.3f} s")
    print(f"  start on all {len(PLATFORMS)} together: {together:6.3f} s")
    print(f"  sum of the single starts (sequential): {sum(single.values()):6.3f} s")
    ratio = together / single[slowest]
    print(f"ratio to the slowest single platform ({slowest}): {ratio:.3f} (target <= 1.15)")
    print(f"ratio sequential / concurrent: {sum(single.values()) / together:.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.latency, args.rounds))
