"""Zoom meetings through the Zoom REST API v2.

Two ways in, chosen by configuration (``auth_style_for``): Server-to-Server OAuth when
``GOLIVE_ZOOM_ACCOUNT_ID`` is set (the ``account_credentials`` grant: no user signs in, the token
lasts an hour and has no refresh token, so golive simply asks again), otherwise user OAuth with
PKCE and rotating refresh tokens. Meetings are created for ``me``: the signed-in user, or for a
Server-to-Server app the Zoom user it resolves ``me`` to.

The host's ``start_url`` embeds a ZAK token that lets anyone holding it start the meeting as
the host, so it only ever travels as a ``SecretStr`` (``MeetingHandle.host_url``); the join
passcode likewise.

Pages followed:
- https://developers.zoom.us/docs/internal-apps/s2s-oauth/ (account_credentials grant, Basic
  client authentication, one-hour tokens, no refresh token)
- https://developers.zoom.us/docs/integrations/oauth/ and
  https://developers.zoom.us/docs/integrations/PKCE/ (authorize and token endpoints, PKCE)
- https://developers.zoom.us/docs/integrations/oauth-scopes-granular/ (``meeting:write:meeting``,
  ``meeting:read:meeting``, ``meeting:update:meeting``, ``meeting:delete:meeting`` and their
  ``:admin`` forms for account-level apps)
- https://developers.zoom.us/docs/api/meetings/ (Create a meeting ``POST /users/{userId}/meetings``
  201; Get ``GET /meetings/{meetingId}``; Update ``PATCH /meetings/{meetingId}`` 204; Delete
  ``DELETE /meetings/{meetingId}`` 204; passcode ``[a-z A-Z 0-9 @ - _ *]``, at most 10
  characters; topic at most 200 and agenda at most 2,000 characters)
- https://developers.zoom.us/docs/api/rate-limits/ (Create and Update are "Medium": 2 a second
  on Free accounts, 20 on Pro; 429 when exceeded) and
  https://devforum.zoom.us/t/rate-limits-which-ones-apply/19474 (at most 100 creates or updates
  per user a day, reset at 00:00 UTC)
- https://developers.zoom.us/docs/integrations/oauth-error-messages/ (token endpoint errors);
  API errors are ``{"code", "message"}`` with ``errors: [{"field", "message"}]`` on 300
  "Validation Failed."; 124 invalid access token, 3001 meeting does not exist, 1001 user does
  not exist, 4711 token without the needed scopes
- https://developers.zoom.us/docs/api/cloud-recording/ (Get meeting recordings
  ``GET /meetings/{meetingId}/recordings``: a meeting id means its latest instance, a UUID one
  instance, and a UUID that starts with ``/`` or contains ``//`` must be encoded twice;
  ``share_url``, ``recording_files[]`` with ``play_url``, ``download_url``, ``file_type`` and
  ``status``; ``password`` / ``recording_play_passcode`` when viewers need one; 404 code 3301
  "This recording does not exist." until the cloud recording is processed; scope
  ``cloud_recording:read:list_recording_files`` or classic ``recording:read``)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import quote

import httpx
from pydantic import SecretStr

from providers.base import (
    AuthStyle,
    Capability,
    Credentials,
    Endpoints,
    Kind,
    MeetingHandle,
    MeetingRequest,
    PlatformConfig,
    Provider,
    setting_flag,
)
from providers.errors import (
    AuthExpired,
    InvalidRequest,
    PlatformError,
    RateLimited,
    Unavailable,
)
from providers.http import ErrorInfo, PlatformHttp, generic_error, parse_retry_after
from providers.recordings import Found, Lookup, NoRecording, Processing, Recording

#: Zoom's own limits on what a meeting may carry
TOPIC_MAX = 200
AGENDA_MAX = 2000
PASSCODE = re.compile(r"^[A-Za-z0-9@\-_*]{1,10}$")
AUTO_RECORDING = ("cloud", "local", "none")
BOOLEAN_SETTINGS = ("waiting_room", "join_before_host")
#: the per-platform settings golive passes on (``/meet ... zoom.waiting_room=true``)
SETTINGS = (*BOOLEAN_SETTINGS, "passcode", "auto_recording", "agenda")

#: Zoom error codes golive acts on
INVALID_TOKEN = 124
MEETING_NOT_FOUND = 3001
RECORDING_NOT_FOUND = 3301
RECORDING_SCOPE = "cloud_recording:read:list_recording_files"
_AUTH_CODES = frozenset({INVALID_TOKEN})


def zoom_time(when: datetime) -> str:
    """Zoom's GMT form ``yyyy-MM-ddTHH:mm:ssZ``; naive times are taken as UTC."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Zoom(Provider):
    name = "zoom"
    display_name = "Zoom"
    kind = Kind.MEETING
    auth_style = AuthStyle.OAUTH_PKCE
    default_endpoints = Endpoints(
        api_url="https://api.zoom.us/v2",
        auth_url="https://zoom.us/oauth/authorize",
        token_url="https://zoom.us/oauth/token",
    )
    #: granular user scopes; a Server-to-Server app is given the ``:admin`` forms in the
    #: Marketplace instead (its token grant takes no scope parameter)
    scopes = (
        "meeting:write:meeting",
        "meeting:read:meeting",
        "meeting:update:meeting",
        "meeting:delete:meeting",
        RECORDING_SCOPE,
    )
    capabilities = frozenset(
        {
            Capability.CREATE_MEETING,
            Capability.UPDATE_MEETING,
            Capability.DELETE_MEETING,
            Capability.RECORDING,
        }
    )
    # Create and Update are "Medium" requests: 2 a second on a Free account (20 on Pro). Pacing
    # to the Free figure keeps every plan clear of 429s; golive makes few calls per command.
    rate_limit = (2, 1.0)
    option_names: ClassVar[tuple[str, ...]] = ("account_id",)
    link_domains: ClassVar[tuple[str, ...]] = ("zoom.us",)

    def __init__(self, config: PlatformConfig, http: PlatformHttp) -> None:
        self.config = config
        self.http = http
        if http.parse_error is generic_error:
            http.parse_error = self.parse_error

    def __repr__(self) -> str:
        return f"Zoom(api_url={self.http.base_url!r}, style={self.auth_style_for(self.config)})"

    # -- configuration -------------------------------------------------------------------------

    @classmethod
    def auth_style_for(cls, config: PlatformConfig) -> AuthStyle:
        """Server-to-Server OAuth when an account id is configured, user OAuth otherwise."""
        if (config.options.get("account_id") or "").strip():
            return AuthStyle.CLIENT_CREDENTIALS
        return AuthStyle.OAUTH_PKCE

    @classmethod
    async def app_token(cls, config: PlatformConfig, client: httpx.AsyncClient) -> Credentials:
        """The ``account_credentials`` grant: Basic client auth, the account id in the form."""
        account_id = (config.options.get("account_id") or "").strip()
        token_url = config.endpoints.token_url
        if not account_id or not token_url:
            raise InvalidRequest(cls.name, "Server-to-Server OAuth needs GOLIVE_ZOOM_ACCOUNT_ID")
        if not config.client_id or config.client_secret is None:
            raise AuthExpired(
                cls.name, "set GOLIVE_ZOOM_CLIENT_ID and GOLIVE_ZOOM_CLIENT_SECRET for the app"
            )
        try:
            response = await client.post(
                token_url,
                auth=httpx.BasicAuth(config.client_id, config.client_secret.get_secret_value()),
                data={"grant_type": "account_credentials", "account_id": account_id},
                headers={"Accept": "application/json"},
            )
        except httpx.TransportError as exc:
            raise Unavailable(cls.name, "the Zoom token endpoint did not answer") from exc
        if response.status_code != 200:
            raise _token_error(response)
        try:
            body = response.json()
            token = str(body["access_token"])
            expires_in = float(body["expires_in"])
        except (ValueError, KeyError, TypeError) as exc:
            raise Unavailable(cls.name, "the Zoom token endpoint sent no usable token") from exc
        scope = body.get("scope") or ""
        extra = {"api_url": str(body["api_url"])} if body.get("api_url") else {}
        return Credentials(
            access_token=SecretStr(token),
            expires_at=datetime.now(UTC) + timedelta(seconds=expires_in),
            scopes=tuple(scope.split()) if isinstance(scope, str) else tuple(scope),
            extra=extra,
        )

    @classmethod
    def check_settings(cls, settings: Mapping[str, str]) -> None:
        """Refuse what Zoom would refuse, before a meeting is created anywhere."""
        unknown = sorted(set(settings) - set(SETTINGS))
        if unknown:
            raise InvalidRequest(
                cls.name,
                f"Zoom has no setting {', '.join(unknown)}; the settings are {', '.join(SETTINGS)}",
            )
        for name in BOOLEAN_SETTINGS:
            if name in settings:
                setting_flag("zoom", name, settings[name])
        if "passcode" in settings and not PASSCODE.fullmatch(settings["passcode"]):
            raise InvalidRequest(
                cls.name,
                "a Zoom passcode is 1 to 10 characters from letters, digits and @ - _ *",
            )
        recording = settings.get("auto_recording")
        if recording is not None and recording not in AUTO_RECORDING:
            raise InvalidRequest(
                cls.name, f"Zoom auto_recording must be one of {', '.join(AUTO_RECORDING)}"
            )
        if len(settings.get("agenda", "")) > AGENDA_MAX:
            raise InvalidRequest(cls.name, f"a Zoom agenda is at most {AGENDA_MAX} characters")

    # -- errors --------------------------------------------------------------------------------

    @staticmethod
    def parse_error(response: httpx.Response) -> ErrorInfo:
        """Zoom's ``{"code": int, "message": str, "errors": [{"field", "message"}]}``."""
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            plain = AuthExpired if status == 401 else None
            return ErrorInfo(f"HTTP {status} {response.reason_phrase}".strip(), kind=plain)
        code = body.get("code")
        message = str(body.get("message") or body.get("reason") or f"HTTP {status}")
        details = [
            f"{item.get('field')}: {item.get('message')}"
            for item in body.get("errors") or []
            if isinstance(item, dict) and item.get("field")
        ]
        if details:
            message = f"{message} ({'; '.join(details)})"
        kind: type[PlatformError] | None = None
        if status == 429:
            kind = RateLimited
        elif status == 401 or code in _AUTH_CODES:
            kind = AuthExpired
        elif status >= 500:
            kind = Unavailable
        return ErrorInfo(message, code=str(code) if code is not None else None, kind=kind)

    # -- meetings ------------------------------------------------------------------------------

    def _body(self, request: MeetingRequest, *, creating: bool) -> dict[str, Any]:
        self.check_settings(request.settings)
        settings = request.settings
        body: dict[str, Any] = {"topic": _topic(request.title)}
        if request.start is not None:
            body.update(
                type=2,
                start_time=zoom_time(request.start),
                duration=request.duration_minutes,
                timezone=request.timezone,
            )
        elif creating:
            body["type"] = 1  # instant: starts when the host opens it
        if settings.get("agenda"):
            body["agenda"] = settings["agenda"]
        if "passcode" in settings:
            body["password"] = settings["passcode"]
        zoom_settings: dict[str, Any] = {
            name: setting_flag("zoom", name, settings[name])
            for name in BOOLEAN_SETTINGS
            if name in settings
        }
        recording = settings.get("auto_recording")
        if request.record:
            zoom_settings["auto_recording"] = "local" if recording == "local" else "cloud"
        elif recording is not None:
            zoom_settings["auto_recording"] = recording
        if zoom_settings:
            body["settings"] = zoom_settings
        return body

    async def create_meeting(self, request: MeetingRequest) -> MeetingHandle:
        meeting = await self.http.json(
            "POST", "users/me/meetings", json=self._body(request, creating=True)
        )
        return self._handle(meeting)

    async def update_meeting(self, handle: MeetingHandle, request: MeetingRequest) -> MeetingHandle:
        """PATCH answers 204 with no body, so the fresh meeting is read back afterwards."""
        path = f"meetings/{handle.remote_id}"
        await self.http.request("PATCH", path, json=self._body(request, creating=False))
        return self._handle(await self.http.json("GET", path))

    async def delete_meeting(self, handle: MeetingHandle) -> None:
        try:
            await self.http.request("DELETE", f"meetings/{handle.remote_id}")
        except InvalidRequest as exc:
            if exc.code == str(MEETING_NOT_FOUND):
                return  # already gone: cancelling twice is not an error
            raise

    def _handle(self, meeting: Any) -> MeetingHandle:
        if not isinstance(meeting, dict) or not meeting.get("id") or not meeting.get("join_url"):
            raise Unavailable(self.name, "Zoom answered without a meeting id and join link")
        start_url = meeting.get("start_url")
        password = meeting.get("password")
        data = {"meeting_id": str(meeting["id"])}
        if meeting.get("uuid"):
            data["uuid"] = str(meeting["uuid"])
        auto_recording = (meeting.get("settings") or {}).get("auto_recording")
        if auto_recording:
            data["auto_recording"] = str(auto_recording)
        return MeetingHandle(
            remote_id=str(meeting["id"]),
            join_url=str(meeting["join_url"]),
            host_url=SecretStr(str(start_url)) if start_url else None,
            passcode=SecretStr(str(password)) if password else None,
            data=data,
        )

    async def find_meeting_recordings(self, handle: MeetingHandle) -> Lookup:
        """The meeting's cloud recording: its share page, else the first video's play page.

        The download URL needs an access token and is never handed out; a recording passcode
        is only reported as required."""
        if handle.data.get("auto_recording") != "cloud":
            return NoRecording("cloud recording was off for this meeting")
        uuid = handle.data.get("uuid")
        path = f"meetings/{meeting_path_id(uuid) if uuid else handle.remote_id}/recordings"
        try:
            body = await self.http.json("GET", path)
        except InvalidRequest as exc:
            if exc.code == str(RECORDING_NOT_FOUND):
                return Processing("Zoom has not finished the cloud recording yet")
            if exc.code == str(MEETING_NOT_FOUND):
                return NoRecording("the meeting no longer exists on Zoom")
            raise
        if not isinstance(body, dict):
            raise Unavailable(self.name, "Zoom answered the recordings request without a body")
        files = [f for f in body.get("recording_files") or [] if isinstance(f, dict)]
        videos = [f for f in files if f.get("file_type") == "MP4"]
        if any(f.get("status") != "completed" for f in videos) or not videos:
            return Processing("Zoom is still processing the cloud recording")
        passcode = bool(body.get("password") or body.get("recording_play_passcode"))
        share = body.get("share_url")
        if isinstance(share, str) and share.startswith("https://"):
            return Found((Recording(share, "share", "Zoom recording", passcode),))
        play = videos[0].get("play_url")
        if isinstance(play, str) and play.startswith("https://"):
            return Found((Recording(play, "play", "Zoom recording", passcode),))
        return NoRecording("Zoom sent no link members can open")


