"""A strict local emulator of the YouTube Data API v3 live-streaming methods.

Pages modelled:
- https://developers.google.com/youtube/v3/live/docs/liveBroadcasts (resource, lifecycle),
  .../liveBroadcasts/insert, /list, /update (``PUT``, 50 units; with ``part=snippet`` the
  ``id``, ``snippet.title`` and ``snippet.scheduledStartTime`` are required and a part's
  mutable values left out are removed), /bind, /transition, /delete;
- https://developers.google.com/youtube/v3/live/docs/liveStreams (resource, streamStatus),
  .../liveStreams/insert, /list;
- https://developers.google.com/youtube/v3/docs/videos/list and the ``liveStreamingDetails``,
  ``status`` (``uploadStatus``) and ``processingDetails`` (``processingStatus`` processing,
  succeeded, failed or terminated; shown to the video's owner only) parts of
  https://developers.google.com/youtube/v3/docs/videos: a recorded broadcast's video is
  ``uploaded`` and ``processing`` for :attr:`YouTubeEmulator.processing_delay` seconds after it
  ends, then ``processed`` and ``succeeded``; an unrecorded one ends ``terminated``;
- https://developers.google.com/youtube/v3/docs/videos/update (``PUT``, 50 units; a part's
  mutable values left out of the body are removed; ``invalidCategoryId``, ``invalidTitle``,
  ``videoNotFound``) and https://developers.google.com/youtube/v3/docs/videoCategories (the
  assignable categories of a region);
- https://developers.google.com/youtube/v3/docs/thumbnails/set (media upload to
  ``/upload/youtube/v3/thumbnails/set``, ``image/jpeg``, ``image/png`` or
  ``application/octet-stream``, 2 MB at most, about 50 units; ``invalidImage``,
  ``mediaBodyRequired``, ``forbidden``, ``notFound``);
- https://developers.google.com/youtube/v3/live/docs/errors (reasons such as
  ``liveBroadcastNotFound``, ``liveStreamNotFound``, ``liveBroadcastBindingNotAllowed``,
  ``liveBroadcastDeletionNotAllowed``, ``errorStreamInactive``, ``invalidTransition``,
  ``redundantTransition``);
- https://developers.google.com/youtube/v3/live/life-of-a-broadcast (bind, wait for an active
  stream, testing, live, complete);
- https://developers.google.com/youtube/v3/guides/implementation/errors (the JSON envelope);
- https://developers.google.com/youtube/v3/determine_quota_cost (10,000 units a day per
  project, reset at midnight Pacific time, invalid requests cost at least one unit);
- https://developers.google.com/identity/protocols/oauth2/web-server (authorize and token
  endpoints, ``access_type=offline``), served by :mod:`providers.sandbox.oauth`.

The machine-readable contract is the discovery document shipped in google-api-python-client
(``googleapiclient/discovery_cache/documents/youtube.v3.json``, revision 20261104). The tables
:data:`METHODS`, :data:`GLOBAL_PARAMS` and :data:`SCHEMAS` below restate the slice of it the
emulator serves, so the sandbox runs without that package installed; the test suite checks
them against the document field by field, so they cannot drift apart silently.

Where the documentation is silent the emulator picks the stricter plausible behaviour and says
so: e.g. ``live`` straight from ``ready`` is refused while the monitor stream is enabled, and
titles with angle brackets are refused (YouTube Studio refuses them too). Parts that a method
accepts but the emulator does not model (e.g. ``videos.list`` ``part=statistics``) are
accepted and left out of the response. ``fields``, ``prettyPrint`` and ``quotaUser`` are
accepted and ignored. ``videos.update`` writes only the ``snippet`` part (other parts are
refused, so a test never believes it wrote something it did not). ``thumbnails.set`` serves the
simple upload protocol with ``uploadType=media`` only; multipart and resumable uploads are
refused. An upload of the wrong media type answers ``badContent`` and one over 2 MB
``uploadTooLarge`` (413), the reasons Google's upload front end uses; the reference page lists
neither.
"""

from __future__ import annotations

import base64
import secrets
import string
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from aiohttp import web

from providers.base import Endpoints
from providers.sandbox.faults import Faults
from providers.sandbox.oauth import OAuthServer, TokenRecord

try:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    PACIFIC: Any = ZoneInfo("America/Los_Angeles")
except (ImportError, ZoneInfoNotFoundError):  # pragma: no cover - systems without tz data
    PACIFIC = timezone(timedelta(hours=-8))

BASE_PATH = "/youtube/v3"
AUTHORIZE_PATH = "/o/oauth2/v2/auth"
TOKEN_PATH = "/token"
DAILY_QUOTA = 10_000

SCOPE = "https://www.googleapis.com/auth/"
#: discovery ``auth.oauth2.scopes``
YOUTUBE_SCOPES: tuple[str, ...] = (
    SCOPE + "youtube",
    SCOPE + "youtube.channel-memberships.creator",
    SCOPE + "youtube.force-ssl",
    SCOPE + "youtube.readonly",
    SCOPE + "youtube.upload",
    SCOPE + "youtubepartner",
    SCOPE + "youtubepartner-channel-audit",
)
_WRITE_SCOPES = (SCOPE + "youtube", SCOPE + "youtube.force-ssl")
_READ_SCOPES = (*_WRITE_SCOPES, SCOPE + "youtube.readonly")


# -- the contract ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    """One query parameter as the discovery document declares it."""

    type: str = "string"
    required: bool = False
    repeated: bool = False
    enum: tuple[str, ...] | None = None
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class Method:
    """One API method: route, parameters, accepted ``part`` values, scopes and quota cost."""

    id: str
    http_method: str
    path: str  # discovery ``path``, relative to the root URL
    params: Mapping[str, Param]
    parts: tuple[str, ...]
    scopes: tuple[str, ...]
    cost: int
    has_body: bool = False
    #: the route actually served for a media upload (discovery ``mediaUpload`` simple path)
    upload_path: str | None = None


_OWNER = {"onBehalfOfContentOwner": Param(), "onBehalfOfContentOwnerChannel": Param()}
_PART = Param(required=True, repeated=True)
_MAX_RESULTS_0_50 = Param(type="integer", minimum=0, maximum=50)
#: the Video schema's properties other than kind and etag: the parts of videos.list and .update
_VIDEO_PARTS = (
    "ageGating",
    "brandPartner",
    "contentDetails",
    "fileDetails",
    "id",
    "liveStreamingDetails",
    "localizations",
    "monetizationDetails",
    "paidProductPlacementDetails",
    "player",
    "processingDetails",
    "projectDetails",
    "recordingDetails",
    "snippet",
    "statistics",
    "status",
    "suggestions",
    "topicDetails",
)

