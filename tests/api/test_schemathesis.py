"""schemathesis against /api/openapi.json: no server error, every answer as documented.

The server runs in its own thread and event loop (schemathesis calls are synchronous), with
the sandbox's emulators behind it, on SQLite. The number of examples is bounded so the run
stays within a few seconds per operation.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from bot.api.openapi import OPERATIONS
from bot.services.context import Services
from bot.web import create_app
from tests.conftest import make_settings


class LiveServer:
    def __init__(self, data: Path) -> None:
        self.data = data
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.base = ""
        self.token = ""

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._start())
        self.ready.set()
        self.loop.run_forever()

    async def _start(self) -> None:
        url = f"sqlite+aiosqlite:///{self.data / 'golive.db'}"
        self.services = await Services.start(make_settings(self.data, url), sandbox=True)
        self.token, _ = await self.services.tokens.create("local", "fuzz", "read-write", user="t")
        self.runner = web.AppRunner(create_app(self.services), access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.base = f"http://127.0.0.1:{self.runner.addresses[0][1]}"

    async def _stop(self) -> None:
        await self.runner.cleanup()
        await self.services.close()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("fuzz"))
    server.thread.start()
    assert server.ready.wait(30)
    try:
        yield server
    finally:
        server.stop()


#: No server error, and every answer as documented. Schema-valid requests may still be refused
#: for business reasons (a platform not connected, a primary not among the platforms), so
#: "positive data acceptance" is not asked for; invalid requests must be refused.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
]


@pytest.fixture(scope="module")
def api_schema(live: LiveServer):
    return schemathesis.openapi.from_url(f"{live.base}/api/openapi.json")


@pytest.mark.parametrize("label", [f"{m} {p}" for m, p, *_ in OPERATIONS])
def test_api_answers_as_documented(label: str, api_schema, live: LiveServer) -> None:
    operation = api_schema.find_operation_by_label(label)
    headers = {"Authorization": f"Bearer {live.token}"}

    @given(case=operation.as_strategy())
    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
    def check(case) -> None:
        case.call_and_validate(base_url=live.base, headers=headers, checks=CHECKS)

    check()
