"""The scheduling leader samples viewers and checks connections, each at its interval."""

from __future__ import annotations

import asyncio

from bot.services.context import Services


async def test_leader_runs_samples_and_health_checks(services: Services, monkeypatch) -> None:
    ran: list[str] = []

    async def sample() -> int:
        ran.append("sample")
        return 0

    async def check() -> list:
        ran.append("check")
        return []

    monkeypatch.setattr(services.analytics, "sample_live", sample)
    monkeypatch.setattr(services.health, "check_all", check)
    scheduler = services.scheduler
    scheduler.leader = True
    scheduler._routines()
    scheduler._routines()  # within the interval: nothing runs twice
    await asyncio.sleep(0.05)
    assert sorted(ran) == ["check", "sample"]