#: the method slice served; ``cost`` from platforms.md section 1 "Quota"
METHODS: dict[str, Method] = {
    m.id: m
    for m in (
        Method(
            "youtube.liveBroadcasts.insert",
            "POST",
            "youtube/v3/liveBroadcasts",
            {**_OWNER, "part": _PART},
            ("id", "snippet", "contentDetails", "status"),
            _WRITE_SCOPES,
            50,
            has_body=True,
        ),
        Method(
            "youtube.liveBroadcasts.list",
            "GET",
            "youtube/v3/liveBroadcasts",
            {
                **_OWNER,
                "broadcastStatus": Param(
                    enum=(
                        "broadcastStatusFilterUnspecified",
                        "all",
                        "active",
                        "upcoming",
                        "completed",
                    )
                ),
                "broadcastType": Param(
                    enum=("broadcastTypeFilterUnspecified", "all", "event", "persistent")
                ),
                "id": Param(repeated=True),
                "maxResults": _MAX_RESULTS_0_50,
                "mine": Param(type="boolean"),
                "pageToken": Param(),
                "part": _PART,
            },
            ("id", "snippet", "contentDetails", "status", "statistics"),
            _READ_SCOPES,
            1,
        ),
        Method(
            "youtube.liveBroadcasts.update",
            "PUT",
            "youtube/v3/liveBroadcasts",
            {**_OWNER, "part": _PART},
            ("id", "snippet", "contentDetails", "status"),
            _WRITE_SCOPES,
            50,
            has_body=True,
        ),
        Method(
            "youtube.liveBroadcasts.bind",
            "POST",
            "youtube/v3/liveBroadcasts/bind",
            {**_OWNER, "id": Param(required=True), "part": _PART, "streamId": Param()},
            ("id", "snippet", "contentDetails", "status"),
            _WRITE_SCOPES,
            50,
        ),
        Method(
            "youtube.liveBroadcasts.transition",
            "POST",
            "youtube/v3/liveBroadcasts/transition",
            {
                **_OWNER,
                "broadcastStatus": Param(
                    required=True, enum=("statusUnspecified", "testing", "live", "complete")
                ),
                "id": Param(required=True),
                "part": _PART,
            },
            ("id", "snippet", "contentDetails", "status"),
            _WRITE_SCOPES,
            50,
        ),
        Method(
            "youtube.liveBroadcasts.delete",
            "DELETE",
            "youtube/v3/liveBroadcasts",
            {**_OWNER, "id": Param(required=True)},
            (),
            _WRITE_SCOPES,
            50,
        ),
        Method(
            "youtube.liveStreams.insert",
            "POST",
            "youtube/v3/liveStreams",
            {**_OWNER, "part": _PART},
            # "content_details" is how the discovery document spells it for this method
            ("id", "snippet", "cdn", "content_details", "status"),
            _WRITE_SCOPES,
            50,
            has_body=True,
        ),
        Method(
            "youtube.liveStreams.list",
            "GET",
            "youtube/v3/liveStreams",
            {
                **_OWNER,
                "id": Param(repeated=True),
                "maxResults": _MAX_RESULTS_0_50,
                "mine": Param(type="boolean"),
                "pageToken": Param(),
                "part": _PART,
            },
            ("id", "snippet", "cdn", "status"),
            _READ_SCOPES,
            1,
        ),
        Method(
            "youtube.videos.list",
            "GET",
            "youtube/v3/videos",
            {
                "chart": Param(enum=("chartUnspecified", "mostPopular")),
                "hl": Param(),
                "id": Param(repeated=True),
                "locale": Param(),
                "maxHeight": Param(type="integer", minimum=72, maximum=8192),
                "maxResults": Param(type="integer", minimum=1, maximum=50),
                "maxWidth": Param(type="integer", minimum=72, maximum=8192),
                "myRating": Param(enum=("none", "like", "dislike")),
                "onBehalfOfContentOwner": Param(),
                "pageToken": Param(),
                "part": _PART,
                "regionCode": Param(),
                "videoCategoryId": Param(),
            },
            _VIDEO_PARTS,
            (*_READ_SCOPES, SCOPE + "youtubepartner"),
            1,
        ),
        Method(
            "youtube.videos.update",
            "PUT",
            "youtube/v3/videos",
            {"onBehalfOfContentOwner": Param(), "part": _PART},
            _VIDEO_PARTS,
            (*_WRITE_SCOPES, SCOPE + "youtubepartner"),
            50,
            has_body=True,
        ),
        Method(
            "youtube.thumbnails.set",
            "POST",
            "youtube/v3/thumbnails/set",
            {"onBehalfOfContentOwner": Param(), "videoId": Param(required=True)},
            (),
            (*_WRITE_SCOPES, SCOPE + "youtube.upload", SCOPE + "youtubepartner"),
            50,
            upload_path="upload/youtube/v3/thumbnails/set",
        ),
    )
}

#: discovery top-level ``parameters``, accepted by every method
GLOBAL_PARAMS: dict[str, Param] = {
    "$.xgafv": Param(enum=("1", "2")),
    "access_token": Param(),
    "alt": Param(enum=("json", "media", "proto")),
    "callback": Param(),
    "fields": Param(),
    "key": Param(),
    "oauth_token": Param(),
    "prettyPrint": Param(type="boolean"),
    "quotaUser": Param(),
    "uploadType": Param(),
    "upload_protocol": Param(),
}

_Field = tuple[str, tuple[str, ...] | None]  # type ("string", "$Ref", ...) and enum

#: request-body schemas: property -> (type or "$Schema", enum); other $refs are opaque objects
SCHEMAS: dict[str, dict[str, _Field]] = {
    "LiveBroadcast": {
        "contentDetails": ("$LiveBroadcastContentDetails", None),
        "etag": ("string", None),
        "id": ("string", None),
        "kind": ("string", None),
        "monetizationDetails": ("$LiveBroadcastMonetizationDetails", None),
        "snippet": ("$LiveBroadcastSnippet", None),
        "statistics": ("$LiveBroadcastStatistics", None),
        "status": ("$LiveBroadcastStatus", None),
    },
    "LiveBroadcastSnippet": {
        "actualEndTime": ("string", None),
        "actualStartTime": ("string", None),
        "categoryId": ("string", None),
        "channelId": ("string", None),
        "description": ("string", None),
        "isDefaultBroadcast": ("boolean", None),
        "liveChatId": ("string", None),
        "publishedAt": ("string", None),
        "scheduledEndTime": ("string", None),
        "scheduledStartTime": ("string", None),
        "thumbnails": ("$ThumbnailDetails", None),
        "title": ("string", None),
    },
    "LiveBroadcastStatus": {
        "lifeCycleStatus": (
            "string",
            (
                "lifeCycleStatusUnspecified",
                "created",
                "ready",
                "testing",
                "live",
                "complete",
                "revoked",
                "testStarting",
                "liveStarting",
            ),
        ),
        "liveBroadcastPriority": (
            "string",
            ("liveBroadcastPriorityUnspecified", "low", "normal", "high"),
        ),
        "madeForKids": ("boolean", None),
        "privacyStatus": ("string", ("public", "unlisted", "private")),
        "recordingStatus": (
            "string",
            ("liveBroadcastRecordingStatusUnspecified", "notRecording", "recording", "recorded"),
        ),
        "selfDeclaredMadeForKids": ("boolean", None),
    },
    "LiveBroadcastContentDetails": {
        "availabilityConfig": ("$AvailabilityConfig", None),
        "boundStreamId": ("string", None),
        "boundStreamLastUpdateTimeMs": ("string", None),
        "closedCaptionsType": (
            "string",
            (
                "closedCaptionsTypeUnspecified",
                "closedCaptionsDisabled",
                "closedCaptionsHttpPost",
                "closedCaptionsEmbedded",
            ),
        ),
        "enableAutoStart": ("boolean", None),
        "enableAutoStop": ("boolean", None),
        "enableClosedCaptions": ("boolean", None),
        "enableContentEncryption": ("boolean", None),
        "enableDvr": ("boolean", None),
        "enableEmbed": ("boolean", None),
        "enableLowLatency": ("boolean", None),
        "latencyPreference": (
            "string",
            ("latencyPreferenceUnspecified", "normal", "low", "ultraLow"),
        ),
        "mesh": ("string", None),
        "monitorStream": ("$MonitorStreamInfo", None),
        "projection": ("string", ("projectionUnspecified", "rectangular", "360", "mesh")),
        "recordFromStart": ("boolean", None),
        "startWithSlate": ("boolean", None),
        "stereoLayout": ("string", ("stereoLayoutUnspecified", "mono", "leftRight", "topBottom")),
    },
    "MonitorStreamInfo": {
        "broadcastStreamDelayMs": ("integer", None),
        "embedHtml": ("string", None),
        "enableMonitorStream": ("boolean", None),
    },
    "LiveBroadcastStatistics": {
        "concurrentViewers": ("string", None),
    },
    "LiveStream": {
        "cdn": ("$CdnSettings", None),
        "contentDetails": ("$LiveStreamContentDetails", None),
        "etag": ("string", None),
        "id": ("string", None),
        "kind": ("string", None),
        "snippet": ("$LiveStreamSnippet", None),
        "status": ("$LiveStreamStatus", None),
    },
    "LiveStreamSnippet": {
        "channelId": ("string", None),
        "description": ("string", None),
        "isDefaultStream": ("boolean", None),
        "publishedAt": ("string", None),
        "title": ("string", None),
    },
    "CdnSettings": {
        "format": ("string", None),
        "frameRate": ("string", ("30fps", "60fps", "variable")),
        "ingestionInfo": ("$IngestionInfo", None),
        "ingestionType": ("string", ("rtmp", "dash", "webrtc", "hls")),
        "resolution": (
            "string",
            ("240p", "360p", "480p", "720p", "1080p", "1440p", "2160p", "variable"),
        ),
    },
    "IngestionInfo": {
        "backupIngestionAddress": ("string", None),
        "ingestionAddress": ("string", None),
        "rtmpsBackupIngestionAddress": ("string", None),
        "rtmpsIngestionAddress": ("string", None),
        "streamName": ("string", None),
    },
    "LiveStreamStatus": {
        "healthStatus": ("$LiveStreamHealthStatus", None),
        "streamStatus": ("string", ("created", "ready", "active", "inactive", "error")),
    },
    "LiveStreamHealthStatus": {
        "configurationIssues": ("array", None),
        "lastUpdateTimeSeconds": ("string", None),
        "status": ("string", ("good", "ok", "bad", "noData", "revoked")),
    },
    "LiveStreamContentDetails": {
        "closedCaptionsIngestionUrl": ("string", None),
        "isReusable": ("boolean", None),
    },
    "Video": {
        "ageGating": ("$VideoAgeGating", None),
        "brandPartner": ("$BrandPartner", None),
        "contentDetails": ("$VideoContentDetails", None),
        "etag": ("string", None),
        "fileDetails": ("$VideoFileDetails", None),
        "id": ("string", None),
        "kind": ("string", None),
        "liveStreamingDetails": ("$VideoLiveStreamingDetails", None),
        "localizations": ("object", None),
        "monetizationDetails": ("$VideoMonetizationDetails", None),
        "paidProductPlacementDetails": ("$VideoPaidProductPlacementDetails", None),
        "player": ("$VideoPlayer", None),
        "processingDetails": ("$VideoProcessingDetails", None),
        "projectDetails": ("$VideoProjectDetails", None),
        "recordingDetails": ("$VideoRecordingDetails", None),
        "snippet": ("$VideoSnippet", None),
        "statistics": ("$VideoStatistics", None),
        "status": ("$VideoStatus", None),
        "suggestions": ("$VideoSuggestions", None),
        "topicDetails": ("$VideoTopicDetails", None),
    },
    "VideoSnippet": {
        "categoryId": ("string", None),
        "channelId": ("string", None),
        "channelTitle": ("string", None),
        "defaultAudioLanguage": ("string", None),
        "defaultLanguage": ("string", None),
        "description": ("string", None),
        "liveBroadcastContent": ("string", ("none", "upcoming", "live", "completed")),
        "localized": ("$VideoLocalization", None),
        "publishedAt": ("string", None),
        "tags": ("array", None),
        "thumbnails": ("$ThumbnailDetails", None),
        "title": ("string", None),
    },
    # liveChatBans.insert (served by providers.sandbox.chat)
    "LiveChatBan": {
        "etag": ("string", None),
        "id": ("string", None),
        "kind": ("string", None),
        "snippet": ("$LiveChatBanSnippet", None),
    },
    "LiveChatBanSnippet": {
        "banDurationSeconds": ("string", None),
        "bannedUserDetails": ("$ChannelProfileDetails", None),
        "liveChatId": ("string", None),
        "type": ("string", ("liveChatBanTypeUnspecified", "permanent", "temporary")),
    },
    "ChannelProfileDetails": {
        "channelId": ("string", None),
        "channelUrl": ("string", None),
        "displayName": ("string", None),
        "profileImageUrl": ("string", None),
    },
}

