"""The real Zoom provider over real HTTP against the Zoom emulator."""

from __future__ import annotations

import base64
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pydantic import SecretStr

from providers import provider_class
from providers.base import (
    AuthStyle,
    Capability,
    Credentials,
    MeetingHandle,
    MeetingProvider,
    MeetingRequest,
    PlatformConfig,
)
from providers.errors import AuthExpired, InvalidRequest, RateLimited, Unavailable
from providers.http import PlatformHttp, RetryPolicy, StoredToken
from providers.oauth import OAuthFlow, new_code_verifier, new_state
from providers.sandbox import Sandbox, start_sandbox
from providers.sandbox.zoom import ZoomEmulator
from providers.zoom import Zoom

START = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
EVERY_SETTING = {
    "waiting_room": "false",
    "join_before_host": "true",
    "passcode": "Sync@2026",
    "auto_recording": "local",
    "agenda": "Roadmap and questions",
}
NO_RETRY = RetryPolicy(attempts=1)
QUICK_RETRY = RetryPolicy(attempts=3, initial_wait=0.01, max_wait=2.0)


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with await start_sandbox(["zoom"]) as running:
        yield running


@pytest.fixture
def emulator(sandbox: Sandbox) -> ZoomEmulator:
    emulator = sandbox.emulators["zoom"]
    assert isinstance(emulator, ZoomEmulator)
    return emulator


@pytest.fixture
def config(sandbox: Sandbox) -> PlatformConfig:
    """Server-to-Server: the sandbox hands out the emulator's account id as an option."""
    client_id, client_secret = sandbox.clients["zoom"]
    return PlatformConfig(
        endpoints=sandbox.endpoints["zoom"],
        client_id=client_id,
        client_secret=SecretStr(client_secret),
        options=dict(sandbox.options["zoom"]),
    )


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as shared:
        yield shared


Make = Callable[..., Awaitable[tuple[Zoom, StoredToken]]]


@pytest.fixture
def make(config: PlatformConfig, client: httpx.AsyncClient) -> Make:
    """A provider wired the way the connections service wires client-credentials platforms."""

    async def build(
        retry: RetryPolicy = QUICK_RETRY,
        cfg: PlatformConfig = config,
    ) -> tuple[Zoom, StoredToken]:
        async def fetch(_: Credentials) -> Credentials:
            return await Zoom.app_token(cfg, client)

        token = StoredToken("zoom", Credentials(), fetch, renewable=True)
        http = PlatformHttp(
            "zoom",
            cfg.endpoints.api_url,
            client=client,
            token=token,
            parse_error=Zoom.parse_error,
            retry=retry,
        )
        return Zoom(cfg, http), token

    return build


@pytest.fixture
async def zoom(make: Make) -> Zoom:
    return (await make())[0]


def bearer(emulator: ZoomEmulator, scopes: tuple[str, ...] | None = None) -> dict[str, str]:
    issued = emulator.oauth.issue_tokens(emulator.client_id, scopes, refresh=False)
    return {"Authorization": f"Bearer {issued['access_token']}"}


# -- declaration -------------------------------------------------------------------------------


def test_declaration_and_registry() -> None:
    assert provider_class("zoom") is Zoom
    assert Zoom.default_endpoints.api_url == "https://api.zoom.us/v2"
    assert Zoom.default_endpoints.auth_url == "https://zoom.us/oauth/authorize"
    assert Zoom.default_endpoints.token_url == "https://zoom.us/oauth/token"
    assert Zoom.option_names == ("account_id",)
    assert Zoom.link_domains == ("zoom.us",)
    assert "meeting:write:meeting" in Zoom.scopes
    for capability in (
        Capability.CREATE_MEETING,
        Capability.UPDATE_MEETING,
        Capability.DELETE_MEETING,
        Capability.RECORDING,
    ):
        assert capability in Zoom.capabilities
    endpoints = Zoom.default_endpoints
    assert Zoom.auth_style_for(PlatformConfig(endpoints)) is AuthStyle.OAUTH_PKCE
    s2s = PlatformConfig(endpoints, options={"account_id": "abc"})
    assert Zoom.auth_style_for(s2s) is AuthStyle.CLIENT_CREDENTIALS


