"""Microsoft Teams meetings through Microsoft Graph v1.0.

Two ways in, chosen by configuration (``auth_style_for``):

- delegated OAuth (authorization code with PKCE) as the signed-in work or school user, who
  becomes the organiser: ``/me/onlineMeetings``;
- application permissions when ``GOLIVE_TEAMS_ORGANIZER_ID`` is set: the client-credentials
  grant against the tenant's token endpoint, acting for that organiser through
  ``/users/{id}/onlineMeetings``. Graph refuses that route until the tenant admin has created an
  application access policy naming the app and granted it to the organiser, so a 403 there is
  turned into the exact PowerShell the admin runs (see docs/platforms/teams.md).

With ``GOLIVE_TEAMS_CALENDAR=true`` golive creates a calendar event with ``isOnlineMeeting`` and
``onlineMeetingProvider: teamsForBusiness`` instead, so the meeting also shows in the
organiser's calendar; its link is the event's ``onlineMeeting.joinUrl``.

Pages followed:
- https://learn.microsoft.com/graph/api/application-post-onlinemeetings (201, delegated
  ``OnlineMeetings.ReadWrite`` on ``/me``, application ``OnlineMeetings.ReadWrite.All`` on
  ``/users/{userId}`` only with an application access policy; personal accounts unsupported)
- https://learn.microsoft.com/graph/api/onlinemeeting-update (PATCH, 200 with the meeting;
  start and end always sent together) and onlinemeeting-delete (204)
- https://learn.microsoft.com/graph/api/resources/lobbybypasssettings (scope values;
  ``invited`` and ``organizationExcludingGuests`` need ``Prefer: include-unknown-enum-members``)
- https://learn.microsoft.com/graph/cloud-communication-online-meeting-application-access-policy
  (New-CsApplicationAccessPolicy, Grant-CsApplicationAccessPolicy, up to 30 minutes to apply)
- https://learn.microsoft.com/graph/api/user-post-events and
  https://learn.microsoft.com/graph/outlook-calendar-online-meetings (the calendar route)
- https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow (tenant
  in GUID or domain form, scope ``https://graph.microsoft.com/.default``, error JSON)
- https://learn.microsoft.com/graph/errors and https://learn.microsoft.com/graph/throttling
  (OData error envelope; 429 and 503 with ``Retry-After``)
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
    NotSupported,
    PlatformError,
    RateLimited,
    Unavailable,
)
from providers.http import ErrorInfo, PlatformHttp, parse_retry_after

LOGIN = "https://login.microsoftonline.com"
#: online meetings exist only for work or school accounts, so the multi-tenant default is
#: ``organizations`` (``common`` would also offer personal accounts, which Graph refuses)
DEFAULT_TENANT = "organizations"
GRAPH_DEFAULT_SCOPE = "https://graph.microsoft.com/.default"
DELEGATED_SCOPES = ("OnlineMeetings.ReadWrite", "offline_access")
CALENDAR_SCOPE = "Calendars.ReadWrite"
LOBBY_SCOPES = (
    "organizer",
    "organization",
    "organizationAndFederated",
    "organizationExcludingGuests",
    "invited",
    "everyone",
)
#: members of Graph's evolvable enum that are only accepted with the Prefer header below
_EVOLVED = frozenset({"invited", "organizationExcludingGuests"})
SETTINGS = ("lobby_bypass", "record")
SUBJECT_MAX = 255
DOCS = "docs/platforms/teams.md"
_TENANT = re.compile(r"^[A-Za-z0-9.\-]+$")
_PLACEHOLDER_TENANTS = frozenset({"common", "organizations", "consumers"})


def graph_time(when: datetime) -> str:
    """ISO 8601 in UTC, as Graph answers it; naive times are taken as UTC."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


def policy_explanation(app_id: str | None, organizer_id: str) -> str:
    """What the tenant admin runs so the app may act for the organiser (one sentence each)."""
    app = app_id or "<GOLIVE_TEAMS_CLIENT_ID>"
    return (
        "Microsoft Graph refused to act for the organiser "
        f"{organizer_id}: the tenant has no application access policy for this app. A Teams "
        "administrator runs, in PowerShell with the MicrosoftTeams module "
        "(Connect-MicrosoftTeams): "
        f'New-CsApplicationAccessPolicy -Identity golive-meetings -AppIds "{app}" '
        '-Description "golive meetings", then '
        f'Grant-CsApplicationAccessPolicy -PolicyName golive-meetings -Identity "{organizer_id}"'
        " (or -Global for every user). It can take up to 30 minutes to apply; see "
        f"{DOCS}."
    )


