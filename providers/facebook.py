"""Facebook Live on Pages through the Graph API.

A golive broadcast on Facebook is one ``LiveVideo`` on a Page. It is created on the Page with a
*Page* access token, which golive derives from the connected admin's *User* token and keeps in
memory only (never stored, never logged). The create answer carries ``secure_stream_url``
(``rtmps://…/rtmp/<stream key>``), which golive splits into the ingest address and the key.

Lifecycle as golive drives it:

- create now: ``status=UNPUBLISHED`` (Facebook accepts the encoder's stream as a preview and
  publishes nothing); ``LIVE_NOW`` at creation would publish the moment the encoder connects,
  before anyone typed ``/golive start``, so golive leaves that to ``start``;
- create scheduled: ``status=SCHEDULED_UNPUBLISHED`` with ``planned_start_time`` (a UNIX
  timestamp, at most seven days ahead);
- start: ``POST /{live-video-id}`` with ``status=LIVE_NOW``; Facebook shows it as ``LIVE`` while
  the encoder sends;
- stop: ``POST /{live-video-id}`` with ``end_live_video=true``; one that never went live is
  deleted instead, so no unpublished draft lingers on the Page.

Tokens: Facebook issues no refresh token. The dialog's code gives a short-lived User token
(about two hours); golive exchanges it once for a long-lived one (``grant_type=
fb_exchange_token``, about 60 days) and stores that. Page tokens derived from a long-lived User
token have no expiry. When the User token has expired or was revoked (Graph error code 190),
nothing can renew it: the admin connects Facebook again (:data:`RECONNECT`).

Pages followed:
- https://developers.facebook.com/docs/live-video-api/guides/streaming (Page token with
  ``pages_read_engagement`` and ``pages_manage_posts``, ``secure_stream_url``, ending)
- https://developers.facebook.com/docs/live-video-api/guides/scheduling
- https://developers.facebook.com/docs/graph-api/reference/live-video (fields, update params,
  ``status`` values)
- https://developers.facebook.com/docs/pages-api/manage-pages (``/me/accounts`` page tokens)
- https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived
- https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow (dialog and
  code exchange; PKCE is offered for manually built flows, so golive sends S256 as everywhere)
- https://developers.facebook.com/docs/graph-api/reference/comment ("Deleting": ``DELETE
  /{comment-id}`` with a Page token and ``pages_manage_engagement``; "Updating": ``is_hidden``)
- https://developers.facebook.com/docs/graph-api/reference/page/blocked (``POST`` / ``DELETE
  /{page-id}/blocked`` with ``user``, a Page token)
- https://developers.facebook.com/docs/graph-api/guides/error-handling (error envelope, codes)
- https://developers.facebook.com/docs/graph-api/overview/rate-limiting (codes 4, 17, 32, 613)

Secrets never travel in URLs: tokens go in the ``Authorization`` header and the token exchange
in a form body, so an access log or an httpx debug line cannot show them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import SecretStr

from providers.base import (
    AuthStyle,
    BroadcastHandle,
    BroadcastRequest,
    BroadcastState,
    Capability,
    Credentials,
    Endpoints,
    Kind,
    PlatformConfig,
    Provider,
)
from providers.errors import (
    AuthExpired,
    InvalidRequest,
    NotSupported,
    PlatformError,
    RateLimited,
    Unavailable,
)
from providers.http import ErrorInfo, PlatformHttp, StaticToken, StoredToken, generic_error

API_URL = "https://graph.facebook.com/v26.0"
WATCH_BASE = "https://www.facebook.com"
RECONNECT = (
    "the Facebook sign-in expired or was revoked (Facebook issues no refresh token): "
    "connect Facebook again with /platforms connect facebook"
)
WAITING_FOR_ENCODER = "Facebook publishes it as soon as the encoder sends"
#: scheduled broadcasts may be planned at most this far ahead (scheduling guide)
MAX_SCHEDULE_AHEAD = timedelta(days=7)
#: a User token lasting less than this is the dialog's short-lived one and is exchanged
LONG_LIVED_AFTER = timedelta(days=2)

_RATE_CODES = frozenset({4, 17, 32, 613, 80001})
_TRANSIENT_CODES = frozenset({1, 2})

_STATES: dict[str, BroadcastState] = {
    "UNPUBLISHED": BroadcastState.READY,
    "SCHEDULED_UNPUBLISHED": BroadcastState.READY,
    "SCHEDULED_LIVE": BroadcastState.READY,
    "LIVE": BroadcastState.LIVE,
    "LIVE_STOPPED": BroadcastState.ENDED,
    "PROCESSING": BroadcastState.ENDED,
    "VOD": BroadcastState.ENDED,
    "SCHEDULED_EXPIRED": BroadcastState.FAILED,
    "SCHEDULED_CANCELED": BroadcastState.FAILED,
}
_NEVER_LIVE = frozenset({"UNPUBLISHED", "SCHEDULED_UNPUBLISHED", "SCHEDULED_LIVE"})
_VIDEO_FIELDS = "id,status,permalink_url,title,planned_start_time,live_views"


def split_stream_url(url: str) -> tuple[str, str]:
    """``rtmps://host:443/rtmp/FB-1-0-Ab…`` -> (``rtmps://host:443/rtmp/``, ``FB-1-0-Ab…``).

    The key is everything after the ``/rtmp/`` application path (it may carry its own query
    string); OBS wants the two apart."""
    marker = url.find("/rtmp/")
    cut = marker + len("/rtmp/") if marker >= 0 else url.rfind("/") + 1
    return url[:cut], url[cut:]


def watch_link(permalink: str | None) -> str | None:
    """Graph answers ``permalink_url`` relative (``/{page}/videos/{id}/``) or absolute."""
    if not permalink:
        return None
    if permalink.startswith("/"):
        return WATCH_BASE + permalink
    if permalink.startswith("https://") and (
        permalink.startswith(WATCH_BASE + "/") or ".facebook.com/" in permalink
    ):
        return permalink
    return None


class Facebook(Provider):
    name = "facebook"
    display_name = "Facebook"
    kind = Kind.LIVESTREAM
    auth_style = AuthStyle.OAUTH_PKCE
    default_endpoints = Endpoints(
        api_url=API_URL,
        auth_url="https://www.facebook.com/v26.0/dialog/oauth",
        token_url="https://graph.facebook.com/v26.0/oauth/access_token",
    )
    #: ``pages_manage_engagement`` lets golive delete and hide comments on the Page's videos
    scopes = (
        "pages_show_list",
        "pages_read_engagement",
        "pages_manage_posts",
        "pages_manage_engagement",
    )
    # Moderation: delete a comment and block its author from the Page (ban, unban). Facebook
    # has no time-out, so none is offered.
    capabilities = frozenset(
        {
            Capability.CREATE_BROADCAST,
            Capability.START_BROADCAST,
            Capability.STOP_BROADCAST,
            Capability.VIEWER_COUNT,
            Capability.CHAT_DELETE,
            Capability.BAN,
        }
    )
    # Page calls fall under Business Use Case limits (thousands a day per Page); this pace
    # keeps a burst of commands far from code 32.
    rate_limit = (10, 1.0)
    #: ``instagram_user_id`` (GOLIVE_FACEBOOK_INSTAGRAM_USER_ID): the Instagram professional
    #: account linked to the Page, whose live comments golive reads with this connection
    option_names = ("page_id", "instagram_user_id")
    per_broadcast_ingest = True
    link_domains = ("facebook.com",)

    def __init__(self, config: PlatformConfig, http: PlatformHttp) -> None:
        self.config = config
        self.http = http
        if http.parse_error is generic_error:
            http.parse_error = self.parse_error
        #: page id -> an http client speaking with that Page's token (memory only)
        self._pages: dict[str, PlatformHttp] = {}

    def __repr__(self) -> str:
        return f"Facebook(api_url={self.http.base_url!r}, pages={sorted(self._pages)!r})"

    @classmethod
    def scopes_for(cls, config: PlatformConfig) -> tuple[str, ...]:
        """With an Instagram account configured, the sign-in also asks what reading its live
        comments needs (providers.chat.instagram)."""
        if config.options.get("instagram_user_id"):
            from providers.chat.instagram import SCOPES as INSTAGRAM_SCOPES

            return (*cls.scopes, *INSTAGRAM_SCOPES)
        return cls.scopes

    # -- settings and errors ---------------------------------------------------------------------

    @classmethod
    def check_settings(cls, settings: Mapping[str, str]) -> None:
        unknown = sorted(set(settings) - {"page"})
        if unknown:
            raise InvalidRequest(
                cls.name, f"Facebook has no setting {', '.join(unknown)}; the one setting is page"
            )
        page = settings.get("page")
        if page is not None and not page.isdigit():
            raise InvalidRequest(
                cls.name, "the Facebook page setting must be the Page's numeric id"
            )

    @staticmethod
    def parse_error(response: httpx.Response) -> ErrorInfo:
        """Graph's ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``."""
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            kind = AuthExpired if status == 401 else None
            return ErrorInfo(f"HTTP {status} {response.reason_phrase}".strip(), kind=kind)
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, str):  # an RFC 6749 token-endpoint answer
            text = body.get("error_description") or error
            kind = AuthExpired if error == "invalid_grant" or status == 401 else None
            return ErrorInfo(str(text), code=error, kind=kind)
        if not isinstance(error, dict):
            return ErrorInfo(f"HTTP {status}", kind=AuthExpired if status == 401 else None)
        try:
            code = int(error.get("code"))
        except (TypeError, ValueError):
            code = None
        message = str(error.get("message") or f"HTTP {status}")
        subcode = error.get("error_subcode")
        kind: type[PlatformError] | None
        if code == 190:
            kind = AuthExpired
        elif code in _RATE_CODES or status == 429:
            kind = RateLimited
        elif code in _TRANSIENT_CODES or status >= 500:
            kind = Unavailable
        elif status == 401:
            kind = AuthExpired
        else:
            kind = InvalidRequest
        label = None if code is None else (f"{code}/{subcode}" if subcode else str(code))
        return ErrorInfo(message, code=label, kind=kind)

    # -- tokens ----------------------------------------------------------------------------------

    async def _user_call(self, method: str, path: str, **kw: Any) -> Any:
        try:
            return await self.http.json(method, path, **kw)
        except AuthExpired as exc:
            raise AuthExpired(self.name, RECONNECT, code=exc.code, status=exc.status) from exc

    async def _ensure_long_lived(self) -> None:
        """Swap the dialog's short-lived User token for a long-lived one, once, and store it."""
        token = self.http.token
        if not isinstance(token, StoredToken):
            return
        current = token.credentials
        if current.extra.get("token_kind") == "long_lived" or current.access_token is None:
            return
        secret = self.config.client_secret
        if not self.config.client_id or secret is None:
            return
        exp = current.expires_at
        if exp is not None and exp - datetime.now(UTC) > LONG_LIVED_AFTER:
            return
        if exp is not None and exp <= datetime.now(UTC):
            raise AuthExpired(self.name, RECONNECT, code="190")
        token_url = self.config.endpoints.token_url or self.http.url("oauth/access_token")
        body = await self._user_call(
            "POST",
            token_url,
            data={
                "grant_type": "fb_exchange_token",
                "client_id": self.config.client_id,
                "client_secret": secret.get_secret_value(),
                "fb_exchange_token": current.access_token.get_secret_value(),
            },
        )
        if not isinstance(body, dict) or not body.get("access_token"):
            raise Unavailable(self.name, "Facebook returned no long-lived token")
        expires_in = body.get("expires_in")
        fresh = Credentials(
            access_token=SecretStr(str(body["access_token"])),
            expires_at=datetime.now(UTC) + timedelta(seconds=float(expires_in))
            if expires_in
            else None,
            scopes=current.scopes,
            extra={**current.extra, "token_kind": "long_lived"},
        )
        token.credentials = fresh
        persist = getattr(token, "_on_refresh", None)  # the connection's save hook
        if persist is not None:
            await persist(fresh)

    def _page_id(self, settings: Mapping[str, str] | None = None) -> str | None:
        return (settings or {}).get("page") or self.config.options.get("page_id") or None

    async def _page(self, page_id: str | None) -> tuple[str, PlatformHttp]:
        """The Page's id and a client that speaks with its Page token."""
        if page_id and page_id in self._pages:
            return page_id, self._pages[page_id]
        await self._ensure_long_lived()
        if page_id:
            body = await self._user_call("GET", page_id, params={"fields": "id,name,access_token"})
            page_token = (body or {}).get("access_token")
            if not page_token:
                raise InvalidRequest(
                    self.name,
                    f"the connected Facebook account cannot publish to Page {page_id}: "
                    "connect as an admin of that Page",
                    code="no_page_token",
                )
        else:
            body = await self._user_call(
                "GET", "me/accounts", params={"fields": "id,name,access_token,tasks"}
            )
            pages = [p for p in (body or {}).get("data") or [] if p.get("access_token")]
            if not pages:
                raise InvalidRequest(
                    self.name,
                    "the connected Facebook account manages no Page: golive streams to Pages",
                    code="no_pages",
                )
            if len(pages) > 1:
                names = ", ".join(f"{p.get('name', '?')} ({p['id']})" for p in pages)
                raise InvalidRequest(
                    self.name,
                    f"the account manages several Pages ({names}): set GOLIVE_FACEBOOK_PAGE_ID "
                    "or the broadcast setting page",
                    code="several_pages",
                )
            page_id, page_token = str(pages[0]["id"]), pages[0]["access_token"]
        page_http = PlatformHttp(
            self.name,
            self.http.base_url,
            client=self.http.client,
            token=StaticToken(self.name, str(page_token)),
            parse_error=self.parse_error,
            pacer=self.http.pacer,
            retry=self.http.retry,
        )
        self._pages[page_id] = page_http
        return page_id, page_http

    async def _page_call(self, page_id: str | None, method: str, path: str, **kw: Any) -> Any:
        """A call with the Page token; a rejected Page token is derived again once."""
        page_id, client = await self._page(page_id)
        try:
            return await client.json(method, path, **kw)
        except AuthExpired:
            self._pages.pop(page_id, None)
        page_id, client = await self._page(page_id)
        try:
            return await client.json(method, path, **kw)
        except AuthExpired as exc:
            raise AuthExpired(self.name, RECONNECT, code=exc.code, status=exc.status) from exc

    # -- reads -----------------------------------------------------------------------------------

    async def _video(self, handle: BroadcastHandle) -> dict[str, Any]:
        return await self._page_call(
            handle.data.get("page_id"),
            "GET",
            handle.remote_id,
            params={"fields": _VIDEO_FIELDS},
        )

    @staticmethod
    def _apply(handle: BroadcastHandle, video: Mapping[str, Any]) -> BroadcastHandle:
        status = str(video.get("status") or "UNPUBLISHED")
        handle.state = _STATES.get(status, BroadcastState.PENDING)
        handle.data["status"] = status
        link = watch_link(video.get("permalink_url"))
        if link:
            handle.watch_url = link
        return handle

    # -- LivestreamProvider --------------------------------------------------------------------

    async def create_broadcast(self, request: BroadcastRequest) -> BroadcastHandle:
        self.check_settings(request.settings)
        form: dict[str, str] = {
            "title": request.title.strip()[:255] or "Live",
            "description": request.description,
        }
        if request.scheduled_start is not None:
            start = request.scheduled_start
            if start.tzinfo is None:
                start = start.replace(tzinfo=UTC)
            ahead = start - datetime.now(UTC)
            if ahead > MAX_SCHEDULE_AHEAD:
                raise InvalidRequest(
                    self.name, "Facebook schedules broadcasts at most 7 days ahead"
                )
            if ahead.total_seconds() > 600:
                form["status"] = "SCHEDULED_UNPUBLISHED"
                form["planned_start_time"] = str(int(start.timestamp()))
            else:
                form["status"] = "UNPUBLISHED"  # too soon to schedule: create it ready now
        else:
            form["status"] = "UNPUBLISHED"
        page_id, _ = await self._page(self._page_id(request.settings))
        created = await self._page_call(page_id, "POST", f"{page_id}/live_videos", data=form)
        handle = BroadcastHandle(remote_id=str(created["id"]), state=BroadcastState.READY)
        handle.data["page_id"] = page_id
        stream_url = created.get("secure_stream_url") or created.get("stream_url")
        if stream_url:
            handle.ingest_url, key = split_stream_url(str(stream_url))
            handle.stream_key = SecretStr(key) if key else None
        self._apply(handle, await self._video(handle))
        handle.message = "waiting for the encoder"
        return handle

    async def update_broadcast(
        self, handle: BroadcastHandle, request: BroadcastRequest
    ) -> BroadcastHandle:
        """``POST /{live-video-id}``: title, description and, for a scheduled live video (or
        one that now starts far enough ahead to be scheduled), ``planned_start_time``."""
        form: dict[str, str] = {
            "title": request.title.strip()[:255] or "Live",
            "description": request.description,
        }
        video = await self._video(handle)
        status = str(video.get("status") or "UNPUBLISHED")
        start = request.scheduled_start
        if start is not None:
            if start.tzinfo is None:
                start = start.replace(tzinfo=UTC)
            ahead = start - datetime.now(UTC)
            if ahead > MAX_SCHEDULE_AHEAD:
                raise InvalidRequest(
                    self.name, "Facebook schedules broadcasts at most 7 days ahead"
                )
            scheduled = status.startswith("SCHEDULED")
            if ahead.total_seconds() > (0 if scheduled else 600):
                form["planned_start_time"] = str(int(start.timestamp()))
                if not scheduled:
                    form["status"] = "SCHEDULED_UNPUBLISHED"
        await self._page_call(handle.data.get("page_id"), "POST", handle.remote_id, data=form)
        self._apply(handle, await self._video(handle))
        return handle

    async def start_broadcast(self, handle: BroadcastHandle) -> BroadcastHandle:
        video = await self._video(handle)
        self._apply(handle, video)
        if handle.state is BroadcastState.LIVE:
            handle.message = None
            return handle
        if handle.state is not BroadcastState.READY:
            raise InvalidRequest(
                self.name,
                f"the Facebook live video is {handle.data['status'].lower()} and cannot go live",
                code="not_startable",
            )
        await self._page_call(
            handle.data.get("page_id"), "POST", handle.remote_id, data={"status": "LIVE_NOW"}
        )
        handle.data["live_now"] = "true"
        self._apply(handle, await self._video(handle))
        if handle.state is BroadcastState.LIVE:
            handle.message = None
        else:
            handle.message = WAITING_FOR_ENCODER
        return handle

    async def stop_broadcast(self, handle: BroadcastHandle) -> BroadcastHandle:
        try:
            video = await self._video(handle)
        except InvalidRequest as exc:
            if exc.code and exc.code.startswith("100"):
                handle.state = BroadcastState.ENDED
                handle.message = "the live video no longer exists on Facebook"
                return handle
            raise
        self._apply(handle, video)
        status = handle.data["status"]
        if handle.state in (BroadcastState.ENDED, BroadcastState.FAILED):
            return handle
        page_id = handle.data.get("page_id")
        if status in _NEVER_LIVE:
            await self._page_call(page_id, "DELETE", handle.remote_id)
            handle.state = BroadcastState.ENDED
            handle.data["status"] = "DELETED"
            handle.message = "the broadcast never went live, so it was removed from Facebook"
            return handle
        await self._page_call(page_id, "POST", handle.remote_id, data={"end_live_video": "true"})
        self._apply(handle, await self._video(handle))
        handle.message = None
        return handle

    async def refresh_status(self, handle: BroadcastHandle) -> BroadcastHandle:
        self._apply(handle, await self._video(handle))
        if handle.state is BroadcastState.READY and handle.data.get("live_now") == "true":
            handle.message = WAITING_FOR_ENCODER
        elif handle.state is BroadcastState.READY:
            handle.message = "waiting for /golive start"
        else:
            handle.message = None
        return handle

    async def viewer_count(self, handle: BroadcastHandle) -> int | None:
        """``live_views`` while live; None otherwise."""
        video = await self._video(handle)
        if video.get("status") != "LIVE":
            return None
        try:
            return int(video.get("live_views"))
        except (TypeError, ValueError):
            return None

    # -- live comment moderation -------------------------------------------------------------

    async def delete_message(self, handle: BroadcastHandle, message_id: str) -> None:
        """``DELETE /{comment-id}`` with the Page token: gone for everyone, not just hidden.

        Deleting is golive's action because a hidden comment stays visible to its author and
        their friends, which is not what a moderator asking for "delete" expects;
        :meth:`hide_message` is there for the softer step."""
        await self._page_call(handle.data.get("page_id"), "DELETE", message_id)

    async def hide_message(self, handle: BroadcastHandle, message_id: str) -> None:
        """``POST /{comment-id}`` with ``is_hidden=true``."""
        await self._page_call(
            handle.data.get("page_id"), "POST", message_id, data={"is_hidden": "true"}
        )

    async def ban(self, handle: BroadcastHandle, author_id: str, seconds: int | None) -> None:
        """Block the author from the Page (``POST /{page-id}/blocked``); no time-outs exist."""
        if seconds is not None:
            raise NotSupported(self.name, "Facebook has no time-out, only blocking from the Page")
        page_id, _ = await self._page(handle.data.get("page_id"))
        await self._page_call(page_id, "POST", f"{page_id}/blocked", data={"user": author_id})

    async def unban(self, handle: BroadcastHandle, author_id: str) -> None:
        """Unblock the author (``DELETE /{page-id}/blocked``)."""
        page_id, _ = await self._page(handle.data.get("page_id"))
        await self._page_call(page_id, "DELETE", f"{page_id}/blocked", params={"user": author_id})

    async def aclose(self) -> None:
        """The Page clients share the connection's httpx client; nothing of their own to close."""
        self._pages.clear()


PROVIDER = Facebook
