"""How long golive's Slack endpoint takes to ack ``/golive``, against a bare Bolt app.

Both apps run in this process on 127.0.0.1, signed requests go over real HTTP, and the Slack
Web API is the local fake (tests/slack/fake_api.py). The bare app is a slack-bolt ``AsyncApp``
whose ``/golive`` listener only acks; golive's is the real adapter on the real web app (with
the sandbox emulators doing the platform work after each ack). Prints median and p99 of both
and their ratio; the target is at most 1.2.

    python bench/slack_ack.py [--requests 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.adapters.slack.app import SlackAdapter, web_client
from bot.services.context import Services
from bot.web import create_app
from tests.conftest import make_settings
from tests.slack import signing
from tests.slack.conftest import serve
from tests.slack.fake_api import FakeSlack


def bare_app(api_url: str):
    app = AsyncApp(client=web_client(api_url, "xoxb-test"), signing_secret=signing.SECRET)

    @app.command("/golive")
    async def only_ack(ack) -> None:
        await ack()

    async def handle(request):
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    web_app = __import__("aiohttp").web.Application()
    web_app.router.add_post("/slack/events", handle)
    return web_app


async def measure(http: aiohttp.ClientSession, url: str, fake_url: str, n: int) -> list[float]:
    times = []
    for i in range(n):
        body = signing.command_body(
            "/golive",
            f'"Bench {i}" on youtube',
            user="UADMIN",
            response_url=f"{fake_url}/response/1",
        )
        headers = signing.headers(body)
        started = time.perf_counter()
        async with http.post(f"{url}/slack/events", data=body.encode(), headers=headers) as r:
            await r.read()
            assert r.status == 200, r.status
        times.append(time.perf_counter() - started)
    return times


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


async def main(n: int) -> None:
    fake = FakeSlack(users={"UADMIN": {"is_admin": True}})
    fake_runner, fake_url = await serve(fake.app())
    fake.base_url = fake_url
    with tempfile.TemporaryDirectory() as tmp:
        settings = make_settings(
            Path(tmp),
            f"sqlite+aiosqlite:///{tmp}/golive.db",
            slack_bot_token="xoxb-test",
            slack_signing_secret=signing.SECRET,
            slack_api_url=f"{fake_url}/api",
        )
        services = await Services.start(settings, sandbox=True)
        # connected once up front: the sandbox connects on first use, and 200 first uses at once
        # would race each other
        await services.connections.connect_in_sandbox(settings.workspace, "UADMIN", "youtube")
        adapter = SlackAdapter(services)
        golive_runner, golive_url = await serve(create_app(services, adapter))
        bare_runner, bare_url = await serve(bare_app(f"{fake_url}/api"))
        async with aiohttp.ClientSession() as http:
            await measure(http, bare_url, fake_url, 5)  # warm-up (auth.test, imports)
            await measure(http, golive_url, fake_url, 5)
            bare, golive = [], []
            for _ in range(4):  # interleaved rounds, so both see the same machine load
                bare += await measure(http, bare_url, fake_url, n // 4)
                golive += await measure(http, golive_url, fake_url, n // 4)
        await adapter.close()
        for runner in (golive_runner, bare_runner, fake_runner):
            await runner.cleanup()
        await services.close()
    ms = 1000
    print(f"requests per app: {len(bare)}")
    print(
        f"bare AsyncApp  median {statistics.median(bare) * ms:.2f} ms  p99 {p99(bare) * ms:.2f} ms"
    )
    print(
        f"golive         median {statistics.median(golive) * ms:.2f} ms  "
        f"p99 {p99(golive) * ms:.2f} ms"
    )
    print(
        f"ratio          median {statistics.median(golive) / statistics.median(bare):.2f}  "
        f"p99 {p99(golive) / p99(bare):.2f}  (target ≤ 1.2)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    asyncio.run(main(parser.parse_args().requests))
