"""A strict local emulator of the Graph API slice golive uses for Facebook Live on Pages.

Pages modelled:
- https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow (the
  ``/dialog/oauth`` dialog and the ``/oauth/access_token`` code exchange; served by
  :class:`providers.sandbox.oauth.OAuthServer`, which also insists on PKCE S256 as Meta's
  "OIDC code flow with PKCE" does); the exchange answers no refresh token, like Facebook;
- https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived
  (``grant_type=fb_exchange_token`` -> ``{"access_token", "token_type": "bearer",
  "expires_in": 5183944}``; an expired token cannot be exchanged);
- https://developers.facebook.com/docs/pages-api/manage-pages (``GET /me/accounts`` with
  ``data[]`` of ``id``, ``name``, ``category``, ``access_token``, ``tasks``;
  ``GET /{page-id}?fields=access_token``);
- https://developers.facebook.com/docs/live-video-api/guides/streaming and
  .../guides/scheduling (``POST /{page-id}/live_videos`` needs a Page token; the answer is
  ``{"id", "stream_url", "secure_stream_url", "stream_secondary_urls",
  "secure_stream_secondary_urls"}``; scheduled ones at most seven days ahead);
- https://developers.facebook.com/docs/graph-api/reference/live-video (fields, ``status``
  values, ``POST /{live-video-id}`` with ``end_live_video``, ``status`` or
  ``planned_start_time`` (a scheduled video's start moved, same 7-day window), ``DELETE``);
- https://developers.facebook.com/docs/graph-api/guides/error-handling (the error envelope
  ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``; 190 for a bad
  token, 100 for bad parameters, 200 for permissions, 2 for a transient failure);
- comment delete / hide and Page blocks: see :mod:`providers.sandbox.moderation`;
- https://developers.facebook.com/docs/graph-api/overview/rate-limiting (``X-App-Usage``,
  ``X-Page-Usage`` and ``X-Business-Use-Case-Usage`` headers; code 4 for app, 17 for user
  and 32 for Page limits).

Parameter and field lists come from the facebook-business SDK 26.0.3
(``facebook_business/adobjects/livevideo.py``: ``api_update`` params, ``_field_types``,
``LiveVideo.Status``), which Meta generates from the API's own schema.

Access tokens are accepted as ``Authorization: Bearer`` or as the ``access_token`` parameter
(query or form body), as Graph accepts. Where the documentation is silent the emulator picks
the stricter behaviour and says so: a bad token answers HTTP 400 with code 190 and a
``WWW-Authenticate`` header, as Graph does in practice (clients key on the code, not the
status; golive's parser maps 190 to an expired token whatever the status), a Page edge
refuses a User token with code 200, ending a video that is not live is refused with code 100,
and ``fields`` outside the documented list are refused.
Faults render as Graph does: 500 with code 2, 429 with ``Retry-After`` and code 4.
"""

from __future__ import annotations

import json
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from providers.base import Endpoints
from providers.sandbox.faults import Faults
from providers.sandbox.oauth import OAuthServer

VERSION = "/v26.0"
AUTHORIZE_PATH = VERSION + "/dialog/oauth"
TOKEN_PATH = VERSION + "/oauth/access_token"
LONG_LIVED_SECONDS = 5_183_944
SHORT_LIVED_SECONDS = 5_400
SCHEDULE_LIMIT = 7 * 24 * 3600
INGEST = "rtmps://live-api-s.facebook.com:443/rtmp/"
PLAIN_INGEST = "rtmp://live-api.facebook.com:80/rtmp/"

