"""A golive with the relay on (SQLite, sandbox emulators), its ingest on a free local port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.relay.outputs import Backoff
from bot.services.context import Services
from tests.conftest import make_settings
from tests.multistream.helpers import free_port

GRACE = 3


@pytest.fixture
async def relayed(tmp_path: Path) -> AsyncIterator[Services]:
    settings = make_settings(
        tmp_path,
        f"sqlite+aiosqlite:///{tmp_path / 'golive.db'}",
        relay_port=free_port(),
        relay_host="127.0.0.1",
        relay_grace=str(GRACE),
    )
    services = await Services.start(settings, sandbox=True)
    services.relay.backoff = Backoff(first=0.2, cap=1.0, healthy_after=30)
    await services.relay.start()
    try:
        yield services
    finally:
        await services.close()