def meeting_path_id(uuid: str) -> str:
    """A meeting UUID as a path segment: encoded once, or twice when it starts with ``/`` or
    contains ``//`` (Zoom decodes such UUIDs a second time)."""
    once = quote(uuid, safe="")
    return quote(once, safe="") if uuid.startswith("/") or "//" in uuid else once


def _topic(title: str) -> str:
    topic = title.strip() or "Meeting"
    return topic if len(topic) <= TOPIC_MAX else topic[: TOPIC_MAX - 1].rstrip() + "…"


def _token_error(response: httpx.Response) -> PlatformError:
    """The token endpoint speaks ``{"reason", "error"}``; a refused app is not transient."""
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    reason = body.get("reason") or body.get("error_description") or f"HTTP {status}"
    code = body.get("error")
    message = f"Zoom refused the app credentials: {reason}"
    if status == 429:
        retry = parse_retry_after(response.headers.get("Retry-After"))
        return RateLimited("zoom", message, retry_after=retry, code=code, status=status)
    if status >= 500:
        return Unavailable("zoom", "the Zoom token endpoint failed", code=code, status=status)
    if status == 401 or code == "invalid_client":
        return AuthExpired("zoom", message, code=code, status=status)
    return InvalidRequest("zoom", message, code=code, status=status)


PROVIDER = Zoom