SCOPES = (
    "email",
    "public_profile",
    "pages_show_list",
    "pages_read_engagement",
    "pages_manage_posts",
    "pages_manage_engagement",
    "publish_video",
    "instagram_basic",  # Instagram live comments (providers.sandbox.instagram_graph)
    "instagram_manage_comments",
)
#: LiveVideo fields (facebook-business 26.0.3 ``LiveVideo._field_types``); the ones not modelled
#: are accepted and left out of the answer, as Graph leaves out empty fields
VIDEO_FIELDS = frozenset(
    {
        "ad_break_config",
        "ad_break_failure_reason",
        "broadcast_start_time",
        "copyright",
        "creation_time",
        "dash_ingest_url",
        "dash_preview_url",
        "description",
        "embed_html",
        "from",
        "id",
        "ingest_streams",
        "is_manual_mode",
        "is_reference_only",
        "live_views",
        "permalink_url",
        "planned_start_time",
        "recommended_encoder_settings",
        "seconds_left",
        "secure_stream_url",
        "status",
        "stream_url",
        "targeting",
        "title",
        "total_views",
        "video",
    }
)
PAGE_FIELDS = frozenset({"id", "name", "category", "access_token", "tasks"})
CREATE_STATUS = frozenset(
    {"LIVE_NOW", "UNPUBLISHED", "SCHEDULED_UNPUBLISHED", "SCHEDULED_LIVE", "SCHEDULED_CANCELED"}
)
CREATE_PARAMS = frozenset(
    {
        "status",
        "title",
        "description",
        "published",
        "privacy",
        "planned_start_time",
        "event_params",
        "enable_backup_ingest",
        "stop_on_delete_stream",
        "is_audio_only",
        "stream_type",
        "targeting",
        "crossposting_actions",
        "content_tags",
        "save_vod",
        "access_token",
    }
)
#: ``LiveVideo.api_update`` parameters (facebook-business 26.0.3) plus the token parameter
UPDATE_PARAMS = frozenset(
    {
        "allow_bm_crossposting",
        "content_tags",
        "cross_share_to_group_ids",
        "crossposting_actions",
        "custom_labels",
        "description",
        "direct_share_status",
        "embeddable",
        "end_live_video",
        "event_params",
        "is_audio_only",
        "is_manual_mode",
        "live_comment_moderation_setting",
        "master_ingest_stream_id",
        "og_icon_id",
        "og_phrase",
        "persistent_stream_key_status",
        "place",
        "planned_start_time",
        "privacy",
        "published",
        "schedule_custom_profile_image",
        "schedule_feed_background_image",
        "sponsor_id",
        "sponsor_relationship",
        "status",
        "stream_type",
        "tags",
        "targeting",
        "title",
        "access_token",
    }
)


