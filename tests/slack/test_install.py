"""Multi-workspace mode: OAuth install into golive's database, each team its own workspace."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from bot.adapters.slack.app import SlackAdapter
from bot.services.context import Services
from bot.web import create_app
from storage.models import SlackInstallation
from tests.conftest import make_settings
from tests.slack import signing
from tests.slack.conftest import Harness, serve
from tests.slack.fake_api import FakeSlack


@pytest.fixture
async def multi(tmp_path: Path) -> AsyncIterator[Harness]:
    fake = FakeSlack(tokens=set(), users={"UADMIN": {"is_admin": True}})
    fake_runner, fake_url = await serve(fake.app())
    fake.base_url = fake_url
    settings = make_settings(
        tmp_path,
        f"sqlite+aiosqlite:///{tmp_path / 'golive.db'}",
        slack_client_id="111.222",
        slack_client_secret="client-secret",
        slack_signing_secret=signing.SECRET,
        slack_api_url=f"{fake_url}/api",
    )
    services = await Services.start(settings, sandbox=True)
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


async def install(h: Harness, code: str) -> None:
    page = await h.http.get(f"{h.url}/slack/install", allow_redirects=False)
    html = await page.text()
    state = re.search(r"state=([A-Za-z0-9_\-]+)", html).group(1)
    cookie = page.headers["Set-Cookie"].split(";")[0]
    done = await h.http.get(
        f"{h.url}/slack/oauth_redirect",
        params={"code": code, "state": state},
        headers={"Cookie": cookie},
        allow_redirects=False,
    )
    assert done.status == 200, await done.text()


async def test_install_stores_encrypted_tokens_and_separates_workspaces(multi: Harness):
    await install(multi, "code1")
    await install(multi, "code2")
    async with multi.services.db.sessions() as session:
        rows = (await session.execute(select(SlackInstallation))).scalars().all()
    assert sorted(r.team_id for r in rows) == ["T1", "T2"]
    assert all("xoxb-" not in r.bot_token_enc for r in rows)

    body = signing.command_body(
        "/meet",
        '"Only in two" on jitsi',
        user="UADMIN",
        response_url=f"{multi.fake.base_url}/response/1",
        team_id="T2",
    )
    assert (await multi.send(body)).status == 200
    await multi.adapter.drain()
    assert [m.title for m in await multi.services.meetings.list("T2")] == ["Only in two"]
    assert await multi.services.meetings.list("T1") == []
    assert await multi.services.meetings.list("local") == []
    # golive spoke to Slack as team two's bot
    assert multi.fake.of("chat.postMessage")[0]["channel"] == "C1"


async def test_unknown_workspace_changes_nothing(multi: Harness):
    body = signing.command_body(
        "/meet",
        '"X" on jitsi',
        user="UADMIN",
        response_url=f"{multi.fake.base_url}/response/1",
        team_id="T9",
    )
    response = await multi.send(body)
    await multi.adapter.drain()
    assert response.status == 200  # Bolt answers with its "not installed" message
    assert await multi.services.meetings.list("T9") == []
