"""golive's web app on a real port with the sandbox behind it, and API tokens for it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from aiohttp import web

from bot.services.context import Services
from bot.web import create_app


@dataclass
class Api:
    base: str
    services: Services
    write: httpx.AsyncClient
    read: httpx.AsyncClient
    anonymous: httpx.AsyncClient


@pytest.fixture
async def api(services: Services) -> AsyncIterator[Api]:
    runner = web.AppRunner(create_app(services), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    write, _ = await services.tokens.create("w", "ci", "read-write", user="U1")
    read, _ = await services.tokens.create("w", "dashboard", "read", user="U1")
    clients = [
        httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {t}"}, timeout=30)
        for t in (write, read)
    ]
    anonymous = httpx.AsyncClient(base_url=base, timeout=30)
    try:
        yield Api(base, services, clients[0], clients[1], anonymous)
    finally:
        for client in (*clients, anonymous):
            await client.aclose()
        await runner.cleanup()