class GraphError(Exception):
    def __init__(
        self,
        message: str,
        code: int,
        *,
        kind: str = "OAuthException",
        subcode: int | None = None,
        status: int = 400,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message, self.code, self.kind, self.subcode = message, code, kind, subcode
        self.status, self.headers = status, headers or {}

    def response(self) -> web.Response:
        body: dict[str, Any] = {
            "message": self.message,
            "type": self.kind,
            "code": self.code,
            "fbtrace_id": secrets.token_urlsafe(8),
        }
        if self.subcode is not None:
            body["error_subcode"] = self.subcode
        return web.json_response({"error": body}, status=self.status, headers=self.headers)


def _param_error(message: str) -> GraphError:
    return GraphError(f"(#100) {message}", 100)


@dataclass
class Page:
    id: str
    name: str
    category: str = "Community"
    tasks: tuple[str, ...] = ("ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MODERATE", "MANAGE")


@dataclass
class PageToken:
    token: str = field(repr=False)
    page_id: str
    user_token: str = field(repr=False)  # dies with the User token it came from
    expires_at: float | None = None  # None: derived from a long-lived token, never expires


@dataclass
class LiveVideo:
    id: str
    page_id: str
    video_id: str
    title: str
    description: str
    status: str
    stream_key: str = field(repr=False)
    planned_start_time: int | None = None
    live_now: bool = False
    created: float = field(default_factory=time.time)
    broadcast_start: float | None = None
    live_views: int = 0


class FacebookEmulator:
    """Graph API emulator: Login dialog, token exchange, Pages and live videos."""

    #: the encoder is taken to be sending as soon as a video exists (set False to test waits)
    auto_encoder: bool = True

    def __init__(self, *, calls_per_window: int = 600) -> None:
        self.faults = Faults()
        self.client_id = "sandbox-facebook-app"
        self.client_secret = "sandbox-facebook-secret-" + secrets.token_urlsafe(12)
        self.oauth = OAuthServer(
            scopes=SCOPES,
            authorize_path=AUTHORIZE_PATH,
            token_path=TOKEN_PATH,
            expires_in=SHORT_LIVED_SECONDS,
            offline_access_param=True,  # only access_type=offline would mint refresh tokens
            subject="10000000000001",
            access_prefix="EAAsb",
            faults=self.faults,
        )
        self.oauth.register_client(self.client_id, self.client_secret, allow_loopback=True)
        self.user_id = "10000000000001"
        self.pages: dict[str, Page] = {"110000000000001": Page("110000000000001", "Golive Sandbox")}
        self.page_tokens: dict[str, PageToken] = {}
        self.videos: dict[str, LiveVideo] = {}
        self.requests: Counter[str] = Counter()
        #: calls per token before the rate limit (codes 4 / 17 / 32) answers
        self.calls_per_window = calls_per_window
        self.calls: Counter[str] = Counter()
        self._ids = 1_000_000
        self.encoder_sending: set[str] = set()
        from providers.sandbox.chat import FacebookComments  # chat lives in its own module

        #: comments on live videos (the comments edge) and their test hooks
        self.chat = FacebookComments(self)
        from providers.sandbox.instagram_graph import InstagramGraph

        #: the Instagram professional account linked to the Page, its lives and comments
        self.instagram = InstagramGraph(self)

    def __repr__(self) -> str:
        return f"FacebookEmulator(pages={sorted(self.pages)!r}, videos={len(self.videos)})"

    # -- Emulator protocol -----------------------------------------------------------------------

    @property
    def client(self) -> tuple[str, str]:
        return self.client_id, self.client_secret

    def endpoints(self, base_url: str) -> Endpoints:
        return Endpoints(
            api_url=base_url + VERSION,
            auth_url=base_url + AUTHORIZE_PATH,
            token_url=base_url + TOKEN_PATH,
        )

    @property
    def options(self) -> dict[str, str]:
        return {"page_id": next(iter(self.pages)), "instagram_user_id": self.instagram.user_id}

    def app(self) -> web.Application:
        app = web.Application()
        app.add_routes(
            [
                web.get(AUTHORIZE_PATH, self.oauth.handle_authorize),
                web.route("*", TOKEN_PATH, self.token),
                web.route("*", VERSION + "/{node}", self.node),
                web.route("*", VERSION + "/{node}/{edge}", self.edge),
            ]
        )
        return app

    # -- test hooks ----------------------------------------------------------------------------

    def issue_user_token(
        self, *, long_lived: bool = True, scopes: tuple[str, ...] = SCOPES[2:6]
    ) -> str:
        """A User token as if the admin had signed in (and golive had exchanged it)."""
        body = self.oauth.issue_tokens(self.client_id, scopes, refresh=False)
        if long_lived:
            record = self.oauth.access_tokens[body["access_token"]]
            record.expires_at = time.time() + LONG_LIVED_SECONDS
        return body["access_token"]

    def expire_tokens(self) -> None:
        self.oauth.expire_access_tokens()
        for token in self.page_tokens.values():
            token.expires_at = time.time() - 1

    def connect_encoder(self, video_id: str) -> None:
        self.encoder_sending.add(video_id)
        self._settle(self.videos[video_id])

    # -- token endpoint ------------------------------------------------------------------------

    async def token(self, request: web.Request) -> web.StreamResponse:
        params = dict(request.query)
        if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
            form = dict(parse_qsl(await request.text(), keep_blank_values=True))
            if form.get("grant_type") != "fb_exchange_token":
                return await self.oauth.handle_token(request)  # the body is cached by aiohttp
            params.update(form)
        if params.get("grant_type") != "fb_exchange_token":
            return await self.oauth.handle_token(request)
        try:
            return self._exchange(params)
        except GraphError as exc:
            return exc.response()

    def _exchange(self, params: dict[str, str]) -> web.Response:
        self.requests["oauth.fb_exchange_token"] += 1
        for name in ("client_id", "client_secret", "fb_exchange_token"):
            if not params.get(name):
                raise _param_error(f"Missing required parameter: {name}")
        if params["client_id"] != self.client_id or not secrets.compare_digest(
            params["client_secret"], self.client_secret
        ):
            raise GraphError("Error validating client secret.", 1, subcode=None)
        record = self.oauth.access_tokens.get(params["fb_exchange_token"])
        if record is None or record.revoked or record.expires_at <= time.time():
            raise self._bad_token()
        long = self.oauth.issue_tokens(
            self.client_id, record.scopes, subject=record.subject, refresh=False
        )
        self.oauth.access_tokens[long["access_token"]].expires_at = time.time() + LONG_LIVED_SECONDS
        return web.json_response(
            {
                "access_token": long["access_token"],
                "token_type": "bearer",
                "expires_in": LONG_LIVED_SECONDS,
            }
        )

    # -- shared request handling ---------------------------------------------------------------

    @staticmethod
    def _bad_token() -> GraphError:
        return GraphError(
            "Error validating access token: Session has expired.",
            190,
            subcode=463,
            status=400,
            headers={
                "WWW-Authenticate": 'OAuth "Facebook Platform" "invalid_token" '
                '"Error validating access token"'
            },
        )

    async def _params(self, request: web.Request) -> dict[str, str]:
        params = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/x-www-form-urlencoded":
                params.update(parse_qsl(await request.text(), keep_blank_values=True))
            elif request.content_type == "application/json":
                try:
                    body = await request.json()
                except json.JSONDecodeError:
                    raise _param_error("The request body is not valid JSON") from None
                params.update({k: str(v) for k, v in dict(body).items()})
        return params

    def _caller(self, request: web.Request, params: dict[str, str]) -> tuple[str, str | None]:
        """(token, page id) for a Page token, (token, None) for a User token."""
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        token = value.strip() if scheme.lower() in ("bearer", "oauth") else ""
        token = token or params.get("access_token", "")
        if not token:
            raise GraphError("An active access token must be used to query information.", 2500)
        if self.faults.expire_tokens:
            raise self._bad_token()
        page = self.page_tokens.get(token)
        if page is not None:
            user = self.oauth.access_tokens.get(page.user_token)
            expired = page.expires_at is not None and page.expires_at <= time.time()
            if expired or user is None or user.revoked:
                raise self._bad_token()
            return token, page.page_id
        if not self._user_token_ok(token):
            raise self._bad_token()
        return token, None

    def _scopes_of(self, token: str) -> tuple[str, ...]:
        """The permissions behind a token: a Page token has those of its User token."""
        page = self.page_tokens.get(token)
        record = self.oauth.access_tokens.get(page.user_token if page else token)
        return tuple(record.scopes) if record is not None else ()

    def _user_token_ok(self, token: str) -> bool:
        record = self.oauth.access_tokens.get(token)
        return record is not None and not record.revoked and record.expires_at > time.time()

    def _count(self, token: str, page_id: str | None) -> dict[str, str]:
        self.calls[token] += 1
        used = min(100, self.calls[token] * 100 // max(1, self.calls_per_window))
        usage = json.dumps({"call_count": used, "total_cputime": used // 2, "total_time": used})
        headers = {"X-App-Usage": usage}
        if page_id is not None:
            headers["X-Page-Usage"] = usage  # the older Page-level header, still sent
            headers["X-Business-Use-Case-Usage"] = json.dumps(
                {
                    page_id: [
                        {
                            "type": "pages",
                            "call_count": used,
                            "total_cputime": used // 2,
                            "total_time": used,
                            "estimated_time_to_regain_access": 0 if used < 100 else 1,
                        }
                    ]
                }
            )
        if self.calls[token] > self.calls_per_window:
            if page_id is not None:
                raise GraphError(
                    "(#32) Page request limit reached", 32, headers=headers, subcode=None
                )
            raise GraphError("(#17) User request limit reached", 17, headers=headers)
        return headers

    async def _guard(self, request: web.Request) -> None:
        await self.faults.delay()
        if self.faults.take_rate_limit():
            raise GraphError(
                "(#4) Application request limit reached",
                4,
                status=429,
                headers={"Retry-After": "1"},
            )
        if self.faults.take_error():
            raise GraphError(
                "An unexpected error has occurred. Please retry your request later.",
                2,
                kind="OAuthException",
                status=500,
            )

    @staticmethod
    def _fields(params: dict[str, str], allowed: frozenset[str], default: str) -> list[str]:
        names = [f.strip() for f in (params.get("fields") or default).split(",") if f.strip()]
        unknown = [f for f in names if f not in allowed]
        if unknown:
            raise _param_error(f"Tried accessing nonexisting field ({unknown[0]})")
        return names

    def _new_id(self) -> str:
        self._ids += 1
        return f"9{self._ids:014d}"

    # -- routes ----------------------------------------------------------------------------------

    async def node(self, request: web.Request) -> web.StreamResponse:
        try:
            await self._guard(request)
            params = await self._params(request)
            token, page_id = self._caller(request, params)
            headers = self._count(token, page_id)
            node = request.match_info["node"]
            if node in self.pages and request.method == "GET":
                body = self._read_page(node, token, page_id, params)
            elif node in self.videos:
                body = self._video_node(request.method, self.videos[node], page_id, params)
            elif node == "me" and request.method == "GET":
                body = {"id": self.user_id, "name": "Sandbox Admin"}
            elif request.method in ("DELETE", "POST") and self.chat.moderation.find(node):
                body = self.chat.moderation.comment_node(
                    request.method, node, page_id, self._scopes_of(token), params
                )
            else:
                raise GraphError(
                    f"Unsupported {request.method.lower()} request. Object with ID '{node}' "
                    "does not exist, cannot be loaded due to missing permissions, or does not "
                    "support this operation.",
                    100,
                    kind="GraphMethodException",
                    subcode=33,
                )
            return web.json_response(body, headers=headers)
        except GraphError as exc:
            return exc.response()

    async def edge(self, request: web.Request) -> web.StreamResponse:
        try:
            await self._guard(request)
            params = await self._params(request)
            token, page_id = self._caller(request, params)
            headers = self._count(token, page_id)
            node, edge = request.match_info["node"], request.match_info["edge"]
            if node == "me" and edge == "accounts" and request.method == "GET":
                if page_id is not None:
                    raise GraphError("(#100) Tried accessing nonexisting field (accounts)", 100)
                body = self._accounts(token, params)
            elif node in self.pages and edge == "live_videos" and request.method == "POST":
                body = self._create(node, page_id, params)
            elif node in self.videos and edge == "comments" and request.method == "GET":
                body = self.chat.read(self.videos[node], page_id, params)
            elif node in self.pages and edge == "blocked" and request.method in ("POST", "DELETE"):
                tasks = self.pages[node].tasks
                body = self.chat.moderation.blocked_edge(
                    request.method, node, page_id, tasks, params
                )
            elif self.instagram.handles(node, edge) and request.method == "GET":
                body = self.instagram.read(node, edge, token, page_id, params)
            else:
                raise GraphError(
                    f"(#803) Unknown path components: /{edge}", 2500, kind="OAuthException"
                )
            return web.json_response(body, headers=headers)
        except GraphError as exc:
            return exc.response()

    # -- pages -----------------------------------------------------------------------------------

    def _page_token(self, user_token: str, page_id: str) -> str:
        for existing in self.page_tokens.values():
            if existing.user_token == user_token and existing.page_id == page_id:
                return existing.token
        record = self.oauth.access_tokens[user_token]
        long_lived = record.expires_at - time.time() > 2 * 24 * 3600
        token = "EAAsbP" + secrets.token_urlsafe(32)
        self.page_tokens[token] = PageToken(
            token, page_id, user_token, None if long_lived else record.expires_at
        )
        return token

    def _page_json(self, page: Page, user_token: str | None, fields: list[str]) -> dict[str, Any]:
        full: dict[str, Any] = {
            "id": page.id,
            "name": page.name,
            "category": page.category,
            "tasks": list(page.tasks),
        }
        if user_token is not None:
            full["access_token"] = self._page_token(user_token, page.id)
        return {k: full[k] for k in ["id", *fields] if k in full}

    def _read_page(
        self, node: str, token: str, page_id: str | None, params: dict[str, str]
    ) -> dict[str, Any]:
        self.requests["page.get"] += 1
        fields = self._fields(params, PAGE_FIELDS, "id,name")
        user_token = token if page_id is None else None
        if "access_token" in fields and page_id is not None:
            user_token = self.page_tokens[token].user_token
        return self._page_json(self.pages[node], user_token, fields)

    def _accounts(self, token: str, params: dict[str, str]) -> dict[str, Any]:
        self.requests["me.accounts"] += 1
        fields = self._fields(params, PAGE_FIELDS, "id,name,category,access_token,tasks")
        record = self.oauth.access_tokens[token]
        if "pages_show_list" not in record.scopes:
            raise GraphError("(#200) Requires pages_show_list permission", 200)
        data = [self._page_json(p, token, fields) for p in self.pages.values()]
        return {"data": data, "paging": {"cursors": {"before": "QVFIUk", "after": "QVFIUl"}}}

    # -- live videos -----------------------------------------------------------------------------

    def _create(self, node: str, page_id: str | None, params: dict[str, str]) -> dict[str, Any]:
        self.requests["page.live_videos.create"] += 1
        if page_id != node:
            raise GraphError(
                "(#200) Publishing live video to a Page requires a Page access token of that "
                "Page with pages_manage_posts and pages_read_engagement",
                200,
            )
        unknown = sorted(set(params) - CREATE_PARAMS - {"fields"})
        if unknown:
            raise _param_error(f"Param {unknown[0]} is not a valid parameter")
        status = params.get("status", "LIVE_NOW")
        if status not in CREATE_STATUS:
            choices = ", ".join(sorted(CREATE_STATUS))
            raise _param_error(f"Param status must be one of {{{choices}}}")
        planned: int | None = None
        raw_time = params.get("planned_start_time") or params.get("event_params")
        if status.startswith("SCHEDULED"):
            if not raw_time:
                raise _param_error("planned_start_time is required for a scheduled live video")
            try:
                planned = int(
                    json.loads(raw_time).get("start_time") if raw_time.startswith("{") else raw_time
                )
            except (ValueError, AttributeError, TypeError):
                raise _param_error("Param planned_start_time must be a UNIX timestamp") from None
            ahead = planned - time.time()
            if ahead <= 0 or ahead > SCHEDULE_LIMIT:
                raise _param_error(
                    "planned_start_time must be in the future and at most 7 days ahead"
                )
        video = LiveVideo(
            id=self._new_id(),
            page_id=node,
            video_id=self._new_id(),
            title=params.get("title", "")[:255],
            description=params.get("description", ""),
            status={"LIVE_NOW": "UNPUBLISHED"}.get(status, status),
            stream_key=f"FB-{self._ids}-0-Ab{secrets.token_urlsafe(24)}",
            planned_start_time=planned,
            live_now=status == "LIVE_NOW",
        )
        self.videos[video.id] = video
        if self.auto_encoder:
            self.encoder_sending.add(video.id)
        self._settle(video)
        return {
            "id": video.id,
            "stream_url": PLAIN_INGEST + video.stream_key,
            "secure_stream_url": INGEST + video.stream_key,
            "stream_secondary_urls": [],
            "secure_stream_secondary_urls": [],
        }

    def _reschedule(self, video: LiveVideo, raw: str, status: str | None) -> None:
        """``planned_start_time`` on update: a UNIX time, ahead and at most 7 days out, for a
        video not yet live (a live or ended one has no planned start left to move)."""
        if video.status not in ("UNPUBLISHED", "SCHEDULED_UNPUBLISHED", "SCHEDULED_LIVE"):
            raise _param_error("The planned start of a live or ended live video cannot change")
        if video.status == "UNPUBLISHED" and status != "SCHEDULED_UNPUBLISHED":
            raise _param_error(
                "planned_start_time needs status SCHEDULED_UNPUBLISHED on an unscheduled video"
            )
        try:
            planned = int(raw)
        except ValueError:
            raise _param_error("Param planned_start_time must be a UNIX timestamp") from None
        ahead = planned - time.time()
        if ahead <= 0 or ahead > SCHEDULE_LIMIT:
            raise _param_error("planned_start_time must be in the future and at most 7 days ahead")
        video.planned_start_time = planned

    def _settle(self, video: LiveVideo) -> None:
        """A LIVE_NOW video is live while the encoder sends (the streaming guide)."""
        waiting = video.status in ("UNPUBLISHED", "SCHEDULED_UNPUBLISHED")
        if video.live_now and waiting and video.id in self.encoder_sending:
            video.status = "LIVE"
            video.broadcast_start = time.time()
            video.live_views = 3

    def _video_json(self, video: LiveVideo, fields: list[str]) -> dict[str, Any]:
        full: dict[str, Any] = {
            "id": video.id,
            "title": video.title,
            "description": video.description,
            "status": video.status,
            "stream_url": PLAIN_INGEST + video.stream_key,
            "secure_stream_url": INGEST + video.stream_key,
            # Graph answers the permalink relative to www.facebook.com
            "permalink_url": f"/{video.page_id}/videos/{video.video_id}/",
            "live_views": video.live_views if video.status == "LIVE" else 0,
            "total_views": video.live_views,
            "creation_time": time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(video.created)),
            "from": {"id": video.page_id, "name": self.pages[video.page_id].name},
            "video": {"id": video.video_id},
        }
        if video.planned_start_time is not None:
            full["planned_start_time"] = time.strftime(
                "%Y-%m-%dT%H:%M:%S+0000", time.gmtime(video.planned_start_time)
            )
        return {k: full[k] for k in ["id", *fields] if k in full}

    def _video_node(
        self, method: str, video: LiveVideo, page_id: str | None, params: dict[str, str]
    ) -> dict[str, Any]:
        if page_id != video.page_id:
            raise GraphError(
                "(#200) This live video belongs to a Page: use that Page's access token", 200
            )
        if method == "GET":
            self.requests["live_video.get"] += 1
            return self._video_json(video, self._fields(params, VIDEO_FIELDS, "id,status"))
        if method == "DELETE":
            self.requests["live_video.delete"] += 1
            if video.status == "LIVE":
                raise _param_error("A live video that is live cannot be deleted: end it first")
            del self.videos[video.id]
            return {"success": True}
        if method != "POST":
            raise _param_error(f"Unsupported method {method}")
        self.requests["live_video.update"] += 1
        unknown = sorted(set(params) - UPDATE_PARAMS)
        if unknown:
            raise _param_error(f"Param {unknown[0]} is not a valid parameter")
        if params.get("end_live_video") in ("true", "1"):
            if video.status != "LIVE":
                raise _param_error("This live video is not live, so it cannot be ended")
            video.status = "VOD"
            self.encoder_sending.discard(video.id)
            return {"id": video.id}
        status = params.get("status")
        if "planned_start_time" in params:
            self._reschedule(video, params["planned_start_time"], status)
        if status is not None:
            if status not in CREATE_STATUS:
                raise _param_error("Param status is not a valid live video status")
            if video.status in ("VOD", "LIVE_STOPPED", "PROCESSING"):
                raise _param_error("This live video has ended")
            if status == "SCHEDULED_UNPUBLISHED" and video.planned_start_time is None:
                raise _param_error("planned_start_time is required for a scheduled live video")
            if status == "SCHEDULED_UNPUBLISHED" and video.status == "UNPUBLISHED":
                video.status = "SCHEDULED_UNPUBLISHED"
            if status == "LIVE_NOW":
                video.live_now = True
                self._settle(video)
            elif status == "SCHEDULED_CANCELED":
                video.status = "SCHEDULED_CANCELED"
        if "title" in params:
            video.title = params["title"][:255]
        if "description" in params:
            video.description = params["description"]
        return {"id": video.id}
