"""A running golive web app with the Slack adapter, the sandbox, and the fake Slack Web API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.adapters.slack.app import SlackAdapter
from bot.services.context import Services
from bot.web import create_app
from tests.conftest import FastRetry, make_settings
from tests.slack import signing
from tests.slack.fake_api import FakeSlack


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


@dataclass
class Harness:
    fake: FakeSlack
    services: Services
    adapter: SlackAdapter
    url: str
    http: aiohttp.ClientSession

    async def send(
        self, body: str, headers: dict[str, str] | None = None
    ) -> aiohttp.ClientResponse:
        response = await self.http.post(
            f"{self.url}/slack/events",
            data=body.encode(),
            headers=signing.headers(body) if headers is None else headers,
        )
        await response.read()
        return response

    async def command(self, command: str, text: str = "", user: str = "UADMIN", **kw: Any):
        body = signing.command_body(
            command, text, user=user, response_url=f"{self.fake.base_url}/response/1", **kw
        )
        return await self.send(body)

    async def payload(self, payload: dict[str, Any]):
        return await self.send(signing.payload_body(payload))

    async def settle(self) -> None:
        await self.adapter.drain()
        await asyncio.sleep(0)


@pytest.fixture
async def slack(tmp_path: Path) -> AsyncIterator[Harness]:
    fake = FakeSlack(
        users={"UADMIN": {"is_admin": True}, "UMEMBER": {}, "UOWNER": {"is_owner": True}}
    )
    fake_runner, fake_url = await serve(fake.app())
    fake.base_url = fake_url
    settings = make_settings(
        tmp_path,
        f"sqlite+aiosqlite:///{tmp_path / 'golive.db'}",
        slack_bot_token="xoxb-test",
        slack_signing_secret=signing.SECRET,
        slack_api_url=f"{fake_url}/api",
    )
    services = await Services.start(settings, sandbox=True)
    services.connections.retry_policy = FastRetry(initial_wait=0.01)
    adapter = SlackAdapter(services)
    runner, url = await serve(create_app(services, adapter))
    async with aiohttp.ClientSession() as http:
        try:
            yield Harness(fake, services, adapter, url, http)
        finally:
            await adapter.close()
            await runner.cleanup()
            await services.close()
            await fake_runner.cleanup()