#: videoCategories.list?regionCode=US: the ids a video may be assigned (``assignable: true``);
#: the region's other ids (18 Short Movies, 21 Videoblogging, 30-44 film genres) are not
ASSIGNABLE_CATEGORIES: dict[str, str] = {
    "1": "Film & Animation",
    "2": "Autos & Vehicles",
    "10": "Music",
    "15": "Pets & Animals",
    "17": "Sports",
    "19": "Travel & Events",
    "20": "Gaming",
    "22": "People & Blogs",
    "23": "Comedy",
    "24": "Entertainment",
    "25": "News & Politics",
    "26": "Howto & Style",
    "27": "Education",
    "28": "Science & Technology",
    "29": "Nonprofits & Activism",
}
#: the category YouTube gives a new live event when none is chosen (People & Blogs)
DEFAULT_CATEGORY = "22"
#: thumbnails.set limits: the reference page's 2 MB (discovery ``maxSize`` says 50 MB)
THUMBNAIL_MAX_BYTES = 2 * 1024 * 1024
THUMBNAIL_TYPES = ("image/jpeg", "image/png", "application/octet-stream")
_IMAGE_MAGIC = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
#: aiohttp refuses bodies over 1 MB by default; let oversized thumbnails reach the handler
CLIENT_MAX_SIZE = 8 * 1024 * 1024

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}

#: lifeCycleStatus values from which each transition is allowed
_TRANSITIONS: dict[str, frozenset[str]] = {
    "testing": frozenset({"ready"}),
    "live": frozenset({"ready", "testing"}),
    "complete": frozenset({"testing", "testStarting", "live", "liveStarting"}),
}
_ARRIVED = {"testing": ("testStarting", "testing"), "live": ("liveStarting", "live")}
_ACTIVE_FILTER = frozenset({"live", "liveStarting"})
_UPCOMING_FILTER = frozenset({"created", "ready", "testing", "testStarting"})
_ON_AIR = frozenset({"testing", "testStarting", "live", "liveStarting"})


