"""The sandbox OAuth server against the real OAuthFlow (authlib) and hand-made requests."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pydantic import SecretStr

from providers.base import PlatformConfig
from providers.errors import AuthExpired, InvalidRequest
from providers.oauth import OAuthFlow, new_code_verifier, new_state
from providers.sandbox import Sandbox
from providers.sandbox.oauth import s256
from providers.sandbox.youtube import YouTubeEmulator
from providers.youtube import YouTube

REDIRECT_URI = "http://127.0.0.1:8765/oauth/youtube/callback"


def auth_url(sandbox: Sandbox) -> str:
    url = sandbox.endpoints["youtube"].auth_url
    assert url is not None
    return url


def token_url(sandbox: Sandbox) -> str:
    url = sandbox.endpoints["youtube"].token_url
    assert url is not None
    return url


def query(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def authorize(flow: OAuthFlow, verifier: str, state: str = "s-1") -> dict[str, str]:
    url = flow.authorize_url(state=state, code_verifier=verifier, redirect_uri=REDIRECT_URI)
    async with httpx.AsyncClient() as client:
        response = await client.get(url)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    return query(location)


def auth_params(emulator: YouTubeEmulator, **overrides: str | None) -> dict[str, str]:
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": emulator.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": YouTube.scopes[0],
        "state": "xyz",
        "code_challenge": s256("v" * 50),
        "code_challenge_method": "S256",
        "access_type": "offline",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


async def test_full_code_flow_with_pkce(
    config: PlatformConfig, sandbox: Sandbox, emulator: YouTubeEmulator
) -> None:
    flow = OAuthFlow(YouTube, config)
    verifier, state = new_code_verifier(), new_state()
    result = await authorize(flow, verifier, state)
    assert result["state"] == state
    assert result["scope"] == YouTube.scopes[0]
    credentials = await flow.exchange(
        code=result["code"], code_verifier=verifier, redirect_uri=REDIRECT_URI
    )
    assert credentials.access_token is not None
    assert credentials.access_token.get_secret_value().startswith("ya29.")
    assert credentials.refresh_token is not None
    assert credentials.scopes == YouTube.scopes
    assert credentials.expires_at is not None
    assert emulator.oauth.grants["authorization_code"] == 1

    token = credentials.access_token.get_secret_value()
    async with httpx.AsyncClient() as client:
        listed = await client.get(
            sandbox.endpoints["youtube"].api_url + "/liveBroadcasts",
            params={"part": "id", "mine": "true"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert listed.status_code == 200
    assert listed.json()["kind"] == "youtube#liveBroadcastListResponse"


async def test_authorize_url_carries_google_params(config: PlatformConfig) -> None:
    url = OAuthFlow(YouTube, config).authorize_url(
        state="s", code_verifier=new_code_verifier(), redirect_uri=REDIRECT_URI
    )
    params = query(url)
    assert params["access_type"] == "offline"
    assert params["prompt"] == "consent"
    assert params["code_challenge_method"] == "S256"


async def test_wrong_verifier_rejected(config: PlatformConfig) -> None:
    flow = OAuthFlow(YouTube, config)
    result = await authorize(flow, new_code_verifier())
    with pytest.raises(InvalidRequest) as caught:
        await flow.exchange(
            code=result["code"], code_verifier=new_code_verifier(), redirect_uri=REDIRECT_URI
        )
    assert caught.value.code == "invalid_grant"


async def test_code_reuse_rejected_and_revokes_first_tokens(
    config: PlatformConfig, emulator: YouTubeEmulator
) -> None:
    flow = OAuthFlow(YouTube, config)
    verifier = new_code_verifier()
    result = await authorize(flow, verifier)
    first = await flow.exchange(
        code=result["code"], code_verifier=verifier, redirect_uri=REDIRECT_URI
    )
    with pytest.raises(InvalidRequest) as caught:
        await flow.exchange(code=result["code"], code_verifier=verifier, redirect_uri=REDIRECT_URI)
    assert caught.value.code == "invalid_grant"
    assert first.access_token is not None
    record = emulator.oauth.access_tokens[first.access_token.get_secret_value()]
    assert record.revoked
    with pytest.raises(AuthExpired):
        await flow.refresh(first)


async def test_redirect_uri_must_match_at_exchange(config: PlatformConfig) -> None:
    flow = OAuthFlow(YouTube, config)
    verifier = new_code_verifier()
    result = await authorize(flow, verifier)
    with pytest.raises(InvalidRequest) as caught:
        await flow.exchange(
            code=result["code"],
            code_verifier=verifier,
            redirect_uri="http://127.0.0.1:8765/elsewhere",
        )
    assert caught.value.code == "invalid_grant"


async def test_expired_code_rejected(config: PlatformConfig, emulator: YouTubeEmulator) -> None:
    flow = OAuthFlow(YouTube, config)
    verifier = new_code_verifier()
    result = await authorize(flow, verifier)
    emulator.oauth.codes[result["code"]].expires_at = 0
    with pytest.raises(InvalidRequest, match="expired"):
        await flow.exchange(code=result["code"], code_verifier=verifier, redirect_uri=REDIRECT_URI)


async def test_refresh_keeps_refresh_token_and_refuse_refresh(
    config: PlatformConfig, emulator: YouTubeEmulator
) -> None:
    flow = OAuthFlow(YouTube, config)
    verifier = new_code_verifier()
    result = await authorize(flow, verifier)
    credentials = await flow.exchange(
        code=result["code"], code_verifier=verifier, redirect_uri=REDIRECT_URI
    )
    fresh = await flow.refresh(credentials)
    assert fresh.access_token != credentials.access_token
    assert fresh.refresh_token == credentials.refresh_token  # Google does not rotate
    emulator.faults.refuse_refresh = True
    with pytest.raises(AuthExpired) as caught:
        await flow.refresh(fresh)
    assert caught.value.code == "invalid_grant"


async def test_rotating_refresh_tokens_invalidate_the_old_one(
    config: PlatformConfig, emulator: YouTubeEmulator
) -> None:
    emulator.oauth.rotate_refresh_tokens = True
    flow = OAuthFlow(YouTube, config)
    verifier = new_code_verifier()
    result = await authorize(flow, verifier)
    first = await flow.exchange(
        code=result["code"], code_verifier=verifier, redirect_uri=REDIRECT_URI
    )
    second = await flow.refresh(first)
    assert second.refresh_token != first.refresh_token
    with pytest.raises(AuthExpired):
        await flow.refresh(first)


async def test_no_refresh_token_without_offline_access(
    sandbox: Sandbox, emulator: YouTubeEmulator
) -> None:
    verifier = "v" * 50
    async with httpx.AsyncClient() as client:
        auth = await client.get(
            auth_url(sandbox),
            params=auth_params(emulator, access_type=None, code_challenge=s256(verifier)),
        )
        code = query(auth.headers["Location"])["code"]
        token = await client.post(
            token_url(sandbox),
            data={
                "grant_type": "authorization_code",
                "code": code,
                "code_verifier": verifier,
                "redirect_uri": REDIRECT_URI,
            },
            auth=(emulator.client_id, emulator.client_secret),  # HTTP Basic
        )
    assert token.status_code == 200
    body = token.json()
    assert "refresh_token" not in body
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert token.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"code_challenge": "short"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": None}, "invalid_request"),
        ({"scope": "https://www.googleapis.com/auth/drive"}, "invalid_scope"),
        ({"scope": None}, "invalid_request"),
    ],
)
async def test_authorize_errors_redirect_with_state(
    sandbox: Sandbox,
    emulator: YouTubeEmulator,
    overrides: dict[str, str | None],
    error: str,
) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.get(auth_url(sandbox), params=auth_params(emulator, **overrides))
    assert response.status_code == 302
    result = query(response.headers["Location"])
    assert result["error"] == error
    assert result["state"] == "xyz"
    assert "code" not in result


@pytest.mark.parametrize(
    "overrides",
    [
        {"redirect_uri": "https://evil.example/callback"},
        {"redirect_uri": "http://127.0.0.1:8765/cb#fragment"},
        {"redirect_uri": None},
        {"client_id": "someone-else.apps.googleusercontent.com"},
        {"client_id": None},
    ],
)
async def test_authorize_never_redirects_to_an_untrusted_uri(
    sandbox: Sandbox, emulator: YouTubeEmulator, overrides: dict[str, str | None]
) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.get(auth_url(sandbox), params=auth_params(emulator, **overrides))
    assert response.status_code in (400, 401)
    assert "Location" not in response.headers
    assert response.headers["Content-Type"].startswith("text/html")


async def test_localhost_redirects_accepted_for_the_sandbox_client(
    sandbox: Sandbox, emulator: YouTubeEmulator
) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.get(
            auth_url(sandbox),
            params=auth_params(emulator, redirect_uri="http://localhost:3000/cb?keep=1"),
        )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("http://localhost:3000/cb?keep=1&")
    assert "code" in query(location)


async def test_token_endpoint_client_authentication(
    sandbox: Sandbox, emulator: YouTubeEmulator
) -> None:
    url = token_url(sandbox)
    refresh = emulator.oauth.issue_tokens(emulator.client_id)["refresh_token"]
    grant = {"grant_type": "refresh_token", "refresh_token": refresh}
    async with httpx.AsyncClient() as client:
        wrong = await client.post(
            url, data={**grant, "client_id": emulator.client_id, "client_secret": "nope"}
        )
        assert wrong.status_code == 401
        assert wrong.json()["error"] == "invalid_client"
        assert "WWW-Authenticate" in wrong.headers

        both = await client.post(
            url,
            data={**grant, "client_secret": emulator.client_secret},
            auth=(emulator.client_id, emulator.client_secret),
        )
        assert both.status_code == 400
        assert both.json()["error"] == "invalid_request"

        as_json = await client.post(
            url, json={**grant, "client_id": emulator.client_id, "client_secret": "x"}
        )
        assert as_json.status_code == 400
        assert as_json.json()["error"] == "invalid_request"

        basic = base64.b64encode(f"{emulator.client_id}:{emulator.client_secret}".encode())
        ok = await client.post(
            url, data=grant, headers={"Authorization": f"Basic {basic.decode()}"}
        )
        assert ok.status_code == 200, ok.text
        assert set(ok.json()) == {"access_token", "expires_in", "token_type", "scope"}

        unknown = await client.post(
            url,
            data={
                "grant_type": "password",
                "client_id": emulator.client_id,
                "client_secret": emulator.client_secret,
            },
        )
        assert unknown.status_code == 400
        assert unknown.json()["error"] == "unsupported_grant_type"

        bad_refresh = await client.post(
            url,
            data={
                "grant_type": "refresh_token",
                "refresh_token": "1//not-a-token",
                "client_id": emulator.client_id,
                "client_secret": emulator.client_secret,
            },
        )
        assert bad_refresh.status_code == 400
        assert bad_refresh.json() == {
            "error": "invalid_grant",
            "error_description": "Token has been expired or revoked.",
        }


async def test_expired_access_tokens_fail_check_bearer(
    config: PlatformConfig, emulator: YouTubeEmulator, raw: httpx.AsyncClient
) -> None:
    token = emulator.oauth.issue_tokens(emulator.client_id)["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    params = {"part": "id", "mine": "true"}
    assert (await raw.get("liveBroadcasts", params=params, headers=headers)).status_code == 200
    emulator.oauth.expire_access_tokens()
    expired = await raw.get("liveBroadcasts", params=params, headers=headers)
    assert expired.status_code == 401
    assert 'error="invalid_token"' in expired.headers["WWW-Authenticate"]


async def test_public_client_secret_is_optional(
    sandbox: Sandbox, emulator: YouTubeEmulator
) -> None:
    emulator.oauth.register_client("public-client", None, allow_loopback=True)
    config = PlatformConfig(endpoints=sandbox.endpoints["youtube"], client_id="public-client")
    flow = OAuthFlow(YouTube, config)
    verifier = new_code_verifier()
    result = await authorize(flow, verifier)
    credentials = await flow.exchange(
        code=result["code"], code_verifier=verifier, redirect_uri=REDIRECT_URI
    )
    assert credentials.access_token is not None
    wrong = PlatformConfig(
        endpoints=config.endpoints, client_id="public-client", client_secret=SecretStr("x")
    )
    with pytest.raises(AuthExpired):
        await OAuthFlow(YouTube, wrong).refresh(credentials)