async def test_implements_the_protocol(zoom: Zoom) -> None:
    assert isinstance(zoom, MeetingProvider)


# -- Server-to-Server token ----------------------------------------------------------------------


async def test_app_token_is_fetched_once_and_reused(
    make: Make, emulator: ZoomEmulator, config: PlatformConfig, client: httpx.AsyncClient
) -> None:
    zoom, token = await make()
    for _ in range(3):
        await zoom.create_meeting(MeetingRequest(title="Sync", start=START))
    assert emulator.app_grants == 1
    assert token.refresh_count == 1
    expires = token.credentials.expires_at
    assert expires is not None
    assert timedelta(minutes=59) < expires - datetime.now(UTC) <= timedelta(hours=1)
    assert "meeting:write:meeting:admin" in token.credentials.scopes

    fresh = await Zoom.app_token(config, client)
    assert fresh.refresh_token is None  # Server-to-Server has no refresh token
    assert emulator.app_grants == 2


async def test_app_token_is_fetched_again_after_a_401(make: Make, emulator: ZoomEmulator) -> None:
    zoom, token = await make()
    await zoom.create_meeting(MeetingRequest(title="Sync", start=START))
    emulator.oauth.expire_access_tokens()  # the server says no before our expiry says so
    await zoom.create_meeting(MeetingRequest(title="Sync again", start=START))
    assert emulator.app_grants == 2
    assert token.refresh_count == 2
    assert len(emulator.meetings) == 2


async def test_app_token_expired_locally_is_fetched_again(
    make: Make, emulator: ZoomEmulator
) -> None:
    zoom, token = await make()
    await zoom.create_meeting(MeetingRequest(title="Sync", start=START))
    token.credentials.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    await zoom.create_meeting(MeetingRequest(title="Sync", start=START))
    assert emulator.app_grants == 2
    assert emulator.requests["create"] == 2  # no wasted 401 round trip


async def test_app_token_refusals(
    config: PlatformConfig, client: httpx.AsyncClient, emulator: ZoomEmulator
) -> None:
    wrong_secret = PlatformConfig(
        config.endpoints, config.client_id, SecretStr("nope"), dict(config.options)
    )
    with pytest.raises(AuthExpired) as caught:
        await Zoom.app_token(wrong_secret, client)
    assert caught.value.code == "invalid_client"
    assert "nope" not in str(caught.value)

    wrong_account = PlatformConfig(
        config.endpoints, config.client_id, config.client_secret, {"account_id": "other"}
    )
    with pytest.raises(InvalidRequest) as refused:
        await Zoom.app_token(wrong_account, client)
    assert "Invalid account_id" in refused.value.message
    assert emulator.app_grants == 0


