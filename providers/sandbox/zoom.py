"""A strict local emulator of the Zoom REST API v2 meeting methods and Zoom's OAuth server.

Pages modelled:
- https://developers.zoom.us/docs/internal-apps/s2s-oauth/ (``POST /oauth/token`` with
  ``grant_type=account_credentials&account_id=…`` as a form body, HTTP Basic client
  authentication, ``{"access_token", "token_type": "bearer", "expires_in": 3600, "scope",
  "api_url"}``, no refresh token);
- https://developers.zoom.us/docs/integrations/oauth/ and
  https://developers.zoom.us/docs/integrations/PKCE/ (user authorization code flow with PKCE
  S256, refresh tokens that rotate), served by :mod:`providers.sandbox.oauth`;
- https://developers.zoom.us/docs/integrations/oauth-error-messages/ (token errors);
- https://developers.zoom.us/docs/api/meetings/ (Create ``POST /users/{userId}/meetings`` → 201
  with ``id``, ``uuid``, ``join_url``, ``start_url``, ``password``, ``settings``; Get
  ``GET /meetings/{meetingId}``; Update ``PATCH /meetings/{meetingId}`` → 204; Delete
  ``DELETE /meetings/{meetingId}`` → 204; List ``GET /users/{userId}/meetings``; meeting types
  1, 2, 3, 8, 10; ``start_time`` ``yyyy-MM-ddTHH:mm:ss`` with an optional ``Z``; passcode
  ``[a-z A-Z 0-9 @ - _ *]`` up to 10 characters; topic up to 200, agenda up to 2,000
  characters; ``auto_recording`` ``local|cloud|none``; ``jbh_time`` 0, 5, 10 or 15);
- https://developers.zoom.us/docs/integrations/oauth-scopes-granular/ (which scope each method
  needs, user and ``:admin`` forms);
- https://developers.zoom.us/docs/api/cloud-recording/ (Get meeting recordings
  ``GET /meetings/{meetingId}/recordings`` by meeting id or by UUID, a UUID starting with ``/``
  or holding ``//`` encoded twice; ``share_url``, ``password``, ``recording_play_passcode``,
  ``recording_files[]`` with ``play_url``, ``download_url``, ``file_type``, ``status``; 404
  code 3301 "This recording does not exist." until the cloud recording is processed, which
  here takes :attr:`ZoomEmulator.recording_delay` seconds after :meth:`ZoomEmulator.end_meeting`;
  scope ``cloud_recording:read:list_recording_files`` or classic ``recording:read``);
- https://developers.zoom.us/docs/api/rate-limits/ (429 when over the per-second limit) and
  https://devforum.zoom.us/t/rate-limits-which-ones-apply/19474 (100 creates or updates per
  user a day, reset at 00:00 UTC).

Error bodies are Zoom's ``{"code": int, "message": str}``: 401 code 124 "Invalid access
token." on a missing, unknown or expired token; 400 code 300 "Validation Failed." with
``errors: [{"field", "message"}]``; 404 code 3001 "Meeting does not exist: {id}."; 404 code
1001 "User does not exist: {id}."; 400 code 4711 when the token lacks the method's scope.
The token endpoint speaks ``{"reason", "error"}``. Where the documentation is silent the
emulator picks the stricter plausible behaviour: a Server-to-Server token request must use
Basic authentication, and unknown ``settings`` keys with the wrong JSON type are refused.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import string
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, unquote
from zoneinfo import available_timezones

from aiohttp import web

from providers.base import Endpoints
from providers.sandbox.faults import Faults
from providers.sandbox.oauth import OAuthServer, TokenRecord

API_PATH = "/v2"
AUTHORIZE_PATH = "/oauth/authorize"
TOKEN_PATH = "/oauth/token"
TOKEN_LIFETIME = 3600
DAILY_WRITES_PER_USER = 100
MEETING_NOT_FOUND = 3001
RECORDING_NOT_FOUND = 3301
RECORDING_SCOPE = "cloud_recording:read:list_recording_files"

USER_SCOPES = (
    "meeting:write:meeting",
    "meeting:read:meeting",
    "meeting:update:meeting",
    "meeting:delete:meeting",
    "meeting:read:list_meetings",
    RECORDING_SCOPE,
)
ADMIN_SCOPES = tuple(f"{s}:admin" for s in USER_SCOPES)
#: what a method accepts, granular and classic
METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "create": ("meeting:write:meeting", "meeting:write:meeting:admin"),
    "get": ("meeting:read:meeting", "meeting:read:meeting:admin"),
    "update": ("meeting:update:meeting", "meeting:update:meeting:admin"),
    "delete": ("meeting:delete:meeting", "meeting:delete:meeting:admin"),
    "list": ("meeting:read:list_meetings", "meeting:read:list_meetings:admin"),
    "recordings": (RECORDING_SCOPE, f"{RECORDING_SCOPE}:admin"),
}
_CLASSIC = {
    "create": "meeting:write",
    "update": "meeting:write",
    "delete": "meeting:write",
    "get": "meeting:read",
    "list": "meeting:read",
    "recordings": "recording:read",
}

MEETING_TYPES = frozenset({1, 2, 3, 8, 10})
START_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z?$")
PASSCODE = re.compile(r"^[A-Za-z0-9@\-_*]{1,10}$")
TOPIC_MAX = 200
AGENDA_MAX = 2000
BOOLEAN_SETTINGS = frozenset(
    {
        "host_video",
        "participant_video",
        "join_before_host",
        "mute_upon_entry",
        "waiting_room",
        "watermark",
        "use_pmi",
        "registrants_email_notification",
    }
)
ENUM_SETTINGS: dict[str, tuple[Any, ...]] = {
    "auto_recording": ("local", "cloud", "none"),
    "audio": ("both", "telephony", "voip", "thirdParty"),
    "approval_type": (0, 1, 2),
    "jbh_time": (0, 5, 10, 15),
}
_TIMEZONES = frozenset(available_timezones()) | {"UTC", "GMT"}


class ZoomError(Exception):
    """An API answer in Zoom's error shape."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
        self.headers = headers or {}

    def response(self) -> web.Response:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.errors:
            body["errors"] = self.errors
        return web.json_response(body, status=self.status, headers=self.headers)


