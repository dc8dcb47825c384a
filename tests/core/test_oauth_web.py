"""OAuth through the real web app: PKCE against the emulator, single-use, expiring, bound state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import select, update

from bot.web import COOKIE, create_app
from storage.models import Connection, OAuthState


@pytest.fixture
async def web(services):
    server = TestServer(create_app(services), host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    async with httpx.AsyncClient(base_url=base, follow_redirects=False) as client:
        yield client
    await server.close()


def as_browser(web: httpx.AsyncClient, cookie: str | None) -> httpx.AsyncClient:
    """The client as the browser holding ``cookie`` (golive's OAuth cookie) and no other."""
    web.cookies.clear()
    if cookie is not None:
        web.cookies.set(COOKIE, cookie)
    return web


async def _start(services, web, user="U1"):
    link = await services.connections.begin("w", user, "youtube")
    path = urlsplit(link)
    response = await web.get(f"{path.path}?{path.query}")
    assert response.status_code == 302
    authorize = response.headers["location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"]
    assert "code_verifier" not in query
    # The emulator approves automatically and redirects back with a code.
    approved = await services.http.get(authorize)
    back = urlsplit(approved.headers["location"])
    return back, response.cookies.get(COOKIE)


async def test_connect_and_callback_store_encrypted_tokens(services, web):
    back, cookie = await _start(services, web)
    response = await as_browser(web, cookie).get(f"{back.path}?{back.query}")
    assert response.status_code == 200
    assert "connected" in response.text
    async with services.db.sessions() as session:
        row = (await session.execute(select(Connection))).scalar_one()
    assert row.status == "connected" and row.connected_by == "U1"
    assert "access_token" not in row.credentials_enc


async def test_replayed_state_is_rejected(services, web):
    back, cookie = await _start(services, web)
    first = await as_browser(web, cookie).get(f"{back.path}?{back.query}")
    assert first.status_code == 200
    again = await as_browser(web, cookie).get(f"{back.path}?{back.query}")
    assert again.status_code == 400
    assert "already used" in again.text


async def test_expired_state_is_rejected(services, web):
    back, cookie = await _start(services, web)
    async with services.db.transaction() as session:
        await session.execute(
            update(OAuthState).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    response = await as_browser(web, cookie).get(f"{back.path}?{back.query}")
    assert response.status_code == 400
    assert "expired" in response.text


async def test_wrong_state_and_other_browser_are_rejected(services, web):
    back, cookie = await _start(services, web)
    query = parse_qs(back.query)
    wrong = await as_browser(web, cookie).get(
        back.path, params={"state": "forged", "code": query["code"][0]}
    )
    assert wrong.status_code == 400 and "not valid" in wrong.text
    other = await as_browser(web, "another-browser").get(f"{back.path}?{back.query}")
    assert other.status_code == 400 and "different browser" in other.text
    async with services.db.sessions() as session:
        assert (await session.execute(select(Connection))).first() is None


async def test_platform_error_is_shown_as_a_page(services, web):
    response = await web.get(
        "/oauth/youtube/callback", params={"error": "access_denied", "state": "x"}
    )
    assert response.status_code == 400
    assert "access_denied" in response.text


async def test_healthz(services, web):
    response = await web.get("/healthz")
    assert response.json()["status"] == "ok"