async def test_emulator_token_endpoint_demands_basic_auth(
    config: PlatformConfig, emulator: ZoomEmulator, client: httpx.AsyncClient
) -> None:
    assert config.endpoints.token_url is not None
    form = {
        "grant_type": "account_credentials",
        "account_id": emulator.account_id,
        "client_id": emulator.client_id,
        "client_secret": emulator.client_secret,
    }
    response = await client.post(config.endpoints.token_url, data=form)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    basic = base64.b64encode(f"{emulator.client_id}:{emulator.client_secret}".encode()).decode()
    ok = await client.post(
        config.endpoints.token_url,
        data={"grant_type": "account_credentials", "account_id": emulator.account_id},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert ok.status_code == 200
    body = ok.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    assert "refresh_token" not in body


# -- user OAuth ----------------------------------------------------------------------------------


async def test_user_oauth_with_pkce(
    config: PlatformConfig, emulator: ZoomEmulator, client: httpx.AsyncClient
) -> None:
    user = PlatformConfig(config.endpoints, config.client_id, config.client_secret, {})
    assert Zoom.auth_style_for(user) is AuthStyle.OAUTH_PKCE
    flow = OAuthFlow(Zoom, user)
    redirect = "http://127.0.0.1:3000/oauth/zoom/callback"
    state, verifier = new_state(), new_code_verifier()
    url = flow.authorize_url(state=state, code_verifier=verifier, redirect_uri=redirect)
    assert "code_challenge_method=S256" in url
    answer = await client.get(url)
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query["state"] == [state]
    with pytest.raises(InvalidRequest):  # a different verifier is refused
        await flow.exchange(
            code=query["code"][0], code_verifier=new_code_verifier(), redirect_uri=redirect
        )

    answer = await client.get(
        flow.authorize_url(state=state, code_verifier=verifier, redirect_uri=redirect)
    )
    code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    credentials = await flow.exchange(code=code, code_verifier=verifier, redirect_uri=redirect)
    assert credentials.refresh_token is not None
    token = StoredToken("zoom", credentials, flow.refresh)
    http = PlatformHttp("zoom", user.endpoints.api_url, client=client, token=token)
    zoom = Zoom(user, http)
    handle = await zoom.create_meeting(MeetingRequest(title="User meeting", start=START))
    assert handle.remote_id.isdigit()

    old_refresh = credentials.refresh_token.get_secret_value()
    emulator.oauth.expire_access_tokens()
    await zoom.update_meeting(handle, MeetingRequest(title="Renamed", start=START))
    assert token.refresh_count == 1
    fresh = token.credentials.refresh_token
    assert fresh is not None and fresh.get_secret_value() != old_refresh  # Zoom rotates them
    assert emulator.app_grants == 0


async def test_authorize_without_pkce_is_refused(
    config: PlatformConfig, emulator: ZoomEmulator, client: httpx.AsyncClient
) -> None:
    assert config.endpoints.auth_url is not None
    answer = await client.get(
        config.endpoints.auth_url,
        params={
            "response_type": "code",
            "client_id": emulator.client_id,
            "redirect_uri": "http://127.0.0.1:3000/oauth/zoom/callback",
            "scope": "meeting:write:meeting",
        },
    )
    assert answer.status_code == 302
    assert parse_qs(urlsplit(answer.headers["location"]).query)["error"] == ["invalid_request"]


# -- meetings ------------------------------------------------------------------------------------


async def test_create_with_every_setting(zoom: Zoom, emulator: ZoomEmulator) -> None:
    request = MeetingRequest(
        title="Quarterly sync",
        start=START,
        duration_minutes=45,
        timezone="Europe/Berlin",
        record=True,
        settings=EVERY_SETTING,
    )
    handle = await zoom.create_meeting(request)
    meeting = emulator.meetings[int(handle.remote_id)]
    assert meeting.topic == "Quarterly sync"
    assert meeting.type == 2
    assert meeting.start_time == "2026-12-01T17:00:00Z"
    assert meeting.duration == 45
    assert meeting.timezone == "Europe/Berlin"
    assert meeting.agenda == "Roadmap and questions"
    assert meeting.password == "Sync@2026"
    assert meeting.settings["waiting_room"] is False
    assert meeting.settings["join_before_host"] is True
    assert meeting.settings["auto_recording"] == "local"  # record, but the settings say local
    assert handle.join_url == meeting.join_url
    assert urlsplit(handle.join_url).hostname == "us05web.zoom.us"
    assert handle.host_url is not None
    assert handle.host_url.get_secret_value() == meeting.start_url
    assert handle.passcode is not None and handle.passcode.get_secret_value() == "Sync@2026"
    assert handle.data["auto_recording"] == "local"
    assert meeting.start_url not in repr(handle)
    assert "Sync@2026" not in repr(handle)


async def test_record_means_cloud(zoom: Zoom, emulator: ZoomEmulator) -> None:
    handle = await zoom.create_meeting(MeetingRequest(title="Rec", start=START, record=True))
    assert emulator.meetings[int(handle.remote_id)].settings["auto_recording"] == "cloud"
    plain = await zoom.create_meeting(MeetingRequest(title="No rec", start=START))
    assert emulator.meetings[int(plain.remote_id)].settings["auto_recording"] == "none"
    assert plain.passcode is not None  # Zoom generated one


async def test_instant_meeting_without_a_start(zoom: Zoom, emulator: ZoomEmulator) -> None:
    handle = await zoom.create_meeting(MeetingRequest(title="Now"))
    assert emulator.meetings[int(handle.remote_id)].type == 1


async def test_update_time_and_topic(zoom: Zoom, emulator: ZoomEmulator) -> None:
    handle = await zoom.create_meeting(MeetingRequest(title="Sync", start=START))
    later = START + timedelta(days=1, hours=2)
    fresh = await zoom.update_meeting(
        handle, MeetingRequest(title="Sync (moved)", start=later, duration_minutes=90)
    )
    meeting = emulator.meetings[int(handle.remote_id)]
    assert meeting.topic == "Sync (moved)"
    assert meeting.start_time == "2026-12-02T19:00:00Z"
    assert meeting.duration == 90
    assert fresh.remote_id == handle.remote_id
    assert fresh.join_url == meeting.join_url
    assert emulator.requests["update"] == 1 and emulator.requests["get"] == 1


async def test_delete_twice_is_fine(zoom: Zoom, emulator: ZoomEmulator) -> None:
    handle = await zoom.create_meeting(MeetingRequest(title="Sync", start=START))
    await zoom.delete_meeting(handle)
    assert int(handle.remote_id) not in emulator.meetings
    await zoom.delete_meeting(handle)  # 404 code 3001: already gone
    assert emulator.requests["delete"] == 2
    with pytest.raises(InvalidRequest) as caught:
        await zoom.update_meeting(handle, MeetingRequest(title="Gone", start=START))
    assert caught.value.code == "3001" and caught.value.status == 404


# -- strictness ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"passcode": "far-too-long-1"}, "1 to 10 characters"),
        ({"passcode": "pass word"}, "1 to 10 characters"),
        ({"auto_recording": "youtube"}, "cloud, local, none"),
        ({"waiting_room": "maybe"}, "true or false"),
        ({"lobby_bypass": "true"}, "no setting lobby_bypass"),
    ],
)
def test_check_settings_refuses(settings: dict[str, str], words: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        Zoom.check_settings(settings)
    assert words in caught.value.message


def test_check_settings_accepts_every_setting() -> None:
    Zoom.check_settings(EVERY_SETTING)
    Zoom.check_settings({})


async def test_bad_settings_never_reach_zoom(zoom: Zoom, emulator: ZoomEmulator) -> None:
    with pytest.raises(InvalidRequest):
        await zoom.create_meeting(
            MeetingRequest(title="x", start=START, settings={"passcode": "x" * 11})
        )
    assert emulator.requests["create"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"topic": "x", "type": 2, "start_time": "2026-12-01T17:00:00Z", "password": "a b"},
         "password"),
        ({"topic": "x", "type": 2, "start_time": "2026-12-01T17:00:00Z", "password": "a" * 11},
         "password"),
        ({"topic": "x", "type": 2, "start_time": "2026-12-01T17:00:00Z",
          "settings": {"auto_recording": "youtube"}}, "settings.auto_recording"),
        ({"topic": "x", "type": 2, "start_time": "2026-12-01T17:00:00Z",
          "settings": {"waiting_room": "true"}}, "settings.waiting_room"),
        ({"topic": "x" * 201, "type": 1}, "topic"),
        ({"topic": "x", "type": 4}, "type"),
        ({"topic": "x", "type": 2, "start_time": "01.12.2026 17:00"}, "start_time"),
        ({"topic": "x", "type": 2}, "start_time"),
        ({"topic": "x", "type": 2, "start_time": "2026-12-01T17:00:00",
          "timezone": "Mars/Olympus"}, "timezone"),
        ({"topic": "x", "type": 2, "start_time": "2026-12-01T17:00:00Z", "duration": "30"},
         "duration"),
    ],
)  # fmt: skip
async def test_emulator_validates_like_zoom(
    sandbox: Sandbox, emulator: ZoomEmulator, client: httpx.AsyncClient, body: dict, field: str
) -> None:
    url = sandbox.endpoints["zoom"].api_url + "/users/me/meetings"
    answer = await client.post(url, json=body, headers=bearer(emulator))
    assert answer.status_code == 400
    error = answer.json()
    assert error["code"] == 300 and error["message"] == "Validation Failed."
    assert {"field": field, "message": "Invalid field."} in error["errors"]
    assert emulator.meetings == {}