def _invalid(*fields: str) -> ZoomError:
    return ZoomError(
        400,
        300,
        "Validation Failed.",
        errors=[{"field": f, "message": "Invalid field."} for f in fields],
    )


@dataclass
class Meeting:
    """One stored meeting, as Zoom returns it."""

    id: int
    uuid: str
    host_id: str
    host_email: str
    topic: str
    type: int
    created_at: str
    start_time: str | None
    duration: int
    timezone: str
    agenda: str
    password: str = field(repr=False)
    settings: dict[str, Any]
    zak: str = field(repr=False)
    #: what Zoom puts in the join link's ``pwd`` so the link admits without typing the passcode
    encrypted_password: str = field(default_factory=lambda: secrets.token_urlsafe(24), repr=False)
    #: emulator clock time the cloud recording is processed, once the meeting ended recording
    recording_ready_at: float | None = None
    recording_passcode: str = field(default_factory=lambda: secrets.token_urlsafe(6), repr=False)

    @property
    def join_url(self) -> str:
        return f"https://us05web.zoom.us/j/{self.id}?pwd={self.encrypted_password}"

    @property
    def start_url(self) -> str:
        return f"https://us05web.zoom.us/s/{self.id}?zak={self.zak}"

    def as_json(self, *, full: bool = True) -> dict[str, Any]:
        body: dict[str, Any] = {
            "uuid": self.uuid,
            "id": self.id,
            "host_id": self.host_id,
            "host_email": self.host_email,
            "topic": self.topic,
            "type": self.type,
            "status": "waiting",
            "duration": self.duration,
            "timezone": self.timezone,
            "created_at": self.created_at,
            "join_url": self.join_url,
        }
        if self.start_time:
            body["start_time"] = self.start_time
        if self.agenda:
            body["agenda"] = self.agenda
        if full:
            body.update(
                start_url=self.start_url,
                password=self.password,
                encrypted_password=self.encrypted_password,
                pre_schedule=False,
                settings=dict(self.settings),
            )
        return body


