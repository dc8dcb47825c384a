"""Services whose scheduler runs on short real delays: offsets of seconds, quick lock retries."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.services.context import Services
from tests.conftest import FastRetry, database_url, make_settings
from tests.core.test_announcements import FakePublisher


@pytest.fixture
async def scheduled(backend: str, tmp_path: Path) -> AsyncIterator[Services]:
    url = await database_url(backend, tmp_path)
    settings = make_settings(tmp_path, url, reminders="2s,1s", schedule_grace="30s")
    services = await Services.start(settings, sandbox=True)
    services.connections.retry_policy = FastRetry(initial_wait=0.01)
    services.scheduler.lock_retry = 0.1
    services.announcements.register(FakePublisher("slack"))
    try:
        yield services
    finally:
        await services.close()


async def eventually(check: Callable[[], object], within: float = 8.0) -> None:
    """Wait until ``check()`` (sync or async) is truthy."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)