async def test_emulator_refuses_missing_or_wrong_auth(
    sandbox: Sandbox, emulator: ZoomEmulator, client: httpx.AsyncClient
) -> None:
    url = sandbox.endpoints["zoom"].api_url + "/users/me/meetings"
    body = {"topic": "x", "type": 1}
    for headers in ({}, {"Authorization": "Bearer made-up"}):
        answer = await client.post(url, json=body, headers=headers)
        assert answer.status_code == 401
        assert answer.json() == {"code": 124, "message": "Invalid access token."}
    token = bearer(emulator)["Authorization"].split()[1]
    answer = await client.post(url, json=body, params={"access_token": token})
    assert answer.status_code == 401  # Zoom reads the Authorization header only
    answer = await client.post(url, json=body, headers=bearer(emulator, ("meeting:read:meeting",)))
    assert answer.status_code == 400 and answer.json()["code"] == 4711
    answer = await client.post(
        sandbox.endpoints["zoom"].api_url + "/users/nobody/meetings",
        json=body,
        headers=bearer(emulator),
    )
    assert answer.status_code == 404 and answer.json()["code"] == 1001
    answer = await client.post(url, content=b"not json", headers=bearer(emulator))
    assert answer.status_code == 400 and answer.json()["code"] == 300


async def test_emulator_daily_write_limit(
    sandbox: Sandbox, emulator: ZoomEmulator, client: httpx.AsyncClient
) -> None:
    url = sandbox.endpoints["zoom"].api_url + "/users/me/meetings"
    headers = bearer(emulator)
    emulator._writes[(emulator.user_id, datetime.now(UTC).date().isoformat())] = 100
    answer = await client.post(url, json={"topic": "x", "type": 1}, headers=headers)
    assert answer.status_code == 429
    assert int(answer.headers["Retry-After"]) > 0
    assert "daily rate limit" in answer.json()["message"]