DEFAULT_SETTINGS: dict[str, Any] = {
    "host_video": False,
    "participant_video": False,
    "join_before_host": False,
    "jbh_time": 0,
    "mute_upon_entry": False,
    "waiting_room": True,
    "approval_type": 2,
    "audio": "voip",
    "auto_recording": "none",
    "watermark": False,
    "use_pmi": False,
    "registrants_email_notification": True,
}


Handler = Callable[[web.Request, TokenRecord], Awaitable[web.Response]]


class ZoomEmulator:
    """Zoom's OAuth server and meeting API for one account with one user."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self.faults = Faults()
        self.clock = clock
        self.client_id = "sandbox-zoom-" + secrets.token_hex(6)
        self.client_secret = secrets.token_urlsafe(24)
        self.account_id = "sbx" + secrets.token_hex(8)
        self.user_id = "sbxuser" + secrets.token_hex(6)
        self.user_email = "host@sandbox.zoom.example"
        #: sandbox mode reads this, so golive uses Server-to-Server OAuth against the emulator
        self.options: dict[str, str] = {"account_id": self.account_id}
        self.oauth = OAuthServer(
            scopes=(*USER_SCOPES, *ADMIN_SCOPES),
            authorize_path=AUTHORIZE_PATH,
            token_path=TOKEN_PATH,
            expires_in=TOKEN_LIFETIME,
            code_lifetime=300.0,  # Zoom's codes expire after five minutes (error 4733)
            rotate_refresh_tokens=True,
            subject=self.user_id,
            faults=self.faults,
            clock=clock,
        )
        self.oauth.register_client(self.client_id, self.client_secret, allow_loopback=True)
        self.meetings: dict[int, Meeting] = {}
        #: seconds a cloud recording takes to process after the meeting ends
        self.recording_delay = 0.0
        #: the scopes the Server-to-Server app was given in the Marketplace
        self.app_scopes: tuple[str, ...] = ADMIN_SCOPES
        #: successful account_credentials grants, so tests can assert "fetched once"
        self.app_grants = 0
        self.requests: Counter[str] = Counter()
        self._writes: Counter[tuple[str, str]] = Counter()  # (user, UTC day) -> creates+updates

    def __repr__(self) -> str:
        return f"ZoomEmulator(meetings={len(self.meetings)}, app_grants={self.app_grants})"

    @property
    def client(self) -> tuple[str, str]:
        return self.client_id, self.client_secret

    def endpoints(self, base_url: str) -> Endpoints:
        return Endpoints(
            api_url=base_url + API_PATH,
            auth_url=base_url + AUTHORIZE_PATH,
            token_url=base_url + TOKEN_PATH,
        )

    def app(self) -> web.Application:
        app = web.Application()
        app.add_routes(
            [
                web.get(AUTHORIZE_PATH, self.oauth.handle_authorize),
                web.route("*", TOKEN_PATH, self.handle_token),
                web.post(API_PATH + "/users/{user_id}/meetings", self._api("create", self.create)),
                web.get(API_PATH + "/users/{user_id}/meetings", self._api("list", self.list)),
                web.get(API_PATH + "/meetings/{meeting_id}", self._api("get", self.get)),
                web.patch(API_PATH + "/meetings/{meeting_id}", self._api("update", self.update)),
                web.delete(API_PATH + "/meetings/{meeting_id}", self._api("delete", self.delete)),
                web.get(
                    API_PATH + "/meetings/{meeting_id:.+}/recordings",
                    self._api("recordings", self.recordings),
                ),
            ]
        )
        return app

    # -- token endpoint ------------------------------------------------------------------------

    async def handle_token(self, request: web.Request) -> web.Response:
        """Server-to-Server grants here; the user grants go to the shared OAuth server."""
        if request.method == "POST":
            form = dict(parse_qsl(await request.text(), keep_blank_values=True))
            if form.get("grant_type") == "account_credentials":
                return self._account_credentials(request, form)
        return await self.oauth.handle_token(request)

    def _account_credentials(self, request: web.Request, form: dict[str, str]) -> web.Response:
        def refuse(status: int, error: str, reason: str) -> web.Response:
            return web.json_response(
                {"reason": reason, "error": error},
                status=status,
                headers={"Cache-Control": "no-store"},
            )

        if request.content_type != "application/x-www-form-urlencoded":
            return refuse(400, "invalid_request", "Unsupported content type")
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return refuse(400, "invalid_request", "Client ID or client secret is missing.")
        try:
            client_id, sep, secret = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            sep, client_id, secret = "", "", ""
        if (
            not sep
            or client_id != self.client_id
            or not secrets.compare_digest(secret, self.client_secret)
        ):
            return refuse(401, "invalid_client", "Invalid client_id or client_secret")
        account_id = form.get("account_id")
        if not account_id:
            return refuse(400, "invalid_request", "Missing account_id")
        if account_id != self.account_id:
            return refuse(400, "invalid_request", "Invalid account_id")
        if self.faults.refuse_refresh:
            return refuse(400, "invalid_request", "The app has been disabled")
        issued = self.oauth.issue_tokens(
            self.client_id, self.app_scopes, subject=self.user_id, refresh=False
        )
        self.app_grants += 1
        body = {
            "access_token": issued["access_token"],
            "token_type": "bearer",
            "expires_in": TOKEN_LIFETIME,
            "scope": " ".join(self.app_scopes),
            "api_url": "https://api.zoom.us",
        }
        return web.json_response(body, headers={"Cache-Control": "no-store"})

    # -- the API frame -------------------------------------------------------------------------

    def _api(self, method: str, handler: Handler) -> Callable[[web.Request], Awaitable[Any]]:
        async def route(request: web.Request) -> web.Response:
            self.requests[method] += 1
            await self.faults.delay()
            try:
                # Zoom reads the token from the Authorization header only.
                in_header = request.headers.get("Authorization", "").lower().startswith("bearer ")
                record = self.oauth.check_bearer(request) if in_header else None
                if record is None:
                    raise ZoomError(401, 124, "Invalid access token.")
                if self.faults.take_rate_limit():
                    raise ZoomError(
                        429,
                        429,
                        "You have reached the maximum per-second rate limit for this API. "
                        "Try again later.",
                        headers={"Retry-After": "1"},
                    )
                if self.faults.take_error():
                    raise ZoomError(500, 500, "Internal server error.")
                self._check_scope(record, method)
                return await handler(request, record)
            except ZoomError as exc:
                return exc.response()

        return route

    @staticmethod
    def _check_scope(record: TokenRecord, method: str) -> None:
        accepted = METHOD_SCOPES[method]
        classic = _CLASSIC[method]
        if record.has_any_scope((*accepted, classic, f"{classic}:admin")):
            return
        raise ZoomError(
            400,
            4711,
            f"Invalid access token, does not contain scopes:[{', '.join(accepted)}].",
        )

    def _user(self, request: web.Request) -> None:
        user = request.match_info["user_id"]
        if user not in ("me", self.user_id, self.user_email):
            raise ZoomError(404, 1001, f"User does not exist: {user}.")

    def _meeting(self, request: web.Request) -> Meeting:
        raw = request.match_info["meeting_id"]
        meeting = self.meetings.get(int(raw)) if raw.isdigit() else None
        if meeting is None:
            raise ZoomError(404, MEETING_NOT_FOUND, f"Meeting does not exist: {raw}.")
        return meeting

    @staticmethod
    async def _json_object(request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ZoomError(400, 300, "Request Body should be a valid JSON object.")
        return body

    def _count_write(self) -> None:
        now = datetime.fromtimestamp(self.clock(), UTC)
        key = (self.user_id, now.date().isoformat())
        if self._writes[key] >= DAILY_WRITES_PER_USER:
            midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
            raise ZoomError(
                429,
                429,
                f"You have exceeded the daily rate limit of ({DAILY_WRITES_PER_USER}) for Create "
                f"/ Update meeting API requests for the user ({self.user_email}).",
                headers={"Retry-After": str(int((midnight - now).total_seconds()) + 1)},
            )
        self._writes[key] += 1

    # -- meetings ------------------------------------------------------------------------------

    async def create(self, request: web.Request, record: TokenRecord) -> web.Response:
        self._user(request)
        body = await self._json_object(request)
        fields = validate(body, creating=True)
        self._count_write()
        meeting_type = fields.get("type", 2)
        scheduled = meeting_type in (2, 8)
        meeting_id = self._new_id()
        settings = {**DEFAULT_SETTINGS, **fields.get("settings", {})}
        meeting = Meeting(
            id=meeting_id,
            uuid=base64.b64encode(secrets.token_bytes(16)).decode(),
            host_id=self.user_id,
            host_email=self.user_email,
            topic=fields.get("topic", "Zoom meeting"),
            type=meeting_type,
            created_at=_now_iso(self.clock()),
            start_time=_gmt(fields.get("start_time"), fields.get("timezone"))
            if scheduled and fields.get("start_time")
            else (_now_iso(self.clock()) if scheduled or meeting_type == 1 else None),
            duration=fields.get("duration", 60) if scheduled else 60,
            timezone=fields.get("timezone", "UTC"),
            agenda=fields.get("agenda", ""),
            password=fields.get("password") or _passcode(),
            settings=settings,
            zak=secrets.token_urlsafe(24),
        )
        self.meetings[meeting_id] = meeting
        return web.json_response(meeting.as_json(), status=201)

    async def get(self, request: web.Request, record: TokenRecord) -> web.Response:
        return web.json_response(self._meeting(request).as_json())

    async def update(self, request: web.Request, record: TokenRecord) -> web.Response:
        meeting = self._meeting(request)
        body = await self._json_object(request)
        fields = validate(body, creating=False)
        self._count_write()
        for name in ("topic", "type", "duration", "agenda", "password", "timezone"):
            if name in fields:
                setattr(meeting, name, fields[name])
        if "password" in fields:
            meeting.encrypted_password = secrets.token_urlsafe(24)
        if "start_time" in fields:
            meeting.start_time = _gmt(fields["start_time"], fields.get("timezone"))
        if "settings" in fields:
            meeting.settings.update(fields["settings"])
        return web.Response(status=204)

    async def delete(self, request: web.Request, record: TokenRecord) -> web.Response:
        meeting = self._meeting(request)
        del self.meetings[meeting.id]
        return web.Response(status=204)

    async def list(self, request: web.Request, record: TokenRecord) -> web.Response:
        self._user(request)
        page_size = request.query.get("page_size", "30")
        if not page_size.isdigit() or not 1 <= int(page_size) <= 300:
            raise _invalid("page_size")
        items = [m.as_json(full=False) for m in self.meetings.values()][: int(page_size)]
        return web.json_response(
            {
                "page_size": int(page_size),
                "total_records": len(self.meetings),
                "next_page_token": "",
                "meetings": items,
            }
        )

    # -- cloud recordings ----------------------------------------------------------------------

    def end_meeting(self, meeting_id: int) -> None:
        """The host ends the meeting; with cloud recording on, processing starts."""
        meeting = self.meetings[meeting_id]
        if meeting.settings.get("auto_recording") == "cloud":
            meeting.recording_ready_at = self.clock() + self.recording_delay

    def finish_recording(self, meeting_id: int) -> None:
        """Zoom finishes processing the meeting's cloud recording now."""
        meeting = self.meetings[meeting_id]
        if meeting.recording_ready_at is not None:
            meeting.recording_ready_at = min(meeting.recording_ready_at, self.clock())

    def _recorded_meeting(self, request: web.Request) -> Meeting:
        """The meeting named by id or UUID in the raw path (a UUID with ``/`` is only found
        when encoded twice, as Zoom requires)."""
        raw = request.raw_path.split("?", 1)[0]
        segment = raw[len(API_PATH + "/meetings/") : -len("/recordings")]
        once = unquote(segment)
        if "%" in once:
            wanted = unquote(once)
        elif once.startswith("/") or "//" in once:
            wanted = ""  # Zoom cannot route such a UUID encoded only once
        else:
            wanted = once
        for meeting in self.meetings.values():
            if wanted in (str(meeting.id), meeting.uuid):
                return meeting
        raise ZoomError(404, RECORDING_NOT_FOUND, "This recording does not exist.")

    async def recordings(self, request: web.Request, record: TokenRecord) -> web.Response:
        meeting = self._recorded_meeting(request)
        ready = meeting.recording_ready_at
        if ready is None or self.clock() < ready:
            raise ZoomError(404, RECORDING_NOT_FOUND, "This recording does not exist.")
        token = secrets.token_urlsafe(16)
        start = meeting.start_time or meeting.created_at
        files = [
            {
                "id": secrets.token_hex(8),
                "meeting_id": meeting.uuid,
                "recording_start": start,
                "recording_end": _now_iso(ready),
                "file_type": kind,
                "file_extension": kind,
                "file_size": 1048576,
                "play_url": f"https://us05web.zoom.us/rec/play/{token}{suffix}",
                "download_url": f"https://us05web.zoom.us/rec/download/{token}{suffix}",
                "status": "completed",
                "recording_type": rtype,
            }
            for kind, rtype, suffix in (
                ("MP4", "shared_screen_with_speaker_view", "v"),
                ("M4A", "audio_only", "a"),
            )
        ]
        body = {
            "uuid": meeting.uuid,
            "id": meeting.id,
            "account_id": self.account_id,
            "host_id": meeting.host_id,
            "topic": meeting.topic,
            "type": meeting.type,
            "start_time": start,
            "duration": meeting.duration,
            "total_size": 2097152,
            "recording_count": len(files),
            "share_url": f"https://us05web.zoom.us/rec/share/{token}",
            "password": meeting.recording_passcode,
            "recording_play_passcode": secrets.token_urlsafe(24),
            "recording_files": files,
        }
        return web.json_response(body)

    def _new_id(self) -> int:
        while True:
            candidate = secrets.randbelow(9 * 10**10) + 10**10  # 11 digits, like Zoom's
            if candidate not in self.meetings:
                return candidate