class GoogleError(Exception):
    """An error answered in Google's JSON envelope."""

    def __init__(
        self,
        status: int,
        reason: str,
        message: str,
        *,
        domain: str = "global",
        location: str | None = None,
        location_type: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.domain = domain
        self.location = location
        self.location_type = location_type
        self.headers = dict(headers or {})

    def response(self) -> web.Response:
        item: dict[str, str] = {
            "message": self.message,
            "domain": self.domain,
            "reason": self.reason,
        }
        if self.location is not None:
            item["location"] = self.location
            item["locationType"] = self.location_type or "parameter"
        body = {
            "error": {
                "code": self.status,
                "message": self.message,
                "errors": [item],
                "status": _STATUS_NAMES.get(self.status, "UNKNOWN"),
            }
        }
        return web.json_response(body, status=self.status, headers=self.headers)


def _param_error(name: str, reason: str, message: str) -> GoogleError:
    return GoogleError(400, reason, message, location=name, location_type="parameter")


def _body_error(path: str, message: str, reason: str = "invalid") -> GoogleError:
    return GoogleError(400, reason, message, location=path, location_type="other")


def _rfc3339(moment: datetime) -> str:
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def _random_id(length: int, alphabet: str = string.ascii_letters + string.digits + "-_") -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


# -- emulated resources ----------------------------------------------------------------------


@dataclass
class Broadcast:
    id: str
    channel_id: str
    snippet: dict[str, Any]
    status: dict[str, Any]
    content_details: dict[str, Any]
    etag: str = field(default_factory=lambda: _random_id(27))
    #: target lifeCycleStatus and the monotonic time it is reached, while "…Starting"
    pending: tuple[str, float] | None = None
    #: None hides concurrentViewers, as a channel owner can
    viewers: int | None = 0
    #: the video's snippet.categoryId and snippet.tags, written by videos.update
    category: str = DEFAULT_CATEGORY
    tags: list[str] | None = None
    #: the custom thumbnail uploaded with thumbnails.set: (media type, bytes)
    thumbnail: tuple[str, bytes] | None = field(default=None, repr=False)
    #: when the recorded video finishes processing (emulator clock), once it has ended
    processed_at: float | None = None

    @property
    def life(self) -> str:
        return str(self.status["lifeCycleStatus"])

    @property
    def bound_stream(self) -> str | None:
        return self.content_details.get("boundStreamId")


@dataclass
class Stream:
    id: str
    channel_id: str
    snippet: dict[str, Any]
    cdn: dict[str, Any] = field(repr=False)
    content_details: dict[str, Any]
    status: dict[str, Any]
    etag: str = field(default_factory=lambda: _random_id(27))

    def __repr__(self) -> str:  # the cdn block holds the stream key
        return f"Stream(id={self.id!r}, streamStatus={self.status.get('streamStatus')!r})"


Handler = Callable[[web.Request, TokenRecord, dict[str, Any]], Awaitable[web.StreamResponse]]


class YouTubeEmulator:
    """The emulated API, its OAuth server, its quota ledger and test hooks."""

    def __init__(
        self,
        *,
        faults: Faults | None = None,
        auto_encoder: bool = True,
        daily_quota: int = DAILY_QUOTA,
        transition_delay: float = 0.0,
        client_id: str | None = None,
        client_secret: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.faults = faults or Faults()
        #: a bound stream's encoder connects by itself (sandbox convenience)
        self.auto_encoder = auto_encoder
        self.daily_quota = daily_quota
        #: seconds a transition spends in testStarting / liveStarting
        self.transition_delay = transition_delay
        #: seconds a recorded broadcast's video spends processing after the broadcast ends
        self.processing_delay = 0.0
        self.clock = clock
        self.channel_id = "UC" + _random_id(22)
        self.client_id = (
            client_id or f"{secrets.randbelow(10**12):012d}-sandbox.apps.googleusercontent.com"
        )
        self.client_secret = client_secret or "GOCSPX-" + secrets.token_urlsafe(21)
        self.oauth = OAuthServer(
            scopes=YOUTUBE_SCOPES,
            authorize_path=AUTHORIZE_PATH,
            token_path=TOKEN_PATH,
            offline_access_param=True,
            subject=self.channel_id,
            access_prefix="ya29.",
            refresh_prefix="1//",
            faults=self.faults,
            clock=clock,
        )
        self.oauth.register_client(self.client_id, self.client_secret, allow_loopback=True)
        self.broadcasts: dict[str, Broadcast] = {}
        self.streams: dict[str, Stream] = {}
        #: (project, Pacific date) -> units spent
        self._quota: Counter[tuple[str, date]] = Counter()
        #: every request that reached a route, by method id (faulted ones included)
        self.requests: Counter[str] = Counter()
        from providers.sandbox.chat import YouTubeChat  # chat lives in its own module

        #: live chat messages (liveChatMessages.list) and their test hooks
        self.chat = YouTubeChat(self)

    def __repr__(self) -> str:
        return (
            f"YouTubeEmulator(broadcasts={len(self.broadcasts)}, streams={len(self.streams)}, "
            f"auto_encoder={self.auto_encoder})"
        )

    @property
    def client(self) -> tuple[str, str]:
        return self.client_id, self.client_secret

    def endpoints(self, base_url: str) -> Endpoints:
        base = base_url.rstrip("/")
        return Endpoints(
            api_url=base + BASE_PATH, auth_url=base + AUTHORIZE_PATH, token_url=base + TOKEN_PATH
        )

    def app(self) -> web.Application:
        app = web.Application(client_max_size=CLIENT_MAX_SIZE)
        self.oauth.mount(app)
        handlers: dict[str, Handler] = {
            "youtube.liveBroadcasts.insert": self._broadcast_insert,
            "youtube.liveBroadcasts.list": self._broadcast_list,
            "youtube.liveBroadcasts.update": self._broadcast_update,
            "youtube.liveBroadcasts.bind": self._broadcast_bind,
            "youtube.liveBroadcasts.transition": self._broadcast_transition,
            "youtube.liveBroadcasts.delete": self._broadcast_delete,
            "youtube.liveStreams.insert": self._stream_insert,
            "youtube.liveStreams.list": self._stream_list,
            "youtube.videos.list": self._video_list,
            "youtube.videos.update": self._video_update,
            "youtube.thumbnails.set": self._thumbnail_set,
        }
        for method_id, handler in handlers.items():
            method = METHODS[method_id]
            path = "/" + (method.upload_path or method.path)
            app.router.add_route(method.http_method, path, self._wrap(method, handler))
        self.chat.mount(app)
        return app

    # -- test hooks -----------------------------------------------------------------------------

    def quota_used(self, project: str | None = None) -> int:
        """Units spent today (Pacific time) by a project, the sandbox client's by default."""
        return self._quota[(project or self.client_id, self._quota_day())]

    def set_quota_used(self, units: int, project: str | None = None) -> None:
        self._quota[(project or self.client_id, self._quota_day())] = units

    def connect_encoder(self, stream_id: str) -> None:
        """An encoder starts pushing video to the stream: it turns ``active``."""
        stream = self.streams[stream_id]
        stream.status["streamStatus"] = "active"
        stream.status["healthStatus"] = {"status": "good", "configurationIssues": []}
        for broadcast in self.broadcasts.values():
            self._settle(broadcast)
            auto = broadcast.content_details.get("enableAutoStart")
            if broadcast.bound_stream == stream_id and auto and broadcast.life == "ready":
                self._begin(broadcast, "live")

    def disconnect_encoder(self, stream_id: str) -> None:
        stream = self.streams[stream_id]
        stream.status["streamStatus"] = "inactive"
        stream.status["healthStatus"] = {"status": "noData", "configurationIssues": []}
        for broadcast in self.broadcasts.values():
            self._settle(broadcast)
            auto = broadcast.content_details.get("enableAutoStop")
            if broadcast.bound_stream == stream_id and auto and broadcast.life == "live":
                self._finish(broadcast)

    def set_viewers(self, broadcast_id: str, viewers: int | None) -> None:
        self.broadcasts[broadcast_id].viewers = viewers

    def finish_processing(self, broadcast_id: str) -> None:
        """YouTube finishes processing an ended, recorded broadcast's video now."""
        broadcast = self.broadcasts[broadcast_id]
        if broadcast.processed_at is not None:
            broadcast.processed_at = min(broadcast.processed_at, self.clock())

    def processing_status(self, broadcast: Broadcast) -> str | None:
        """``processingDetails.processingStatus`` of a broadcast's video; None before it ends."""
        if broadcast.life != "complete":
            return None
        if broadcast.status.get("recordingStatus") != "recorded":
            return "terminated"
        done = broadcast.processed_at is not None and self.clock() >= broadcast.processed_at
        return "succeeded" if done else "processing"

    # -- request pipeline -----------------------------------------------------------------------

    def _quota_day(self) -> date:
        return datetime.fromtimestamp(self.clock(), PACIFIC).date()

    def _wrap(self, method: Method, handler: Handler) -> Callable[[web.Request], Awaitable[Any]]:
        async def route(request: web.Request) -> web.StreamResponse:
            self.requests[method.id] += 1
            await self.faults.delay()
            try:
                token = self._authenticate(request)
                if self.faults.take_rate_limit():
                    raise GoogleError(
                        429,
                        "rateLimitExceeded",
                        "Too many requests. Please slow down and retry.",
                        domain="usageLimits",
                        headers={"Retry-After": "1"},
                    )
                if self.faults.take_error():
                    raise GoogleError(500, "backendError", "Backend Error")
                project = token.client_id
                key = (project, self._quota_day())
                if self._quota[key] + max(method.cost, 1) > self.daily_quota:
                    raise GoogleError(
                        403,
                        "quotaExceeded",
                        "The request cannot be completed because you have exceeded your "
                        '<a href="/youtube/v3/getting-started#quota">quota</a>.',
                        domain="youtube.quota",
                    )
            except GoogleError as exc:
                return exc.response()
            try:
                if not token.has_any_scope(method.scopes):
                    raise GoogleError(
                        403,
                        "insufficientPermissions",
                        "Request had insufficient authentication scopes.",
                    )
                params = self._params(request, method)
                response = await handler(request, token, params)
            except GoogleError as exc:
                self._quota[key] += 1  # invalid requests still cost a unit
                return exc.response()
            self._quota[key] += method.cost
            return response

        return route

    def _authenticate(self, request: web.Request) -> TokenRecord:
        record = self.oauth.check_bearer(request)
        if record is not None:
            return record
        challenge = 'Bearer realm="https://accounts.google.com/"'
        if self.oauth.presented_token(request) is None:
            raise GoogleError(
                401,
                "required",
                "Request is missing required authentication credential. Expected OAuth 2 access "
                "token, login cookie or other valid authentication credential.",
                location="Authorization",
                location_type="header",
                headers={"WWW-Authenticate": challenge},
            )
        raise GoogleError(
            401,
            "authError",
            "Request had invalid authentication credentials. Expected OAuth 2 access token, "
            "login cookie or other valid authentication credential.",
            location="Authorization",
            location_type="header",
            headers={"WWW-Authenticate": challenge + ', error="invalid_token"'},
        )

    def _params(self, request: web.Request, method: Method) -> dict[str, Any]:
        """Validate the query string against the method's declared parameters."""
        values: dict[str, list[str]] = {}
        for key, value in request.query.items():
            values.setdefault(key, []).append(value)
        out: dict[str, Any] = {}
        for name, given in values.items():
            spec = method.params.get(name) or GLOBAL_PARAMS.get(name)
            if spec is None:
                raise _param_error(
                    name,
                    "invalid",
                    f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query '
                    f"parameter. Field '{name}' could not be found in request message.",
                )
            if len(given) > 1 and not spec.repeated:
                raise _param_error(name, "invalid", f"Parameter '{name}' was given more than once.")
            if spec.repeated:
                items = [v.strip() for raw in given for v in raw.split(",") if v.strip()]
                out[name] = items
                continue
            out[name] = self._coerce(name, spec, given[0])
        for name, spec in method.params.items():
            if spec.required and not out.get(name):
                raise _param_error(name, "required", f"Required parameter: {name}")
        if out.get("alt", "json") != "json":
            raise _param_error("alt", "invalidParameter", "Only alt=json is emulated.")
        if method.parts:
            for part in out["part"]:
                if part not in method.parts:
                    raise GoogleError(
                        400,
                        "unknownPart",
                        f"'{part}'",
                        domain="youtube.part",
                        location="part",
                        location_type="parameter",
                    )
            out["part"] = ["contentDetails" if p == "content_details" else p for p in out["part"]]
        return out

    @staticmethod
    def _coerce(name: str, spec: Param, raw: str) -> Any:
        if spec.type == "boolean":
            if raw not in ("true", "false"):
                raise _param_error(name, "invalidParameter", f"Invalid boolean value: '{raw}'.")
            return raw == "true"
        if spec.type == "integer":
            try:
                number = int(raw)
            except ValueError:
                raise _param_error(
                    name, "invalidParameter", f"Invalid value '{raw}'. Expected an integer."
                ) from None
            low = spec.minimum if spec.minimum is not None else number
            high = spec.maximum if spec.maximum is not None else number
            if not low <= number <= high:
                raise _param_error(
                    name,
                    "invalidParameter",
                    f"Invalid value '{raw}'. Values must be within the range: [{low}, {high}]",
                )
            return number
        if spec.enum is not None and raw not in spec.enum:
            raise _param_error(
                name,
                "invalidParameter",
                f"Invalid value '{raw}' for {name}. Expected one of: {', '.join(spec.enum)}.",
            )
        return raw

    async def _body(self, request: web.Request, schema: str) -> dict[str, Any]:
        if request.content_type != "application/json":
            raise GoogleError(400, "parseError", "The request body must be application/json.")
        try:
            body = await request.json()
        except ValueError:
            raise GoogleError(400, "parseError", "Invalid JSON payload received.") from None
        if not isinstance(body, dict):
            raise GoogleError(400, "parseError", "Invalid JSON payload received: not an object.")
        _check_schema(body, schema, "resource")
        return body

    # -- liveBroadcasts -------------------------------------------------------------------------

    def _owned_broadcast(self, broadcast_id: str, token: TokenRecord) -> Broadcast:
        broadcast = self.broadcasts.get(broadcast_id)
        if broadcast is None or broadcast.channel_id != token.subject:
            raise GoogleError(
                404,
                "liveBroadcastNotFound",
                "Broadcast not found",
                domain="youtube.liveBroadcast",
                location="id",
            )
        self._settle(broadcast)
        return broadcast

    def _owned_stream(self, stream_id: str, token: TokenRecord, location: str) -> Stream:
        stream = self.streams.get(stream_id)
        if stream is None or stream.channel_id != token.subject:
            raise GoogleError(
                404,
                "liveStreamNotFound",
                "Stream not found",
                domain="youtube.liveStream",
                location=location,
            )
        return stream

    async def _broadcast_insert(
        self, request: web.Request, token: TokenRecord, params: dict[str, Any]
    ) -> web.StreamResponse:
        body = await self._body(request, "LiveBroadcast")
        parts = set(params["part"])
        given_snippet = (body.get("snippet") or {}) if "snippet" in parts else {}
        given_status = (body.get("status") or {}) if "status" in parts else {}
        given_details = (body.get("contentDetails") or {}) if "contentDetails" in parts else {}

        title = given_snippet.get("title")
        if not title:
            raise _broadcast_error("titleRequired", "snippet.title", "A title is required.")
        _check_title(title, "youtube.liveBroadcast")
        description = given_snippet.get("description", "")
        if len(description.encode()) > 5000 or "<" in description or ">" in description:
            raise _broadcast_error(
                "invalidDescription", "snippet.description", "Invalid description."
            )
        start_raw = given_snippet.get("scheduledStartTime")
        if not start_raw:
            raise _broadcast_error(
                "scheduledStartTimeRequired",
                "snippet.scheduledStartTime",
                "A scheduled start time is required.",
            )
        start = _parse_time(start_raw, "invalidScheduledStartTime", "snippet.scheduledStartTime")
        end = None
        if given_snippet.get("scheduledEndTime"):
            end = _parse_time(
                given_snippet["scheduledEndTime"],
                "invalidScheduledEndTime",
                "snippet.scheduledEndTime",
            )
            if end <= start:
                raise _broadcast_error(
                    "invalidScheduledEndTime",
                    "snippet.scheduledEndTime",
                    "The scheduled end time must be after the scheduled start time.",
                )
        privacy = given_status.get("privacyStatus")
        if not privacy:
            raise _broadcast_error(
                "privacyStatusRequired", "status.privacyStatus", "A privacy status is required."
            )

        broadcast_id = _random_id(11)
        while broadcast_id in self.broadcasts:
            broadcast_id = _random_id(11)
        now = datetime.now(UTC)
        monitor: dict[str, Any] = {"enableMonitorStream": True, "broadcastStreamDelayMs": 0}
        monitor.update(given_details.get("monitorStream") or {})
        monitor.pop("embedHtml", None)
        if monitor["enableMonitorStream"]:
            monitor["embedHtml"] = (
                f'<iframe width="425" height="344" src="https://www.youtube.com/embed/'
                f'{broadcast_id}?autoplay=1&livemonitor=1" frameborder="0" allowfullscreen>'
                "</iframe>"
            )
        details: dict[str, Any] = {
            "enableAutoStart": False,
            "enableAutoStop": False,
            "enableClosedCaptions": False,
            "closedCaptionsType": "closedCaptionsDisabled",
            "enableContentEncryption": False,
            "enableDvr": True,
            "enableEmbed": True,
            "enableLowLatency": False,
            "latencyPreference": "normal",
            "projection": "rectangular",
            "recordFromStart": True,
            "startWithSlate": False,
        }
        writable = set(details) | {"stereoLayout", "mesh"}
        details.update({k: v for k, v in given_details.items() if k in writable})
        details["monitorStream"] = monitor
        thumbs = {
            name: {
                "url": f"https://i.ytimg.com/vi/{broadcast_id}/{name}_live.jpg",
                "width": w,
                "height": h,
            }
            for name, w, h in (("default", 120, 90), ("medium", 320, 180), ("high", 480, 360))
        }
        snippet: dict[str, Any] = {
            "publishedAt": _rfc3339(now),
            "channelId": token.subject,
            "title": title,
            "description": description,
            "thumbnails": thumbs,
            "scheduledStartTime": _rfc3339(start),
            "isDefaultBroadcast": False,
            "liveChatId": base64.urlsafe_b64encode(f"\x0a\x0b{broadcast_id}".encode())
            .decode()
            .rstrip("="),
        }
        if end is not None:
            snippet["scheduledEndTime"] = _rfc3339(end)
        status = {
            "lifeCycleStatus": "created",
            "privacyStatus": privacy,
            "recordingStatus": "notRecording",
            "madeForKids": bool(given_status.get("selfDeclaredMadeForKids", False)),
            "selfDeclaredMadeForKids": bool(given_status.get("selfDeclaredMadeForKids", False)),
        }
        broadcast = Broadcast(broadcast_id, token.subject, snippet, status, details)
        self.broadcasts[broadcast_id] = broadcast
        return web.json_response(self._broadcast_json(broadcast, params["part"]))

    async def _broadcast_update(
        self, request: web.Request, token: TokenRecord, params: dict[str, Any]
    ) -> web.StreamResponse:
        """``part=snippet`` only (the part golive writes): ``id``, ``snippet.title`` and
        ``snippet.scheduledStartTime`` are required, and a description left out is removed,
        as the reference says of every mutable value of a part it is given."""
        body = await self._body(request, "LiveBroadcast")
        unmodelled = [p for p in params["part"] if p not in ("id", "snippet")]
        if unmodelled:
            raise GoogleError(
                400,
                "invalidPart",
                f"Only part=snippet updates are emulated, not: {', '.join(unmodelled)}",
                domain="youtube.part",
                location="part",
                location_type="parameter",
            )
        broadcast_id = body.get("id")
        if not broadcast_id:
            raise _body_error("resource.id", "The broadcast id is required.", reason="required")
        broadcast = self._owned_broadcast(str(broadcast_id), token)
        self._settle(broadcast)
        snippet = body.get("snippet") if "snippet" in params["part"] else None
        if isinstance(snippet, dict):
            title = snippet.get("title")
            if not title:
                raise _broadcast_error("titleRequired", "snippet.title", "A title is required.")
            _check_title(title, "youtube.liveBroadcast")
            description = snippet.get("description", "")
            if len(description.encode()) > 5000 or "<" in description or ">" in description:
                raise _broadcast_error(
                    "invalidDescription", "snippet.description", "Invalid description."
                )
            start_raw = snippet.get("scheduledStartTime")
            if not start_raw:
                raise _broadcast_error(
                    "scheduledStartTimeRequired",
                    "snippet.scheduledStartTime",
                    "A scheduled start time is required.",
                )
            start = _parse_time(
                start_raw, "invalidScheduledStartTime", "snippet.scheduledStartTime"
            )
            broadcast.snippet["title"] = title
            broadcast.snippet["description"] = description
            broadcast.snippet["scheduledStartTime"] = _rfc3339(start)
            broadcast.snippet.pop("scheduledEndTime", None)
        return web.json_response(self._broadcast_json(broadcast, params["part"]))

    async def _broadcast_list(
        self, request: web.Request, token: TokenRecord, params: dict[str, Any]
    ) -> web.StreamResponse:
        filters = [f for f in ("broadcastStatus", "id", "mine") if f in params]
        _one_filter(filters, ("broadcastStatus", "id", "mine"))
        mine = [b for b in self.broadcasts.values() if b.channel_id == token.subject]
        for broadcast in mine:
            self._settle(broadcast)
        if "id" in params:
            wanted = params["id"]
            items = [self.broadcasts[i] for i in wanted if i in self.broadcasts]
            items = [b for b in items if b.channel_id == token.subject]
        elif "broadcastStatus" in params:
            status = params["broadcastStatus"]
            if status == "active":
                items = [b for b in mine if b.life in _ACTIVE_FILTER]
            elif status == "upcoming":
                items = [b for b in mine if b.life in _UPCOMING_FILTER]
            elif status == "completed":
                items = [b for b in mine if b.life == "complete"]
            else:
                items = mine
        else:
            items = mine if params["mine"] else []
        if params.get("broadcastType") == "persistent":
            items = []  # the emulator only creates event broadcasts
        return web.json_response(
            _page(
                "youtube#liveBroadcastListResponse",
                [self._broadcast_json(b, params["part"]) for b in items],
                params,
            )
        )

    async def _broadcast_bind(
        self, request: web.Request, token: TokenRecord, params: dict[str, Any]
    ) -> web.StreamResponse:
        broadcast = self._owned_broadcast(params["id"], token)
        stream_id = params.get("streamId")
        stream = self._owned_stream(stream_id, token, "streamId") if stream_id else None
        if broadcast.life not in ("created", "ready"):
            raise GoogleError(
                403,
                "liveBroadcastBindingNotAllowed",
                "The current status of the live broadcast does not allow it to be bound to a "
                "stream.",
                domain="youtube.liveBroadcast",
            )
        if stream is None:
            broadcast.content_details.pop("boundStreamId", None)
            broadcast.status["lifeCycleStatus"] = "created"
        else:
            broadcast.content_details["boundStreamId"] = stream.id
            broadcast.status["lifeCycleStatus"] = "ready"
            if self.auto_encoder:
                self.connect_encoder(stream.id)
        broadcast.content_details["boundStreamLastUpdateTimeMs"] = _rfc3339(datetime.now(UTC))
        return web.json_response(self._broadcast_json(broadcast, params["part"]))

    async def _broadcast_transition(
        self, request: web.Request, token: TokenRecord, params: dict[str, Any]
    ) -> web.StreamResponse:
        target = params["broadcastStatus"]
        if target not in _TRANSITIONS:
            raise _param_error(
                "broadcastStatus",
                "invalidParameter",
                "broadcastStatus must be one of testing, live or complete.",
            )
        broadcast = self._owned_broadcast(params["id"], token)
        life = broadcast.life
        if life == target or (target in _ARRIVED and life == _ARRIVED[target][0]):
            raise GoogleError(
                403,
                "redundantTransition",
                "The live broadcast is already in the requested status or processing to the "
                "requested status.",
                domain="youtube.liveBroadcast",
            )
        if life not in _TRANSITIONS[target]:
            raise _invalid_transition(life, target)
        if target == "testing" and not broadcast.content_details["monitorStream"].get(
            "enableMonitorStream"
        ):
            raise GoogleError(
                403,
                "invalidTransition",
                "A broadcast can only go to testing when its monitor stream is enabled.",
                domain="youtube.liveBroadcast",
            )
        if (
            target == "live"
            and life == "ready"
            and broadcast.content_details["monitorStream"].get("enableMonitorStream")
        ):
            raise GoogleError(
                403,
                "invalidTransition",
                "With the monitor stream enabled the broadcast must be tested before going live.",
                domain="youtube.liveBroadcast",
            )
        if target in ("testing", "live"):
            stream = self.streams.get(broadcast.bound_stream or "")
            if stream is None or stream.status.get("streamStatus") != "active":
                raise GoogleError(
                    403,
                    "errorStreamInactive",
                    "The requested transition is not allowed when the stream that is bound to "
                    "the broadcast is inactive.",
                    domain="youtube.liveBroadcast",
                )
            self._begin(broadcast, target)
        else:
            self._finish(broadcast)
        return web.json_response(self._broadcast_json(broadcast, params["part"]))

    async def _broadcast_delete(
        self, request: web.Request, token: TokenRecord, params: dict[str, Any]
    ) -> web.StreamResponse:
        broadcast = self._owned_broadcast(params["id"], token)
        if broadcast.life in _ON_AIR:
            raise GoogleError(
                403,
                "liveBroadcastDeletionNotAllowed",
                "The current status of the live broadcast does not allow it to be deleted.",
                domain="youtube.liveBroadcast",
            )
        del self.broadcasts[broadcast.id]
        return web.Response(status=204)

    def _begin(self, broadcast: Broadcast, target: str) -> None:
        starting, arrived = _ARRIVED[target]
        if self.transition_delay > 0:
            broadcast.status["lifeCycleStatus"] = starting
            broadcast.pending = (arrived, time.monotonic() + self.transition_delay)
        else:
            self._arrive(broadcast, arrived)

    def _arrive(self, broadcast: Broadcast, life: str) -> None:
        broadcast.pending = None
        broadcast.status["lifeCycleStatus"] = life
        if life == "live":
            broadcast.snippet["actualStartTime"] = _rfc3339(datetime.now(UTC))
            if broadcast.content_details.get("recordFromStart"):
                broadcast.status["recordingStatus"] = "recording"

    def _finish(self, broadcast: Broadcast) -> None:
        broadcast.pending = None
        broadcast.status["lifeCycleStatus"] = "complete"
        broadcast.snippet["actualEndTime"] = _rfc3339(datetime.now(UTC))
        if broadcast.status.get("recordingStatus") == "recording":
            broadcast.status["recordingStatus"] = "recorded"
            broadcast.processed_at = self.clock() + self.processing_delay
        stream = self.streams.get(broadcast.bound_stream or "")
        if stream is not None and self.auto_encoder:
            stream.status["streamStatus"] = "inactive"
            stream.status["healthStatus"] = {"status": "noData", "configurationIssues": []}

    def _settle(self, broadcast: Broadcast) -> None:
        """Finish a testStarting / liveStarting phase once its delay has passed."""
        if broadcast.pending is not None and time.monotonic() >= broadcast.pending[1]:
            self._arrive(broadcast, broadcast.pending[0])

    def _broadcast_json(self, broadcast: Broadcast, parts: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": "youtube#liveBroadcast",
            "etag": broadcast.etag,
            "id": broadcast.id,
        }
        if "snippet" in parts:
            out["snippet"] = dict(broadcast.snippet)
        if "status" in parts:
            out["status"] = dict(broadcast.status)
        if "contentDetails" in parts:
            out["contentDetails"] = {
                **broadcast.content_details,
                "monitorStream": dict(broadcast.content_details["monitorStream"]),
            }
        if "statistics" in parts:
            stats: dict[str, str] = {}
            if broadcast.life == "live" and broadcast.viewers is not None:
                stats["concurrentViewers"] = str(broadcast.viewers)
            out["statistics"] = stats
        return out

    # -- liveStreams -----------------------------------------------------------------------------

    async def _stream_insert(
        self, request: web.Request, token: TokenRecord, params: dict[str, Any]
    ) -> web.StreamResponse:
        body = await self._body(request, "LiveStream")
        parts = set(params["part"])
        given_snippet = (body.get("snippet") or {}) if "snippet" in parts else {}
        given_cdn = (body.get("cdn") or {}) if "cdn" in parts else {}
        given_details = (body.get("contentDetails") or {}) if "contentDetails" in parts else {}
        title = given_snippet.get("title")
        if not title:
            raise _stream_error("titleRequired", "snippet.title", "A title is required.")
        _check_title(title, "youtube.liveStream")
        for name in ("frameRate", "ingestionType", "resolution"):
            if not given_cdn.get(name):
                raise _stream_error(f"{name}Required", f"cdn.{name}", f"cdn.{name} is required.")

        stream_id = token.subject[2:] + str(time.time_ns() // 1000)
        key = "-".join(_random_id(4, string.ascii_lowercase + string.digits) for _ in range(5))
        kind = given_cdn["ingestionType"]
        if kind == "rtmp":
            info = {
                "streamName": key,
                "ingestionAddress": "rtmp://a.rtmp.youtube.com/live2",
                "backupIngestionAddress": "rtmp://b.rtmp.youtube.com/live2?backup=1",
                "rtmpsIngestionAddress": "rtmps://a.rtmps.youtube.com/live2",
                "rtmpsBackupIngestionAddress": "rtmps://b.rtmps.youtube.com/live2?backup=1",
            }
        else:
            info = {
                "streamName": key,
                "ingestionAddress": f"https://a.upload.youtube.com/http_upload_{kind}?cid={key}",
                "backupIngestionAddress": f"https://b.upload.youtube.com/http_upload_{kind}?cid={key}",
            }
        stream = Stream(
            id=stream_id,
            channel_id=token.subject,
            snippet={
                "publishedAt": _rfc3339(datetime.now(UTC)),
                "channelId": token.subject,
                "title": title,
                "description": given_snippet.get("description", ""),
                "isDefaultStream": False,
            },
            cdn={
                "ingestionType": kind,
                "resolution": given_cdn["resolution"],
                "frameRate": given_cdn["frameRate"],
                "format": "",
                "ingestionInfo": info,
            },
            content_details={
                "closedCaptionsIngestionUrl": (
                    f"http://upload.youtube.com/closedcaption?cid={stream_id}"
                ),
                "isReusable": bool(given_details.get("isReusable", True)),
            },
            status={"streamStatus": "ready", "healthStatus": {"status": "noData"}},
        )
        self.streams[stream_id] = stream
        return web.json_response(self._stream_json(stream, params["part"]))

    async def _stream_list(
        self, request: web.Request, token: TokenRecord, params: dict[str, Any]
    ) -> web.StreamResponse:
        filters = [f for f in ("id", "mine") if f in params]
        _one_filter(filters, ("id", "mine"))
        if "id" in params:
            items = [self.streams[i] for i in params["id"] if i in self.streams]
            items = [s for s in items if s.channel_id == token.subject]
        else:
            items = [s for s in self.streams.values() if s.channel_id == token.subject]
            items = items if params["mine"] else []
        return web.json_response(
            _page(
                "youtube#liveStreamListResponse",
                [self._stream_json(s, params["part"]) for s in items],
                params,
            )
        )

    def _stream_json(self, stream: Stream, parts: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": "youtube#liveStream", "etag": stream.etag, "id": stream.id}
        if "snippet" in parts:
            out["snippet"] = dict(stream.snippet)
        if "cdn" in parts:
            out["cdn"] = {**stream.cdn, "ingestionInfo": dict(stream.cdn["ingestionInfo"])}
        if "contentDetails" in parts:
            out["contentDetails"] = dict(stream.content_details)
        if "status" in parts:
            out["status"] = {**stream.status, "healthStatus": dict(stream.status["healthStatus"])}
        return out

    # -- videos ----------------------------------------------------------------------------------

    async def _video_list(
        self, request: web.Request, token: TokenRecord, params: dict[str, Any]
    ) -> web.StreamResponse:
        filters = [f for f in ("chart", "id", "myRating") if f in params]
        _one_filter(filters, ("chart", "id", "myRating"))
        items: list[Broadcast] = []
        if "id" in params:
            for video_id in params["id"]:
                broadcast = self.broadcasts.get(video_id)
                if broadcast is None:
                    continue
                visible = broadcast.status["privacyStatus"] != "private"
                if visible or broadcast.channel_id == token.subject:
                    self._settle(broadcast)
                    items.append(broadcast)
        return web.json_response(
            _page(
                "youtube#videoListResponse",
                [
                    self._video_json(b, params["part"], owner=b.channel_id == token.subject)
                    for b in items
                ],
                params,
            )
        )

    def _video_json(
        self, broadcast: Broadcast, parts: list[str], *, owner: bool = False
    ) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": "youtube#video", "etag": broadcast.etag, "id": broadcast.id}
        life = broadcast.life
        if "snippet" in parts:
            content = (
                "live" if life in _ACTIVE_FILTER else "none" if life == "complete" else "upcoming"
            )
            out["snippet"] = {
                "publishedAt": broadcast.snippet["publishedAt"],
                "channelId": broadcast.channel_id,
                "title": broadcast.snippet["title"],
                "description": broadcast.snippet["description"],
                "thumbnails": broadcast.snippet["thumbnails"],
                "categoryId": broadcast.category,
                "liveBroadcastContent": content,
            }
            if broadcast.tags:
                out["snippet"]["tags"] = list(broadcast.tags)
        if "status" in parts:
            out["status"] = {
                "uploadStatus": "processed"
                if self.processing_status(broadcast) in ("succeeded", "terminated")
                else "uploaded",
                "privacyStatus": broadcast.status["privacyStatus"],
                "embeddable": bool(broadcast.content_details.get("enableEmbed", True)),
                "madeForKids": broadcast.status["madeForKids"],
            }
        processing = self.processing_status(broadcast)
        if "processingDetails" in parts and owner and processing is not None:
            out["processingDetails"] = {"processingStatus": processing}
        if "liveStreamingDetails" in parts:
            details: dict[str, str] = {
                "scheduledStartTime": broadcast.snippet["scheduledStartTime"]
            }
            for name in ("scheduledEndTime", "actualStartTime", "actualEndTime"):
                if name in broadcast.snippet:
                    details[name] = broadcast.snippet[name]
            if life == "live" and broadcast.viewers is not None:
                details["concurrentViewers"] = str(broadcast.viewers)
            if life != "complete":
                details["activeLiveChatId"] = broadcast.snippet["liveChatId"]
            out["liveStreamingDetails"] = details
        return out

    def _owned_video(self, video_id: str, token: TokenRecord, missing: str) -> Broadcast:
        """A broadcast is also a video; someone else's is as invisible to a write as none."""
        broadcast = self.broadcasts.get(video_id)
        if broadcast is None or (
            missing == "videoNotFound" and broadcast.channel_id != token.subject
        ):
            raise GoogleError(
                404,
                missing,
                "The video that you are trying to update cannot be found."
                if missing == "videoNotFound"
                else "The video that you are trying to set a thumbnail for cannot be found.",
                domain="youtube.video",
                location="id" if missing == "videoNotFound" else "videoId",
                location_type="other" if missing == "videoNotFound" else "parameter",
            )
        self._settle(broadcast)
        return broadcast

    async def _video_update(
        self, request: web.Request, token: TokenRecord, params: dict[str, Any]
    ) -> web.StreamResponse:
        body = await self._body(request, "Video")
        parts = params["part"]
        unmodelled = [p for p in parts if p != "snippet"]
        if unmodelled:
            raise GoogleError(
                400,
                "invalidPart",
                f"Only part=snippet updates are emulated, not: {', '.join(unmodelled)}",
                domain="youtube.part",
                location="part",
                location_type="parameter",
            )
        video_id = body.get("id")
        if not video_id:
            raise _body_error("resource.id", "The video id is required.", reason="required")
        broadcast = self._owned_video(str(video_id), token, "videoNotFound")
        snippet = body.get("snippet")
        if not isinstance(snippet, dict):
            raise _video_error(
                "invalidTitle", "snippet.title", "A snippet with a title is required."
            )
        title = snippet.get("title")
        if not title:
            raise _video_error("invalidTitle", "snippet.title", "The video title is required.")
        _check_title(title, "youtube.video")
        category = snippet.get("categoryId")
        if category not in ASSIGNABLE_CATEGORIES:
            raise _video_error(
                "invalidCategoryId",
                "snippet.categoryId",
                "The snippet.categoryId property specifies an invalid category ID.",
            )
        description = snippet.get("description", "")
        if len(description.encode()) > 5000 or "<" in description or ">" in description:
            raise _video_error("invalidDescription", "snippet.description", "Invalid description.")
        tags = snippet.get("tags")
        # a part's mutable values the body leaves out are removed, as the reference warns
        broadcast.snippet["title"] = title
        broadcast.snippet["description"] = description
        broadcast.category = category
        broadcast.tags = [str(t) for t in tags] if tags else None
        broadcast.etag = _random_id(27)
        return web.json_response(self._video_json(broadcast, parts))

    async def _thumbnail_set(
        self, request: web.Request, token: TokenRecord, params: dict[str, Any]
    ) -> web.StreamResponse:
        if params.get("uploadType") != "media":
            raise _param_error(
                "uploadType",
                "invalidParameter",
                "Only the simple upload protocol (uploadType=media) is emulated.",
            )
        media_type = request.content_type
        if media_type not in THUMBNAIL_TYPES:
            raise GoogleError(
                400,
                "badContent",
                f"Media type '{media_type}' is not supported. Valid media types: "
                f"[{', '.join(THUMBNAIL_TYPES)}]",
            )
        data = await request.read()
        if not data:
            raise GoogleError(
                400,
                "mediaBodyRequired",
                "The request does not include the image content.",
                domain="youtube.thumbnail",
            )
        if len(data) > THUMBNAIL_MAX_BYTES:
            raise GoogleError(413, "uploadTooLarge", f"Media larger than: {THUMBNAIL_MAX_BYTES}")
        kind = next((t for magic, t in _IMAGE_MAGIC.items() if data.startswith(magic)), None)
        if kind is None or media_type not in (kind, "application/octet-stream"):
            raise GoogleError(
                400,
                "invalidImage",
                "The provided image content is invalid.",
                domain="youtube.thumbnail",
            )
        broadcast = self._owned_video(params["videoId"], token, "notFound")
        if broadcast.channel_id != token.subject:
            raise GoogleError(
                403,
                "forbidden",
                "The thumbnail can't be set for the specified video. The request might not be "
                "properly authorized.",
                domain="youtube.thumbnail",
            )
        broadcast.thumbnail = (kind, data)
        version = _random_id(8)
        thumbs = {
            name: {
                "url": f"https://i.ytimg.com/vi/{broadcast.id}/{name}.jpg?v={version}",
                "width": w,
                "height": h,
            }
            for name, w, h in (
                ("default", 120, 90),
                ("medium", 320, 180),
                ("high", 480, 360),
                ("standard", 640, 480),
                ("maxres", 1280, 720),
            )
        }
        broadcast.snippet["thumbnails"] = thumbs
        return web.json_response(
            {"kind": "youtube#thumbnailSetResponse", "etag": _random_id(27), "items": [thumbs]}
        )


# -- helpers -------------------------------------------------------------------------------------


def _video_error(reason: str, path: str, message: str) -> GoogleError:
    return GoogleError(
        400, reason, message, domain="youtube.video", location=path, location_type="other"
    )


def _broadcast_error(reason: str, path: str, message: str) -> GoogleError:
    return GoogleError(
        400, reason, message, domain="youtube.liveBroadcast", location=path, location_type="other"
    )


def _stream_error(reason: str, path: str, message: str) -> GoogleError:
    return GoogleError(
        400, reason, message, domain="youtube.liveStream", location=path, location_type="other"
    )


def _invalid_transition(life: str, target: str) -> GoogleError:
    return GoogleError(
        403,
        "invalidTransition",
        f"The live broadcast can't transition from its current status ({life}) to the requested "
        f"status ({target}).",
        domain="youtube.liveBroadcast",
    )


def _check_title(title: Any, domain: str) -> None:
    if not isinstance(title, str) or len(title) > 100 or "<" in title or ">" in title:
        raise GoogleError(
            400,
            "invalidTitle",
            "The title must be 1-100 characters without < or >.",
            domain=domain,
            location="snippet.title",
            location_type="other",
        )


def _parse_time(raw: str, reason: str, path: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise _broadcast_error(reason, path, f"Invalid RFC 3339 date-time for {path}.")
    return moment


def _one_filter(given: Sequence[str], allowed: tuple[str, ...]) -> None:
    """List methods take exactly one filter parameter."""
    if not given:
        raise GoogleError(
            400,
            "missingRequiredParameter",
            f"No filter selected. Expected one of: {', '.join(allowed)}",
            domain="youtube.parameter",
        )
    if len(given) > 1:
        raise GoogleError(
            400,
            "incompatibleParameters",
            f"Incompatible parameters specified: {', '.join(given)}",
            domain="youtube.parameter",
        )


def _page(kind: str, items: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
    """Cut one page out of ``items``; page tokens are opaque offsets."""
    size = params.get("maxResults", 5)
    offset = 0
    token = params.get("pageToken")
    if token:
        try:
            offset = int(base64.urlsafe_b64decode(token.encode() + b"==").decode())
        except ValueError:
            raise _param_error(
                "pageToken", "invalidPageToken", "The page token is invalid."
            ) from None
    if "id" in params:
        size = max(len(items), 1)  # maxResults is not used with the id filter
    page = items[offset : offset + size]
    out: dict[str, Any] = {
        "kind": kind,
        "etag": _random_id(27),
        "pageInfo": {"totalResults": len(items), "resultsPerPage": size},
        "items": page,
    }
    if offset + size < len(items):
        out["nextPageToken"] = base64.urlsafe_b64encode(str(offset + size).encode()).decode()
    if offset > 0:
        out["prevPageToken"] = base64.urlsafe_b64encode(
            str(max(0, offset - size)).encode()
        ).decode()
    return out


def _check_schema(value: dict[str, Any], schema: str, path: str) -> None:
    """Reject unknown fields and badly typed or out-of-enum values, as Google's front end does."""
    fields = SCHEMAS[schema]
    for name, item in value.items():
        where = f"{path}.{name}"
        if name not in fields:
            raise _body_error(
                path,
                f"Invalid JSON payload received. Unknown name \"{name}\" at '{path}': Cannot find "
                "field.",
            )
        kind, enum = fields[name]
        if item is None:
            continue
        if kind.startswith("$"):
            if not isinstance(item, dict):
                raise _body_error(where, f"Invalid value at '{where}': expected an object.")
            if kind[1:] in SCHEMAS:
                _check_schema(item, kind[1:], where)
        elif kind == "string":
            if not isinstance(item, str):
                raise _body_error(where, f"Invalid value at '{where}' (TYPE_STRING), {item!r}")
            if enum is not None and item not in enum:
                raise _body_error(where, f"Invalid value at '{where}' (TYPE_ENUM), \"{item}\"")
        elif kind == "boolean":
            if not isinstance(item, bool):
                raise _body_error(where, f"Invalid value at '{where}' (TYPE_BOOL), {item!r}")
        elif kind == "integer":
            if isinstance(item, bool) or not isinstance(item, int | str):
                raise _body_error(where, f"Invalid value at '{where}' (TYPE_INT32), {item!r}")
        elif kind == "array" and not isinstance(item, list):
            raise _body_error(where, f"Invalid value at '{where}': expected a list.")