async def test_emulator_list_meetings(
    zoom: Zoom, sandbox: Sandbox, emulator: ZoomEmulator, client: httpx.AsyncClient
) -> None:
    await zoom.create_meeting(MeetingRequest(title="One", start=START))
    answer = await client.get(
        sandbox.endpoints["zoom"].api_url + "/users/me/meetings", headers=bearer(emulator)
    )
    listing = answer.json()
    assert listing["total_records"] == 1
    assert "start_url" not in listing["meetings"][0]


# -- error mapping -------------------------------------------------------------------------------


async def test_401_maps_to_auth_expired(make: Make, emulator: ZoomEmulator) -> None:
    zoom, _ = await make()
    emulator.faults.expire_tokens = True
    with pytest.raises(AuthExpired) as caught:
        await zoom.create_meeting(MeetingRequest(title="x", start=START))
    assert caught.value.code == "124"
    assert emulator.app_grants == 2  # one fresh token was tried before giving up


async def test_429_maps_to_rate_limited_with_retry_after(
    make: Make, emulator: ZoomEmulator
) -> None:
    zoom, _ = await make(retry=NO_RETRY)
    emulator.faults.rate_limit_next = 1
    with pytest.raises(RateLimited) as caught:
        await zoom.create_meeting(MeetingRequest(title="x", start=START))
    assert caught.value.retry_after == 1.0
    assert caught.value.status == 429


async def test_429_is_retried_after_the_pause(make: Make, emulator: ZoomEmulator) -> None:
    zoom, _ = await make()
    emulator.faults.rate_limit_next = 1
    handle = await zoom.create_meeting(MeetingRequest(title="x", start=START))
    assert int(handle.remote_id) in emulator.meetings
    assert emulator.requests["create"] == 2


async def test_500_maps_to_unavailable(make: Make, emulator: ZoomEmulator) -> None:
    zoom, _ = await make(retry=NO_RETRY)
    emulator.faults.fail_next = 1
    with pytest.raises(Unavailable):
        await zoom.create_meeting(MeetingRequest(title="x", start=START))
    zoom, _ = await make()
    emulator.faults.fail_next = 1
    await zoom.create_meeting(MeetingRequest(title="x", start=START))  # retried