def validate(body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """Zoom's field checks; a refused request names every offending field."""
    bad: list[str] = []
    topic = body.get("topic")
    if "topic" in body and (not isinstance(topic, str) or len(topic) > TOPIC_MAX):
        bad.append("topic")
    kind = body.get("type")
    if "type" in body and (not _is_int(kind) or kind not in MEETING_TYPES):
        bad.append("type")
    start = body.get("start_time")
    if "start_time" in body and not (isinstance(start, str) and _valid_start(start)):
        bad.append("start_time")
    duration = body.get("duration")
    if "duration" in body and not (
        isinstance(duration, int) and _is_int(duration) and duration >= 0
    ):
        bad.append("duration")
    timezone = body.get("timezone")
    if "timezone" in body and timezone not in _TIMEZONES:
        bad.append("timezone")
    password = body.get("password")
    if "password" in body and not (isinstance(password, str) and PASSCODE.fullmatch(password)):
        bad.append("password")
    agenda = body.get("agenda")
    if "agenda" in body and (not isinstance(agenda, str) or len(agenda) > AGENDA_MAX):
        bad.append("agenda")
    settings = body.get("settings")
    if "settings" in body:
        if not isinstance(settings, dict):
            bad.append("settings")
        else:
            for name, value in settings.items():
                if name in BOOLEAN_SETTINGS:
                    ok = isinstance(value, bool)
                elif name in ENUM_SETTINGS:
                    ok = value in ENUM_SETTINGS[name] and not isinstance(value, bool)
                else:
                    ok = False
                if not ok:
                    bad.append(f"settings.{name}")
    if creating and kind in (2, 8) and "start_time" not in body:
        bad.append("start_time")
    if bad:
        raise _invalid(*bad)
    return body


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _valid_start(value: str) -> bool:
    if not START_TIME.match(value):
        return False
    try:
        datetime.strptime(value.rstrip("Z"), "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return False
    return True


def _gmt(start: str | None, timezone: str | None) -> str | None:
    """Zoom answers ``start_time`` in GMT; a local time is read in the meeting's time zone."""
    if start is None:
        return None
    if start.endswith("Z"):
        return start
    from zoneinfo import ZoneInfo

    local = datetime.strptime(start, "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=ZoneInfo(timezone or "UTC")
    )
    return local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _now_iso(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _passcode() -> str:
    """What Zoom generates when the account requires a passcode and none was given."""
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(6))