class Teams(Provider):
    name = "teams"
    display_name = "Microsoft Teams"
    kind = Kind.MEETING
    auth_style = AuthStyle.OAUTH_PKCE
    default_endpoints = Endpoints(
        api_url="https://graph.microsoft.com/v1.0",
        auth_url=f"{LOGIN}/{DEFAULT_TENANT}/oauth2/v2.0/authorize",
        token_url=f"{LOGIN}/{DEFAULT_TENANT}/oauth2/v2.0/token",
    )
    scopes = DELEGATED_SCOPES
    capabilities = frozenset(
        {
            Capability.CREATE_MEETING,
            Capability.UPDATE_MEETING,
            Capability.DELETE_MEETING,
            Capability.RECORDING,
        }
    )
    rate_limit = (4, 1.0)
    option_names: ClassVar[tuple[str, ...]] = ("tenant_id", "organizer_id", "calendar")
    link_domains: ClassVar[tuple[str, ...]] = ("teams.microsoft.com",)

    def __init__(self, config: PlatformConfig, http: PlatformHttp) -> None:
        self.config = config
        self.http = http
        app_id = config.client_id

        def parse(response: httpx.Response) -> ErrorInfo:
            return Teams.parse_error(response, app_id=app_id)

        http.parse_error = parse  # the policy explanation names this app's id

    def __repr__(self) -> str:
        return f"Teams(api_url={self.http.base_url!r}, style={self.auth_style_for(self.config)})"

    # -- configuration -------------------------------------------------------------------------

    @staticmethod
    def _organizer(config: PlatformConfig) -> str | None:
        return (config.options.get("organizer_id") or "").strip() or None

    @staticmethod
    def _calendar(config: PlatformConfig) -> bool:
        raw = (config.options.get("calendar") or "").strip()
        return bool(raw) and setting_flag("teams", "calendar", raw)

    @classmethod
    def auth_style_for(cls, config: PlatformConfig) -> AuthStyle:
        """Application permissions when an organiser is configured, delegated OAuth otherwise."""
        if cls._organizer(config):
            return AuthStyle.CLIENT_CREDENTIALS
        return AuthStyle.OAUTH_PKCE

    @classmethod
    def scopes_for(cls, config: PlatformConfig) -> tuple[str, ...]:
        """The calendar route also needs Calendars.ReadWrite; nothing more is asked for."""
        return (*DELEGATED_SCOPES, CALENDAR_SCOPE) if cls._calendar(config) else DELEGATED_SCOPES

    @classmethod
    def tenant_token_url(cls, config: PlatformConfig) -> str:
        """The token endpoint of the configured tenant (a client-credentials grant needs one)."""
        tenant = (config.options.get("tenant_id") or "").strip()
        if not tenant or tenant.lower() in _PLACEHOLDER_TENANTS or not _TENANT.fullmatch(tenant):
            raise InvalidRequest(
                cls.name,
                "acting for an organiser with application permissions needs the directory "
                "tenant: set GOLIVE_TEAMS_TENANT_ID to the tenant id (a GUID) or its domain",
            )
        token_url = config.endpoints.token_url or cls.default_endpoints.token_url or ""
        match = re.match(r"^(https?://[^/]+)/[^/]+(/oauth2/v2\.0/token)$", token_url)
        if match is None:
            return token_url  # an explicit override that does not follow the tenant layout
        return f"{match.group(1)}/{quote(tenant, safe='')}{match.group(2)}"

    @classmethod
    async def app_token(cls, config: PlatformConfig, client: httpx.AsyncClient) -> Credentials:
        """The client-credentials grant for Graph's application permissions."""
        token_url = cls.tenant_token_url(config)
        if not config.client_id or config.client_secret is None:
            raise AuthExpired(
                cls.name, "set GOLIVE_TEAMS_CLIENT_ID and GOLIVE_TEAMS_CLIENT_SECRET for the app"
            )
        form = {
            "client_id": config.client_id,
            "client_secret": config.client_secret.get_secret_value(),
            "scope": GRAPH_DEFAULT_SCOPE,
            "grant_type": "client_credentials",
        }
        try:
            response = await client.post(
                token_url, data=form, headers={"Accept": "application/json"}
            )
        except httpx.TransportError as exc:
            raise Unavailable(cls.name, "the Microsoft identity platform did not answer") from exc
        if response.status_code != 200:
            raise _token_error(response)
        try:
            body = response.json()
            token = str(body["access_token"])
            expires_in = float(body["expires_in"])
        except (ValueError, KeyError, TypeError) as exc:
            raise Unavailable(cls.name, "the token endpoint sent no usable token") from exc
        return Credentials(
            access_token=SecretStr(token),
            expires_at=datetime.now(UTC) + timedelta(seconds=expires_in),
            scopes=(GRAPH_DEFAULT_SCOPE,),
        )

    @classmethod
    def check_settings(cls, settings: Mapping[str, str]) -> None:
        unknown = sorted(set(settings) - set(SETTINGS))
        if unknown:
            raise InvalidRequest(
                cls.name,
                f"Microsoft Teams has no setting {', '.join(unknown)}; "
                f"the settings are {', '.join(SETTINGS)}",
            )
        scope = settings.get("lobby_bypass")
        if scope is not None and scope not in LOBBY_SCOPES:
            raise InvalidRequest(
                cls.name, f"Teams lobby_bypass must be one of {', '.join(LOBBY_SCOPES)}"
            )
        if "record" in settings:
            setting_flag("teams", "record", settings["record"])

    # -- errors --------------------------------------------------------------------------------

    @staticmethod
    def parse_error(response: httpx.Response, app_id: str | None = None) -> ErrorInfo:
        """Graph's ``{"error": {"code", "message", "innerError": {...}}}``."""
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            code = str(error.get("code") or "") or None
            message = str(error.get("message") or f"HTTP {status}")
        else:
            code, message = None, f"HTTP {status} {response.reason_phrase}".strip()
        kind: type[PlatformError] | None = None
        if status == 429 or code in ("TooManyRequests", "activityLimitReached"):
            kind = RateLimited
        elif status == 401 or code in ("InvalidAuthenticationToken", "unauthenticated"):
            kind = AuthExpired
        elif status >= 500:
            kind = Unavailable
        elif status == 403:
            path = response.request.url.path if response.request is not None else ""
            found = re.search(r"/users/([^/]+)/onlineMeetings", path)
            if found:
                return ErrorInfo(policy_explanation(app_id, found.group(1)), code=code)
            if re.search(r"/users/[^/]+/events", path):
                message = (
                    f"{message} — the app needs the Calendars.ReadWrite application permission "
                    f"with admin consent for the calendar route; see {DOCS}"
                )
        retry = parse_retry_after(response.headers.get("Retry-After"))
        return ErrorInfo(message, code=code, kind=kind, retry_after=retry)

    # -- meetings ------------------------------------------------------------------------------

    def _owner(self, data: Mapping[str, str] | None = None) -> str:
        organizer = (data or {}).get("organizer_id") or self._organizer(self.config)
        return f"users/{quote(organizer, safe='')}" if organizer else "me"

    @staticmethod
    def _window(request: MeetingRequest) -> tuple[datetime, datetime]:
        start = request.start or datetime.now(UTC)
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        return start, start + timedelta(minutes=max(1, request.duration_minutes))

    def _meeting_body(self, request: MeetingRequest) -> tuple[dict[str, Any], dict[str, str]]:
        self.check_settings(request.settings)
        start, end = self._window(request)
        body: dict[str, Any] = {
            "subject": _subject(request.title),
            "startDateTime": graph_time(start),
            "endDateTime": graph_time(end),
        }
        body.update(self._options(request))
        headers = {}
        scope = request.settings.get("lobby_bypass")
        if scope in _EVOLVED:
            headers["Prefer"] = "include-unknown-enum-members"
        return body, headers

    @staticmethod
    def _options(request: MeetingRequest) -> dict[str, Any]:
        options: dict[str, Any] = {}
        scope = request.settings.get("lobby_bypass")
        if scope:
            options["lobbyBypassSettings"] = {"scope": scope}
        record = request.record
        if "record" in request.settings:
            record = record or setting_flag("teams", "record", request.settings["record"])
        if record or "record" in request.settings:
            options["recordAutomatically"] = record
        return options

    def _event_body(self, request: MeetingRequest) -> dict[str, Any]:
        self.check_settings(request.settings)
        start, end = self._window(request)
        return {
            "subject": _subject(request.title),
            "start": {
                "dateTime": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                "timeZone": "UTC",
            },
            "end": {
                "dateTime": end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                "timeZone": "UTC",
            },
            "isOnlineMeeting": True,
            "onlineMeetingProvider": "teamsForBusiness",
        }

    async def create_meeting(self, request: MeetingRequest) -> MeetingHandle:
        owner = self._owner()
        if self._calendar(self.config):
            event = await self.http.json("POST", f"{owner}/events", json=self._event_body(request))
            handle = self._event_handle(event, owner)
            await self._apply_options(handle, request)
            return handle
        body, headers = self._meeting_body(request)
        meeting = await self.http.json(
            "POST", f"{owner}/onlineMeetings", json=body, headers=headers
        )
        return self._meeting_handle(meeting, owner)

    async def update_meeting(self, handle: MeetingHandle, request: MeetingRequest) -> MeetingHandle:
        owner = handle.data.get("owner") or self._owner()
        if handle.data.get("kind") == "event":
            event = await self.http.json(
                "PATCH",
                f"{owner}/events/{quote(handle.remote_id, safe='')}",
                json=self._event_body(request),
            )
            fresh = self._event_handle(event, owner)
            await self._apply_options(fresh, request)
            return fresh
        body, headers = self._meeting_body(request)
        meeting = await self.http.json(
            "PATCH",
            f"{owner}/onlineMeetings/{quote(handle.remote_id, safe='')}",
            json=body,
            headers=headers,
        )
        return self._meeting_handle(meeting, owner)

    async def delete_meeting(self, handle: MeetingHandle) -> None:
        owner = handle.data.get("owner") or self._owner()
        collection = "events" if handle.data.get("kind") == "event" else "onlineMeetings"
        try:
            await self.http.request(
                "DELETE", f"{owner}/{collection}/{quote(handle.remote_id, safe='')}"
            )
        except InvalidRequest as exc:
            if exc.status == 404:
                return  # already gone: cancelling twice is not an error
            raise

    async def _apply_options(self, handle: MeetingHandle, request: MeetingRequest) -> None:
        """An event cannot carry lobby or recording options: find its online meeting by the
        join link (Graph's documented ``$filter=JoinWebUrl eq ...``) and PATCH that."""
        options = self._options(request)
        if not options:
            return
        owner = handle.data["owner"]
        escaped = handle.join_url.replace("'", "''")
        found = await self.http.json(
            "GET", f"{owner}/onlineMeetings", params={"$filter": f"JoinWebUrl eq '{escaped}'"}
        )
        items = found.get("value") if isinstance(found, dict) else None
        if not items:
            raise NotSupported(
                self.name,
                "the calendar event's Teams meeting could not be found to set lobby or recording",
            )
        meeting_id = str(items[0]["id"])
        headers = {}
        if request.settings.get("lobby_bypass") in _EVOLVED:
            headers["Prefer"] = "include-unknown-enum-members"
        await self.http.json(
            "PATCH",
            f"{owner}/onlineMeetings/{quote(meeting_id, safe='')}",
            json=options,
            headers=headers,
        )
        handle.data["online_meeting_id"] = meeting_id

    def _meeting_handle(self, meeting: Any, owner: str) -> MeetingHandle:
        if not isinstance(meeting, dict) or not meeting.get("id") or not meeting.get("joinWebUrl"):
            raise Unavailable(self.name, "Graph answered without a meeting id and joinWebUrl")
        data = {"kind": "onlineMeeting", "owner": owner}
        passcode = (meeting.get("joinMeetingIdSettings") or {}).get("passcode")
        meeting_id = (meeting.get("joinMeetingIdSettings") or {}).get("joinMeetingId")
        if meeting_id:
            data["join_meeting_id"] = str(meeting_id)
        return MeetingHandle(
            remote_id=str(meeting["id"]),
            join_url=str(meeting["joinWebUrl"]),
            passcode=SecretStr(str(passcode)) if passcode else None,
            data=data,
        )

    def _event_handle(self, event: Any, owner: str) -> MeetingHandle:
        online = event.get("onlineMeeting") if isinstance(event, dict) else None
        join_url = (online or {}).get("joinUrl")
        if not isinstance(event, dict) or not event.get("id") or not join_url:
            raise Unavailable(
                self.name,
                "the calendar event came back without a Teams link: the organiser's calendar "
                "may not allow teamsForBusiness meetings",
            )
        return MeetingHandle(
            remote_id=str(event["id"]),
            join_url=str(join_url),
            data={"kind": "event", "owner": owner},
        )


def _subject(title: str) -> str:
    subject = title.strip() or "Meeting"
    return subject if len(subject) <= SUBJECT_MAX else subject[: SUBJECT_MAX - 1].rstrip() + "…"


def _token_error(response: httpx.Response) -> PlatformError:
    """The identity platform speaks ``{"error", "error_description", "error_codes", ...}``."""
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    code = body.get("error")
    description = str(body.get("error_description") or f"HTTP {status}").split("\r\n")[0]
    message = f"Microsoft Entra ID refused the app credentials: {description}"
    if status == 429:
        retry = parse_retry_after(response.headers.get("Retry-After"))
        return RateLimited("teams", message, retry_after=retry, code=code, status=status)
    if status >= 500:
        return Unavailable("teams", "the token endpoint failed", code=code, status=status)
    if status == 401 or code in ("invalid_client", "unauthorized_client"):
        return AuthExpired("teams", message, code=code, status=status)
    return InvalidRequest("teams", message, code=code, status=status)


PROVIDER = Teams
