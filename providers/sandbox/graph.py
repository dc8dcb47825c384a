"""A strict local emulator of Microsoft Graph's online meetings and events, and of the
Microsoft identity platform v2 endpoints in front of it.

Pages modelled:
- https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow
  (``/{tenant}/oauth2/v2.0/authorize`` and ``/token``, PKCE), served by
  :mod:`providers.sandbox.oauth`;
- https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow
  (``grant_type=client_credentials``, tenant in GUID or domain form, scope
  ``https://graph.microsoft.com/.default``, ``{"token_type", "expires_in", "access_token"}``,
  errors ``{"error", "error_description", "error_codes", "timestamp", "trace_id",
  "correlation_id"}``);
- https://learn.microsoft.com/graph/api/application-post-onlinemeetings (201),
  onlinemeeting-get, onlinemeeting-update (200; start and end only together),
  onlinemeeting-delete (204); ``GET .../onlineMeetings?$filter=JoinWebUrl eq '...'``;
- https://learn.microsoft.com/graph/cloud-communication-online-meeting-application-access-policy
  (the app route is refused until the policy is granted to that user;
  :meth:`GraphEmulator.grant_policy` plays the admin's Grant-CsApplicationAccessPolicy);
- https://learn.microsoft.com/graph/api/resources/lobbybypasssettings (scope values; the
  evolvable members need ``Prefer: include-unknown-enum-members``);
- https://learn.microsoft.com/graph/api/user-post-events (201, ``isOnlineMeeting``,
  ``onlineMeetingProvider``, ``onlineMeeting.joinUrl``), event-update (200), event-delete (204);
- https://learn.microsoft.com/graph/errors and https://learn.microsoft.com/graph/throttling
  (``{"error": {"code", "message", "innerError": {"date", "request-id",
  "client-request-id"}}}``; 429 ``TooManyRequests`` with ``Retry-After``).

Where the documentation is silent the emulator picks the stricter plausible behaviour: its
wording for missing or reversed times, and refusing ``common``/``organizations`` for the
client-credentials grant with AADSTS90002-style errors.
"""

from __future__ import annotations

import re
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote

from aiohttp import web

from providers.base import Endpoints
from providers.sandbox.faults import Faults
from providers.sandbox.oauth import OAuthServer, TokenRecord

API_PATH = "/v1.0"
DEFAULT_SCOPE = "https://graph.microsoft.com/.default"
DELEGATED_SCOPES = (
    "OnlineMeetings.ReadWrite",
    "Calendars.ReadWrite",
    "offline_access",
    "User.Read",
)
APP_ROLES = ("OnlineMeetings.ReadWrite.All", "Calendars.ReadWrite")
TOKEN_LIFETIME = 3599
LOBBY_SCOPES = frozenset(
    {"organizer", "organization", "organizationAndFederated", "everyone", "unknownFutureValue"}
)
EVOLVED_LOBBY_SCOPES = frozenset({"invited", "organizationExcludingGuests"})
MEETING_PROPERTIES = frozenset(
    {
        "subject",
        "startDateTime",
        "endDateTime",
        "lobbyBypassSettings",
        "recordAutomatically",
        "allowRecording",
        "allowTranscription",
        "allowedPresenters",
        "allowMeetingChat",
        "externalId",
        "participants",
        "joinMeetingIdSettings",
        "isEntryExitAnnounced",
    }
)
EVENT_PROPERTIES = frozenset(
    {
        "subject",
        "body",
        "start",
        "end",
        "attendees",
        "location",
        "isOnlineMeeting",
        "onlineMeetingProvider",
        "allowNewTimeProposals",
        "isReminderOn",
    }
)
ONLINE_PROVIDERS = frozenset(
    {"unknown", "skypeForBusiness", "skypeForConsumer", "teamsForBusiness"}
)
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?(Z|[+-]\d{2}:\d{2})?$")
_PLACEHOLDER_TENANTS = frozenset({"common", "organizations", "consumers"})


