"""Starting and stopping the sandbox, and the shared fault switches."""

from __future__ import annotations

import httpx
import pytest

from providers.base import Endpoints
from providers.sandbox import EMULATORS, Sandbox, start_sandbox
from providers.sandbox.faults import Faults
from providers.sandbox.youtube import YouTubeEmulator


async def test_endpoints_clients_and_close() -> None:
    sandbox = await start_sandbox()
    async with sandbox:
        assert set(sandbox.emulators) == set(EMULATORS)
        endpoints = sandbox.endpoints["youtube"]
        assert isinstance(endpoints, Endpoints)
        base = sandbox.urls["youtube"]
        assert base.startswith("http://127.0.0.1:")
        assert endpoints.api_url == base + "/youtube/v3"
        assert endpoints.auth_url == base + "/o/oauth2/v2/auth"
        assert endpoints.token_url == base + "/token"
        client_id, client_secret = sandbox.clients["youtube"]
        assert client_id.endswith(".apps.googleusercontent.com")
        assert client_secret not in repr(sandbox)
        async with httpx.AsyncClient() as client:
            response = await client.get(endpoints.api_url + "/videos", params={"part": "id"})
        assert response.status_code == 401
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(endpoints.api_url + "/videos")


async def test_unknown_platform_is_refused() -> None:
    with pytest.raises(ValueError, match="nosuchplatform"):
        await start_sandbox(["youtube", "nosuchplatform"])


async def test_each_sandbox_has_its_own_state(sandbox: Sandbox) -> None:
    async with await start_sandbox(["youtube"]) as other:
        assert other.clients["youtube"] != sandbox.clients["youtube"]
        assert other.urls["youtube"] != sandbox.urls["youtube"]


def test_faults_defaults_and_switches() -> None:
    faults = Faults(seed=1)
    assert not faults.take_error() and not faults.take_rate_limit()
    faults.rate_limit_next = 2
    assert [faults.take_rate_limit() for _ in range(3)] == [True, True, False]
    faults.fail_next = 1
    assert [faults.take_error() for _ in range(2)] == [True, False]
    faults.hold = 0.5
    assert faults.latency == 0.5
    faults.error_rate = 1.0
    assert faults.take_error()
    faults.reset()
    assert faults == Faults(seed=1)


def test_emulators_share_one_faults_object_with_their_oauth_server() -> None:
    emulator = YouTubeEmulator()
    assert emulator.oauth.faults is emulator.faults
    assert emulator.client_secret not in repr(emulator)
