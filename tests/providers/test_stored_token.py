"""Token renewal rules: one refresh per stale token; app tokens fetched when missing or expired."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from providers.base import Credentials
from providers.errors import AuthExpired
from providers.http import StoredToken


def issuer(lifetime: timedelta):
    issued: list[str] = []

    async def fetch(_: Credentials) -> Credentials:
        await asyncio.sleep(0.01)
        issued.append(f"app-{len(issued) + 1}")
        return Credentials(
            access_token=SecretStr(issued[-1]), expires_at=datetime.now(UTC) + lifetime
        )

    return fetch, issued


async def test_app_token_is_fetched_once_and_reused_until_it_expires() -> None:
    fetch, issued = issuer(timedelta(hours=1))
    token = StoredToken("zoom", Credentials(), fetch, renewable=True)
    first = await asyncio.gather(*(token.token() for _ in range(10)))
    assert set(first) == {"app-1"} and issued == ["app-1"]
    token.credentials.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    assert await token.token() == "app-2"


async def test_a_401_on_an_app_token_fetches_a_new_one_once() -> None:
    fetch, issued = issuer(timedelta(hours=1))
    token = StoredToken("zoom", Credentials(), fetch, renewable=True)
    stale = await token.token()
    fresh = await asyncio.gather(*(token.refresh(stale) for _ in range(5)))
    assert set(fresh) == {"app-2"} and len(issued) == 2


async def test_user_token_without_refresh_token_is_expired_not_renewed() -> None:
    fetch, issued = issuer(timedelta(hours=1))
    creds = Credentials(access_token=SecretStr("user"), expires_at=datetime.now(UTC))
    token = StoredToken("youtube", creds, fetch)
    with pytest.raises(AuthExpired):
        await token.token()
    assert issued == []