def test_parse_error_shapes() -> None:
    def parse(status: int, body: object, **kw: str) -> object:
        response = httpx.Response(status, json=body, headers=kw)
        return Zoom.parse_error(response)

    info = parse(401, {"code": 124, "message": "Invalid access token."})
    assert info.kind is AuthExpired and info.code == "124"  # type: ignore[attr-defined]
    info = parse(400, {"code": 124, "message": "Invalid access token."})
    assert info.kind is AuthExpired  # type: ignore[attr-defined]
    info = parse(
        400,
        {"code": 300, "message": "Validation Failed.", "errors": [{"field": "password",
                                                                   "message": "Invalid field."}]},
    )  # fmt: skip
    assert info.kind is None and info.code == "300"  # type: ignore[attr-defined]
    assert "password: Invalid field." in info.message  # type: ignore[attr-defined]
    assert parse(429, {"code": 429, "message": "slow"}).kind is RateLimited  # type: ignore[attr-defined]
    assert parse(503, {"code": 0, "message": "down"}).kind is Unavailable  # type: ignore[attr-defined]
    html = Zoom.parse_error(httpx.Response(502, text="<html>bad gateway</html>"))
    assert html.message.startswith("HTTP 502")


# -- secrets -------------------------------------------------------------------------------------


async def test_host_link_never_in_repr_or_logs(
    zoom: Zoom, emulator: ZoomEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    handle = await zoom.create_meeting(
        MeetingRequest(title="Secret", start=START, settings={"passcode": "Pa55-word"})
    )
    await zoom.update_meeting(handle, MeetingRequest(title="Secret 2", start=START))
    emulator.oauth.expire_access_tokens()
    await zoom.delete_meeting(handle)
    assert handle.host_url is not None
    start_url = handle.host_url.get_secret_value()
    zak = parse_qs(urlsplit(start_url).query)["zak"][0]
    for text in (caplog.text, repr(handle), repr(zoom), repr(emulator), str(handle.data)):
        assert zak not in text
        assert "Pa55-word" not in text
        assert emulator.client_secret not in text
    assert isinstance(handle, MeetingHandle)


# -- through golive's services, in sandbox mode ---------------------------------------------------


async def test_meet_in_sandbox_uses_server_to_server_and_caches_the_token(services) -> None:
    from bot import handlers
    from bot.handlers import Requester
    from bot.views import Announcement

    sandbox = services.sandbox
    emulator = sandbox.emulators["zoom"]
    assert services.connections.style("zoom") is AuthStyle.CLIENT_CREDENTIALS
    who = Requester("w", "U1")
    text = '"Sync" on zoom,jitsi primary zoom for 30m'
    reply = await handlers.run(services, who, "meet", text)
    assert reply.ok, reply.private
    post = reply.posts[0]
    assert isinstance(post, Announcement)
    assert [(link.platform, link.primary) for link in post.links] == [
        ("zoom", True),
        ("jitsi", False),
    ]
    zoom_link = post.links[0].direct_url or ""
    assert urlsplit(zoom_link).hostname == "us05web.zoom.us"
    meeting = next(iter(emulator.meetings.values()))
    assert any(meeting.start_url in line for line in reply.private)  # only to the host
    assert meeting.start_url not in repr(post)

    await handlers.run(services, who, "meet", text)
    assert emulator.app_grants == 1  # one app token for both meetings
    emulator.oauth.expire_access_tokens()
    reply = await handlers.run(services, who, "meet", text)
    assert reply.ok, reply.private
    assert emulator.app_grants == 2  # refused once, fetched again
    assert len(emulator.meetings) == 3


async def test_a_failing_zoom_leaves_jitsi_standing(services) -> None:
    from bot import handlers
    from bot.handlers import Requester
    from bot.views import Announcement

    emulator = services.sandbox.emulators["zoom"]
    emulator.faults.fail_next = 10
    reply = await handlers.run(
        services, Requester("w", "U1"), "meet", '"Sync" on zoom,jitsi primary zoom for 30m'
    )
    post = reply.posts[0]
    assert isinstance(post, Announcement)
    states = {link.platform: link.state for link in post.links}
    assert states == {"zoom": "failed", "jitsi": "created"}
    assert "Zoom" in (post.links[0].error or "")