class GraphError(Exception):
    """An answer in Graph's OData error envelope."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def response(self, request: web.Request) -> web.Response:
        inner = {
            "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
            "request-id": str(uuid.uuid4()),
            "client-request-id": request.headers.get("client-request-id") or str(uuid.uuid4()),
        }
        body = {"error": {"code": self.code, "message": self.message, "innerError": inner}}
        return web.json_response(body, status=self.status, headers=self.headers)


def _bad(message: str) -> GraphError:
    return GraphError(400, "BadRequest", message)


def _parse_time(name: str, value: Any) -> datetime:
    if not isinstance(value, str) or not _ISO.match(value):
        raise _bad(f"The value of '{name}' is not a valid ISO 8601 date and time.")
    text = value.replace("Z", "+00:00")
    text = re.sub(r"\.(\d{1,7})", lambda m: "." + m.group(1)[:6].ljust(6, "0"), text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise _bad(f"The value of '{name}' is not a valid ISO 8601 date and time.") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _z(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


@dataclass
class OnlineMeeting:
    id: str
    owner: str
    subject: str
    start: datetime
    end: datetime
    created: datetime
    thread: str
    join_meeting_id: str
    passcode: str = field(repr=False)
    lobby: dict[str, Any] = field(
        default_factory=lambda: {"scope": "organization", "isDialInBypassEnabled": False}
    )
    record: bool = False
    event_id: str | None = None

    @property
    def join_url(self) -> str:
        context = quote(f'{{"Tid":"sandbox-tenant","Oid":"{self.owner}"}}', safe="")
        return (
            "https://teams.microsoft.com/l/meetup-join/"
            f"19%3ameeting_{self.thread}%40thread.v2/0?context={context}"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "@odata.type": "#microsoft.graph.onlineMeeting",
            "id": self.id,
            "creationDateTime": _z(self.created),
            "startDateTime": _z(self.start),
            "endDateTime": _z(self.end),
            "subject": self.subject,
            "joinWebUrl": self.join_url,
            "videoTeleconferenceId": None,
            "recordAutomatically": self.record,
            "lobbyBypassSettings": dict(self.lobby),
            "joinMeetingIdSettings": {
                "isPasscodeRequired": True,
                "joinMeetingId": self.join_meeting_id,
                "passcode": self.passcode,
            },
            "chatInfo": {"threadId": f"19:meeting_{self.thread}@thread.v2", "messageId": "0"},
            "participants": {"organizer": {"identity": {"user": {"id": self.owner}}}},
        }


@dataclass
class Event:
    id: str
    owner: str
    subject: str
    start: dict[str, str]
    end: dict[str, str]
    meeting_id: str

    def as_json(self, meeting: OnlineMeeting) -> dict[str, Any]:
        return {
            "@odata.etag": f'W/"{secrets.token_hex(8)}"',
            "id": self.id,
            "subject": self.subject,
            "start": dict(self.start),
            "end": dict(self.end),
            "isOnlineMeeting": True,
            "onlineMeetingProvider": "teamsForBusiness",
            "onlineMeetingUrl": None,
            "onlineMeeting": {"joinUrl": meeting.join_url, "conferenceId": meeting.join_meeting_id},
            "webLink": f"https://outlook.office365.com/owa/?itemid={quote(self.id)}",
        }


Handler = Callable[[web.Request, TokenRecord, str], Awaitable[web.Response]]


class GraphEmulator:
    """One tenant with one user, their meetings and calendar, and one registered app."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self.faults = Faults()
        self.clock = clock
        self.tenant_id = str(uuid.uuid4())
        self.tenant_domain = "sandbox.onmicrosoft.com"
        self.user_id = str(uuid.uuid4())
        self.client_id = str(uuid.uuid4())
        self.client_secret = secrets.token_urlsafe(30)
        #: delegated OAuth in sandbox mode: no organiser, so golive signs in as the user
        self.options: dict[str, str] = {}
        self.oauth = OAuthServer(
            scopes=DELEGATED_SCOPES,
            authorize_path="/{tenant}/oauth2/v2.0/authorize",
            token_path="/{tenant}/oauth2/v2.0/token",
            expires_in=TOKEN_LIFETIME,
            rotate_refresh_tokens=True,
            subject=self.user_id,
            faults=self.faults,
            clock=clock,
        )
        self.oauth.register_client(self.client_id, self.client_secret, allow_loopback=True)
        #: users the admin granted the application access policy for this app to
        self.policy_users: set[str] = set()
        self.meetings: dict[str, OnlineMeeting] = {}
        self.events: dict[str, Event] = {}
        self.app_grants = 0
        self.requests: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"GraphEmulator(meetings={len(self.meetings)}, events={len(self.events)})"

    @property
    def client(self) -> tuple[str, str]:
        return self.client_id, self.client_secret

    def grant_policy(self, user_id: str | None = None, *, granted: bool = True) -> None:
        """Grant-CsApplicationAccessPolicy for the app to ``user_id`` (default: the user)."""
        user = user_id or self.user_id
        if granted:
            self.policy_users.add(user)
        else:
            self.policy_users.discard(user)

    def endpoints(self, base_url: str) -> Endpoints:
        return Endpoints(
            api_url=base_url + API_PATH,
            auth_url=base_url + "/organizations/oauth2/v2.0/authorize",
            token_url=base_url + "/organizations/oauth2/v2.0/token",
        )

    def app(self) -> web.Application:
        app = web.Application()
        owner = API_PATH + "/{owner:me|users/[^/]+}"
        app.add_routes(
            [
                web.get("/{tenant}/oauth2/v2.0/authorize", self.oauth.handle_authorize),
                web.route("*", "/{tenant}/oauth2/v2.0/token", self.handle_token),
                web.post(owner + "/onlineMeetings", self._api("create", self.create)),
                web.get(owner + "/onlineMeetings", self._api("list", self.list)),
                web.get(owner + "/onlineMeetings/{id}", self._api("get", self.get)),
                web.patch(owner + "/onlineMeetings/{id}", self._api("update", self.update)),
                web.delete(owner + "/onlineMeetings/{id}", self._api("delete", self.delete)),
                web.post(owner + "/events", self._api("event_create", self.event_create)),
                web.patch(owner + "/events/{id}", self._api("event_update", self.event_update)),
                web.delete(owner + "/events/{id}", self._api("event_delete", self.event_delete)),
            ]
        )
        return app

    # -- token endpoint ------------------------------------------------------------------------

    async def handle_token(self, request: web.Request) -> web.Response:
        if request.method == "POST":
            form = dict(parse_qsl(await request.text(), keep_blank_values=True))
            if form.get("grant_type") == "client_credentials":
                return self._client_credentials(request, form)
        return await self.oauth.handle_token(request)

    def _client_credentials(self, request: web.Request, form: dict[str, str]) -> web.Response:
        def refuse(status: int, error: str, code: int, text: str) -> web.Response:
            now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
            trace = str(uuid.uuid4())
            return web.json_response(
                {
                    "error": error,
                    "error_description": f"AADSTS{code}: {text}\r\nTrace ID: {trace}",
                    "error_codes": [code],
                    "timestamp": now,
                    "trace_id": trace,
                    "correlation_id": str(uuid.uuid4()),
                },
                status=status,
                headers={"Cache-Control": "no-store"},
            )

        tenant = request.match_info["tenant"]
        if tenant.lower() in _PLACEHOLDER_TENANTS:
            return refuse(
                400,
                "invalid_request",
                90002,
                f"Tenant '{tenant}' cannot be used with the client credentials flow; use the "
                "tenant id or domain.",
            )
        if tenant not in (self.tenant_id, self.tenant_domain):
            return refuse(400, "invalid_request", 90002, f"Tenant '{tenant}' not found.")
        if form.get("client_id") != self.client_id:
            return refuse(
                400, "unauthorized_client", 700016, "Application was not found in the directory."
            )
        secret = form.get("client_secret") or ""
        if not secrets.compare_digest(secret, self.client_secret):
            return refuse(401, "invalid_client", 7000215, "Invalid client secret provided.")
        scope = form.get("scope") or ""
        if scope != DEFAULT_SCOPE:
            return refuse(
                400,
                "invalid_scope",
                1002012,
                f"The provided value for scope {scope} is not valid. Client credential flows "
                "must have a scope value with /.default suffixed to the resource identifier.",
            )
        if self.faults.refuse_refresh:
            return refuse(400, "unauthorized_client", 7000112, "Application is disabled.")
        issued = self.oauth.issue_tokens(
            self.client_id, APP_ROLES, subject="app:" + self.client_id, refresh=False
        )
        self.app_grants += 1
        body = {
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME,
            "ext_expires_in": TOKEN_LIFETIME,
            "access_token": issued["access_token"],
        }
        return web.json_response(body, headers={"Cache-Control": "no-store"})

    # -- the API frame -------------------------------------------------------------------------

    def _api(self, method: str, handler: Handler) -> Callable[[web.Request], Awaitable[Any]]:
        async def route(request: web.Request) -> web.Response:
            self.requests[method] = self.requests.get(method, 0) + 1
            await self.faults.delay()
            try:
                header = request.headers.get("Authorization", "")
                if not header.lower().startswith("bearer "):
                    raise GraphError(401, "InvalidAuthenticationToken", "Access token is empty.")
                record = self.oauth.check_bearer(request)
                if record is None:
                    raise GraphError(
                        401,
                        "InvalidAuthenticationToken",
                        "Lifetime validation failed, the token is expired.",
                    )
                if self.faults.take_rate_limit():
                    raise GraphError(
                        429, "TooManyRequests", "Please retry again later.", {"Retry-After": "1"}
                    )
                if self.faults.take_error():
                    raise GraphError(
                        503, "serviceNotAvailable", "Service unavailable.", {"Retry-After": "1"}
                    )
                owner = self._authorize(request, record, method)
                return await handler(request, record, owner)
            except GraphError as exc:
                return exc.response(request)

        return route

    def _authorize(self, request: web.Request, record: TokenRecord, method: str) -> str:
        """Who the call acts for, after Graph's permission and access-policy checks."""
        raw = request.match_info["owner"]
        app = record.subject.startswith("app:")
        events = method.startswith("event")
        if raw == "me":
            if app:
                raise _bad("/me request is only valid with delegated authentication flow.")
            needed = "Calendars.ReadWrite" if events else "OnlineMeetings.ReadWrite"
            if needed not in record.scopes:
                raise GraphError(403, "Forbidden", f"Missing scope permissions: {needed}.")
            return record.subject
        user = raw.removeprefix("users/")
        if user != self.user_id:
            raise GraphError(404, "ResourceNotFound", f"User '{user}' was not found.")
        if app:
            if events:
                if "Calendars.ReadWrite" not in record.scopes:
                    raise GraphError(403, "ErrorAccessDenied", "Access is denied.")
            elif user not in self.policy_users:
                action = "Create" if method == "create" else "access"
                raise GraphError(
                    403,
                    "Forbidden",
                    f"App {self.client_id} is not authorized to {action} meeting on behalf of "
                    f"user {user}. No application access policy found for this app.",
                )
        elif user != record.subject:
            raise GraphError(403, "Forbidden", "Access is denied.")
        return user

    @staticmethod
    async def _json(request: web.Request) -> dict[str, Any]:
        if request.content_type != "application/json":
            raise GraphError(415, "UnsupportedMediaType", "Content-Type must be application/json.")
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise _bad("Invalid request body: a JSON object is expected.")
        return body

    @staticmethod
    def _unknown(body: dict[str, Any], known: frozenset[str], type_name: str) -> None:
        for name in body:
            if name not in known and not name.startswith("@odata."):
                raise _bad(
                    f"The property '{name}' does not exist on type 'microsoft.graph.{type_name}'. "
                    "Make sure to only use property names that are defined by the type."
                )

    # -- online meetings -----------------------------------------------------------------------

    def _meeting_fields(
        self, request: web.Request, body: dict[str, Any], creating: bool
    ) -> dict[str, Any]:
        self._unknown(body, MEETING_PROPERTIES, "onlineMeeting")
        fields: dict[str, Any] = {}
        has_start, has_end = "startDateTime" in body, "endDateTime" in body
        if creating and not (has_start and has_end):
            raise _bad(
                "startDateTime and endDateTime are required when creating an online meeting."
            )
        if has_start != has_end:
            raise _bad("startDateTime and endDateTime must be updated together.")
        if has_start:
            start = _parse_time("startDateTime", body["startDateTime"])
            end = _parse_time("endDateTime", body["endDateTime"])
            if end <= start:
                raise _bad("endDateTime must be after startDateTime.")
            fields["start"], fields["end"] = start, end
        if "subject" in body:
            if not isinstance(body["subject"], str):
                raise _bad("Cannot convert the literal to the expected type 'Edm.String'.")
            fields["subject"] = body["subject"]
        if "recordAutomatically" in body:
            if not isinstance(body["recordAutomatically"], bool):
                raise _bad("Cannot convert the literal to the expected type 'Edm.Boolean'.")
            fields["record"] = body["recordAutomatically"]
        if "lobbyBypassSettings" in body:
            lobby = body["lobbyBypassSettings"]
            if not isinstance(lobby, dict) or set(lobby) - {"scope", "isDialInBypassEnabled"}:
                raise _bad("Invalid lobbyBypassSettings.")
            scope = lobby.get("scope")
            prefer = "include-unknown-enum-members" in request.headers.get("Prefer", "")
            allowed = LOBBY_SCOPES | (EVOLVED_LOBBY_SCOPES if prefer else frozenset())
            if scope is not None and scope not in allowed:
                raise _bad(
                    f"Requested value '{scope}' was not found in the enum "
                    "'microsoft.graph.lobbyBypassScope'."
                )
            fields["lobby"] = lobby
        return fields

    def _meeting(self, request: web.Request, owner: str) -> OnlineMeeting:
        meeting = self.meetings.get(request.match_info["id"])
        if meeting is None or meeting.owner != owner:
            raise GraphError(404, "NotFound", "The specified online meeting was not found.")
        return meeting

    def _new_meeting(self, owner: str, fields: dict[str, Any]) -> OnlineMeeting:
        now = datetime.fromtimestamp(self.clock(), UTC)
        meeting = OnlineMeeting(
            id="MSo" + secrets.token_urlsafe(24),
            owner=owner,
            subject=fields.get("subject", ""),
            start=fields["start"],
            end=fields["end"],
            created=now,
            thread=secrets.token_urlsafe(30).replace("-", "A").replace("_", "B"),
            join_meeting_id=str(secrets.randbelow(9 * 10**11) + 10**11),
            passcode=secrets.token_urlsafe(5)[:6],
            record=fields.get("record", False),
        )
        if "lobby" in fields:
            meeting.lobby.update(fields["lobby"])
        self.meetings[meeting.id] = meeting
        return meeting

    async def create(self, request: web.Request, record: TokenRecord, owner: str) -> web.Response:
        fields = self._meeting_fields(request, await self._json(request), creating=True)
        return web.json_response(self._new_meeting(owner, fields).as_json(), status=201)

    async def get(self, request: web.Request, record: TokenRecord, owner: str) -> web.Response:
        return web.json_response(self._meeting(request, owner).as_json())

    async def list(self, request: web.Request, record: TokenRecord, owner: str) -> web.Response:
        flt = request.query.get("$filter")
        match = re.fullmatch(r"JoinWebUrl eq '(.*)'", flt or "", flags=re.IGNORECASE)
        if match is None:
            raise _bad("This API requires $filter=JoinWebUrl eq '{joinWebUrl}'.")
        url = match.group(1).replace("''", "'")
        found = [
            m.as_json() for m in self.meetings.values() if m.owner == owner and m.join_url == url
        ]
        return web.json_response({"value": found})

    async def update(self, request: web.Request, record: TokenRecord, owner: str) -> web.Response:
        meeting = self._meeting(request, owner)
        fields = self._meeting_fields(request, await self._json(request), creating=False)
        meeting.subject = fields.get("subject", meeting.subject)
        meeting.start = fields.get("start", meeting.start)
        meeting.end = fields.get("end", meeting.end)
        meeting.record = fields.get("record", meeting.record)
        if "lobby" in fields:
            meeting.lobby.update(fields["lobby"])
        return web.json_response(meeting.as_json())

    async def delete(self, request: web.Request, record: TokenRecord, owner: str) -> web.Response:
        meeting = self._meeting(request, owner)
        del self.meetings[meeting.id]
        return web.Response(status=204)

    # -- events --------------------------------------------------------------------------------

    def _event_fields(self, body: dict[str, Any], creating: bool) -> dict[str, Any]:
        self._unknown(body, EVENT_PROPERTIES, "event")
        for name in ("start", "end"):
            if name in body:
                value = body[name]
                if (
                    not isinstance(value, dict)
                    or not value.get("dateTime")
                    or not value.get("timeZone")
                ):
                    raise _bad(f"'{name}' must be a dateTimeTimeZone with dateTime and timeZone.")
                _parse_time(f"{name}.dateTime", value["dateTime"])
        if creating and not ("start" in body and "end" in body):
            raise _bad("Your request can't be completed. An event needs a start and an end.")
        both = "start" in body and "end" in body
        if both and _parse_time("end", body["end"]["dateTime"]) <= _parse_time(
            "start", body["start"]["dateTime"]
        ):
            raise GraphError(
                400, "ErrorInvalidRequest", "The end of the event must be after its start."
            )
        provider = body.get("onlineMeetingProvider")
        if provider is not None and provider not in ONLINE_PROVIDERS:
            raise _bad(f"Requested value '{provider}' was not found in the enum.")
        if creating and (body.get("isOnlineMeeting") is not True or provider != "teamsForBusiness"):
            raise _bad("The sandbox calendar only holds Teams online events.")
        return body

    def _event(self, request: web.Request, owner: str) -> Event:
        event = self.events.get(request.match_info["id"])
        if event is None or event.owner != owner:
            raise GraphError(
                404, "ErrorItemNotFound", "The specified object was not found in the store."
            )
        return event

    async def event_create(
        self, request: web.Request, record: TokenRecord, owner: str
    ) -> web.Response:
        body = self._event_fields(await self._json(request), creating=True)
        start = _parse_time("start", body["start"]["dateTime"])
        end = _parse_time("end", body["end"]["dateTime"])
        meeting = self._new_meeting(
            owner, {"subject": body.get("subject", ""), "start": start, "end": end}
        )
        event = Event(
            id="AAMk" + secrets.token_urlsafe(32),
            owner=owner,
            subject=body.get("subject", ""),
            start=body["start"],
            end=body["end"],
            meeting_id=meeting.id,
        )
        meeting.event_id = event.id
        self.events[event.id] = event
        return web.json_response(event.as_json(meeting), status=201)

    async def event_update(
        self, request: web.Request, record: TokenRecord, owner: str
    ) -> web.Response:
        event = self._event(request, owner)
        body = self._event_fields(await self._json(request), creating=False)
        meeting = self.meetings[event.meeting_id]
        event.subject = body.get("subject", event.subject)
        event.start = body.get("start", event.start)
        event.end = body.get("end", event.end)
        meeting.subject = event.subject
        meeting.start = _parse_time("start", event.start["dateTime"])
        meeting.end = _parse_time("end", event.end["dateTime"])
        return web.json_response(event.as_json(meeting))

    async def event_delete(
        self, request: web.Request, record: TokenRecord, owner: str
    ) -> web.Response:
        event = self._event(request, owner)
        del self.events[event.id]
        self.meetings.pop(event.meeting_id, None)
        return web.Response(status=204)
