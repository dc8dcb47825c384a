"""The real Microsoft Teams provider over real HTTP against the Microsoft Graph emulator."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pydantic import SecretStr

from providers import provider_class
from providers.base import (
    AuthStyle,
    Credentials,
    MeetingProvider,
    MeetingRequest,
    PlatformConfig,
)
from providers.errors import AuthExpired, InvalidRequest, RateLimited, Unavailable
from providers.http import PlatformHttp, RetryPolicy, StoredToken
from providers.oauth import OAuthFlow, credentials_from_token, new_code_verifier, new_state
from providers.sandbox import Sandbox, start_sandbox
from providers.sandbox.graph import GraphEmulator
from providers.teams import Teams

START = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
QUICK_RETRY = RetryPolicy(attempts=3, initial_wait=0.01, max_wait=2.0)
NO_RETRY = RetryPolicy(attempts=1)


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with await start_sandbox(["teams"]) as running:
        yield running


@pytest.fixture
def emulator(sandbox: Sandbox) -> GraphEmulator:
    emulator = sandbox.emulators["teams"]
    assert isinstance(emulator, GraphEmulator)
    return emulator


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as shared:
        yield shared


def make_config(sandbox: Sandbox, **options: str) -> PlatformConfig:
    client_id, client_secret = sandbox.clients["teams"]
    return PlatformConfig(
        endpoints=sandbox.endpoints["teams"],
        client_id=client_id,
        client_secret=SecretStr(client_secret),
        options={**sandbox.options["teams"], **options},
    )


def delegated(
    sandbox: Sandbox,
    emulator: GraphEmulator,
    client: httpx.AsyncClient,
    retry: RetryPolicy = QUICK_RETRY,
    **options: str,
) -> Teams:
    cfg = make_config(sandbox, **options)
    issued = emulator.oauth.issue_tokens(emulator.client_id, Teams.scopes_for(cfg))
    token = StoredToken("teams", credentials_from_token(issued), OAuthFlow(Teams, cfg).refresh)
    http = PlatformHttp("teams", cfg.endpoints.api_url, client=client, token=token, retry=retry)
    return Teams(cfg, http)


def application(
    sandbox: Sandbox, emulator: GraphEmulator, client: httpx.AsyncClient, **options: str
) -> Teams:
    cfg = make_config(
        sandbox, tenant_id=emulator.tenant_id, organizer_id=emulator.user_id, **options
    )

    async def fetch(_: Credentials) -> Credentials:
        return await Teams.app_token(cfg, client)

    token = StoredToken("teams", Credentials(), fetch, renewable=True)
    http = PlatformHttp("teams", cfg.endpoints.api_url, client=client, token=token, retry=NO_RETRY)
    return Teams(cfg, http)


# -- declaration ---------------------------------------------------------------------------------


def test_declaration(sandbox: Sandbox) -> None:
    assert provider_class("teams") is Teams
    assert Teams.default_endpoints.api_url == "https://graph.microsoft.com/v1.0"
    assert Teams.default_endpoints.auth_url == (
        "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize"
    )
    assert Teams.option_names == ("tenant_id", "organizer_id", "calendar")
    assert Teams.link_domains == ("teams.microsoft.com",)
    plain = PlatformConfig(Teams.default_endpoints)
    assert Teams.auth_style_for(plain) is AuthStyle.OAUTH_PKCE
    assert Teams.scopes_for(plain) == ("OnlineMeetings.ReadWrite", "offline_access")
    app = PlatformConfig(Teams.default_endpoints, options={"organizer_id": "u", "calendar": "yes"})
    assert Teams.auth_style_for(app) is AuthStyle.CLIENT_CREDENTIALS
    assert "Calendars.ReadWrite" in Teams.scopes_for(app)
    assert sandbox.options["teams"] == {}  # the sandbox signs in with delegated OAuth


def test_settings_are_checked() -> None:
    Teams.check_settings({"lobby_bypass": "everyone", "record": "true"})
    with pytest.raises(InvalidRequest, match="lobby_bypass must be one of"):
        Teams.check_settings({"lobby_bypass": "anyone"})
    with pytest.raises(InvalidRequest, match="has no setting waiting_room"):
        Teams.check_settings({"waiting_room": "true"})
    with pytest.raises(InvalidRequest, match="true or false"):
        Teams.check_settings({"record": "maybe"})


# -- delegated -----------------------------------------------------------------------------------


async def test_delegated_pkce_sign_in(
    sandbox: Sandbox, emulator: GraphEmulator, client: httpx.AsyncClient
) -> None:
    cfg = make_config(sandbox)
    flow = OAuthFlow(Teams, cfg)
    redirect = "http://127.0.0.1:3000/oauth/teams/callback"
    state, verifier = new_state(), new_code_verifier()
    url = flow.authorize_url(state=state, code_verifier=verifier, redirect_uri=redirect)
    assert "code_challenge_method=S256" in url and "OnlineMeetings.ReadWrite" in url
    assert "Calendars.ReadWrite" not in url
    answer = await client.get(url)
    code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    with pytest.raises(InvalidRequest):
        await flow.exchange(code=code, code_verifier=new_code_verifier(), redirect_uri=redirect)
    answer = await client.get(url)
    code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    credentials = await flow.exchange(code=code, code_verifier=verifier, redirect_uri=redirect)
    assert credentials.refresh_token is not None


async def test_delegated_create_update_delete(
    sandbox: Sandbox, emulator: GraphEmulator, client: httpx.AsyncClient
) -> None:
    teams = delegated(sandbox, emulator, client)
    assert isinstance(teams, MeetingProvider)
    request = MeetingRequest(
        title="Sync", start=START, duration_minutes=45, settings={"lobby_bypass": "everyone"}
    )
    handle = await teams.create_meeting(request)
    assert urlsplit(handle.join_url).hostname == "teams.microsoft.com"
    assert handle.join_url.startswith("https://teams.microsoft.com/l/meetup-join/")
    stored = emulator.meetings[handle.remote_id]
    assert stored.owner == emulator.user_id and stored.subject == "Sync"
    assert stored.end - stored.start == timedelta(minutes=45)
    assert stored.lobby["scope"] == "everyone"
    assert "***" in repr(handle) and stored.passcode not in repr(handle)

    later = MeetingRequest(title="Sync moved", start=START + timedelta(hours=1), record=True)
    fresh = await teams.update_meeting(handle, later)
    assert fresh.remote_id == handle.remote_id
    assert stored.subject == "Sync moved" and stored.record is True
    assert stored.start == START + timedelta(hours=1)

    await teams.delete_meeting(fresh)
    assert handle.remote_id not in emulator.meetings
    await teams.delete_meeting(fresh)  # 404: already gone, not an error


async def test_instant_meeting_gets_both_times(
    sandbox: Sandbox, emulator: GraphEmulator, client: httpx.AsyncClient
) -> None:
    teams = delegated(sandbox, emulator, client)
    handle = await teams.create_meeting(MeetingRequest(title="Now", duration_minutes=30))
    stored = emulator.meetings[handle.remote_id]
    assert abs(stored.start - datetime.now(UTC)) < timedelta(minutes=1)
    assert stored.end - stored.start == timedelta(minutes=30)


async def test_expired_token_is_refreshed_once(
    sandbox: Sandbox, emulator: GraphEmulator, client: httpx.AsyncClient
) -> None:
    teams = delegated(sandbox, emulator, client)
    emulator.oauth.expire_access_tokens()
    await teams.create_meeting(MeetingRequest(title="Sync", start=START))
    assert emulator.oauth.grants["refresh_token"] == 1


async def test_throttling_waits_for_retry_after(
    sandbox: Sandbox, emulator: GraphEmulator, client: httpx.AsyncClient
) -> None:
    teams = delegated(sandbox, emulator, client)
    emulator.faults.rate_limit_next = 1
    began = time.monotonic()
    await teams.create_meeting(MeetingRequest(title="Sync", start=START))
    assert time.monotonic() - began >= 0.9  # Retry-After: 1 honoured
    assert emulator.requests["create"] == 2

    once = delegated(sandbox, emulator, client, retry=NO_RETRY)
    emulator.faults.rate_limit_next = 1
    with pytest.raises(RateLimited) as caught:
        await once.create_meeting(MeetingRequest(title="Sync", start=START))
    assert caught.value.retry_after == 1 and caught.value.code == "TooManyRequests"


# -- application permissions ---------------------------------------------------------------------


async def test_app_route_with_policy_granted(
    sandbox: Sandbox, emulator: GraphEmulator, client: httpx.AsyncClient
) -> None:
    emulator.grant_policy(emulator.user_id)
    teams = application(sandbox, emulator, client)
    handle = await teams.create_meeting(MeetingRequest(title="Board", start=START, record=True))
    assert handle.data["owner"] == f"users/{emulator.user_id}"
    assert emulator.meetings[handle.remote_id].record is True
    await teams.update_meeting(handle, MeetingRequest(title="Board 2", start=START))
    await teams.delete_meeting(handle)
    assert emulator.app_grants == 1 and not emulator.meetings


async def test_app_route_without_policy_explains_the_fix(
    sandbox: Sandbox, emulator: GraphEmulator, client: httpx.AsyncClient
) -> None:
    teams = application(sandbox, emulator, client)
    with pytest.raises(InvalidRequest) as caught:
        await teams.create_meeting(MeetingRequest(title="Board", start=START))
    message = caught.value.message
    assert caught.value.status == 403
    assert "New-CsApplicationAccessPolicy -Identity golive-meetings" in message
    assert f'-AppIds "{emulator.client_id}"' in message
    grant = "Grant-CsApplicationAccessPolicy -PolicyName golive-meetings"
    assert f'{grant} -Identity "{emulator.user_id}"' in message
    assert "docs/platforms/teams.md" in message
    assert emulator.client_secret not in message


async def test_app_token_needs_a_tenant_and_the_default_scope(
    sandbox: Sandbox, emulator: GraphEmulator, client: httpx.AsyncClient
) -> None:
    no_tenant = make_config(sandbox, organizer_id=emulator.user_id)
    with pytest.raises(InvalidRequest, match="GOLIVE_TEAMS_TENANT_ID"):
        await Teams.app_token(no_tenant, client)
    wrong = make_config(sandbox, organizer_id=emulator.user_id, tenant_id=emulator.tenant_id)
    wrong = PlatformConfig(wrong.endpoints, wrong.client_id, SecretStr("nope"), wrong.options)
    with pytest.raises(AuthExpired) as refused:
        await Teams.app_token(wrong, client)
    assert refused.value.code == "invalid_client" and "nope" not in str(refused.value)
    token_url = sandbox.endpoints["teams"].token_url
    assert token_url is not None
    answer = await client.post(
        token_url.replace("organizations", emulator.tenant_id),
        data={
            "client_id": emulator.client_id,
            "client_secret": emulator.client_secret,
            "scope": "OnlineMeetings.ReadWrite.All",
            "grant_type": "client_credentials",
        },
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_scope"
    placeholder = await client.post(
        token_url,
        data={
            "client_id": emulator.client_id,
            "client_secret": emulator.client_secret,
            "scope": "https://graph.microsoft.com/.default",
            "grant_type": "client_credentials",
        },
    )
    assert placeholder.status_code == 400


# -- calendar route ------------------------------------------------------------------------------


async def test_calendar_route(
    sandbox: Sandbox, emulator: GraphEmulator, client: httpx.AsyncClient
) -> None:
    teams = delegated(sandbox, emulator, client, calendar="true")
    request = MeetingRequest(
        title="Planning", start=START, record=True, settings={"lobby_bypass": "organizer"}
    )
    handle = await teams.create_meeting(request)
    assert handle.data["kind"] == "event"
    event = emulator.events[handle.remote_id]
    meeting = emulator.meetings[event.meeting_id]
    assert handle.join_url == meeting.join_url
    assert meeting.record is True and meeting.lobby["scope"] == "organizer"
    moved = await teams.update_meeting(
        handle, MeetingRequest(title="Planning", start=START + timedelta(days=1))
    )
    assert event.start["dateTime"].startswith("2026-12-02")
    await teams.delete_meeting(moved)
    assert not emulator.events and not emulator.meetings
    await teams.delete_meeting(moved)


# -- the emulator is as strict as Graph ----------------------------------------------------------


async def test_emulator_rejections(
    sandbox: Sandbox, emulator: GraphEmulator, client: httpx.AsyncClient
) -> None:
    api = sandbox.endpoints["teams"].api_url
    issued = emulator.oauth.issue_tokens(emulator.client_id, ("OnlineMeetings.ReadWrite",))
    auth = {"Authorization": f"Bearer {issued['access_token']}"}
    url = f"{api}/me/onlineMeetings"

    async def post(body: dict, headers: dict | None = None) -> httpx.Response:
        return await client.post(url, json=body, headers=auth if headers is None else headers)

    start, end = "2026-12-01T17:00:00Z", "2026-12-01T18:00:00Z"
    unauthenticated = await post({"startDateTime": start, "endDateTime": end}, {})
    assert unauthenticated.status_code == 401
    error = unauthenticated.json()["error"]
    assert error["code"] == "InvalidAuthenticationToken"
    assert {"date", "request-id"} <= set(error["innerError"])
    bogus = await post({"startDateTime": start, "endDateTime": end}, {"Authorization": "Bearer x"})
    assert bogus.status_code == 401
    assert (await post({"startDateTime": start})).status_code == 400
    assert (await post({"startDateTime": end, "endDateTime": start})).status_code == 400
    assert (await post({"startDateTime": "tomorrow", "endDateTime": end})).status_code == 400
    unknown = await post({"startDateTime": start, "endDateTime": end, "topic": "x"})
    assert (
        unknown.status_code == 400
        and "'topic' does not exist" in unknown.json()["error"]["message"]
    )
    evolved = {
        "startDateTime": start,
        "endDateTime": end,
        "lobbyBypassSettings": {"scope": "invited"},
    }
    assert (await post(evolved)).status_code == 400
    prefer = {**auth, "Prefer": "include-unknown-enum-members"}
    assert (await post(evolved, prefer)).status_code == 201


async def test_graph_400_keeps_graphs_message(
    sandbox: Sandbox, emulator: GraphEmulator, client: httpx.AsyncClient
) -> None:
    teams = delegated(sandbox, emulator, client)
    handle = await teams.create_meeting(MeetingRequest(title="Sync", start=START))
    handle.remote_id = "missing"
    with pytest.raises(InvalidRequest) as caught:
        await teams.update_meeting(handle, MeetingRequest(title="Sync", start=START))
    assert caught.value.status == 404 and "not found" in caught.value.message


def _response(status: int, body: object, path: str = "/v1.0/me/onlineMeetings", **headers: str):
    request = httpx.Request("POST", f"https://graph.microsoft.com{path}")
    return httpx.Response(status, json=body, headers=headers, request=request)


def test_parse_error_maps_the_odata_envelope() -> None:
    def envelope(code: str, message: str) -> dict:
        inner = {"date": "2026-12-01T12:00:00", "request-id": "r", "client-request-id": "c"}
        return {"error": {"code": code, "message": message, "innerError": inner}}

    expired = Teams.parse_error(_response(401, envelope("InvalidAuthenticationToken", "expired")))
    assert expired.kind is AuthExpired and expired.code == "InvalidAuthenticationToken"
    throttled = Teams.parse_error(
        _response(429, envelope("TooManyRequests", "later"), **{"Retry-After": "7"})
    )
    assert throttled.kind is RateLimited and throttled.retry_after == 7
    busy = Teams.parse_error(
        _response(503, envelope("serviceNotAvailable", "busy"), **{"Retry-After": "3"})
    )
    assert busy.kind is Unavailable and busy.retry_after == 3
    bad = Teams.parse_error(_response(400, envelope("BadRequest", "The property 'x' ...")))
    assert bad.kind is None and bad.message == "The property 'x' ..."
    delegated_403 = Teams.parse_error(_response(403, envelope("Forbidden", "Access is denied.")))
    assert delegated_403.message == "Access is denied."
    app_403 = Teams.parse_error(
        _response(403, envelope("Forbidden", "no policy"), "/v1.0/users/u-1/onlineMeetings"),
        app_id="app-1",
    )
    assert 'Grant-CsApplicationAccessPolicy -PolicyName golive-meetings -Identity "u-1"' in (
        app_403.message
    )
    assert 'New-CsApplicationAccessPolicy -Identity golive-meetings -AppIds "app-1"' in (
        app_403.message
    )
