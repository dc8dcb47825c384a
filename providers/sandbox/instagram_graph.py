"""Instagram live comments in the Graph API emulator (Instagram API with Facebook Login).

Mounted by :class:`providers.sandbox.facebook.FacebookEmulator` (Instagram is reached through
graph.facebook.com with the Facebook User token of a person who manages the Page the
Instagram professional account is linked to). Modelled on:

- https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/live_media
  (``GET /{ig-user-id}/live_media``: "Creating — This operation is not supported"; only live
  video IG Media being broadcast at the time of the request are returned; a User access
  token with ``instagram_basic`` and ``pages_read_engagement``; ``fields`` of IG Media,
  ``since``/``until``; an answer of ``{"data": [...], "paging": {...}}``);
- https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-media/comments
  (``GET /{ig-media-id}/comments``: a Facebook User token with ``instagram_basic``,
  ``instagram_manage_comments`` and ``pages_read_engagement``; creating comments on live video
  media is not supported);
- .../reference/ig-comment (fields ``id``, ``text``, ``timestamp``, ``username``,
  ``from{id,username}``, ``like_count``, ``hidden``, ``parent_id``; "comments on live video IG
  Media can only be read while the media is being broadcast");
- https://developers.facebook.com/docs/graph-api/results (cursor paging with ``limit`` and
  ``after``; ``paging.next`` only when there is more).

Where the pages are silent the emulator is strict and says so here: comments come newest
first (as Instagram's own clients show them) **[UNVERIFIED]**; ``limit`` above 50 is refused
**[UNVERIFIED]**; reading the comments of a live media after its broadcast ended answers the
Graph "does not exist ... or does not support this operation" error (code 100, subcode 33)
**[UNVERIFIED]**; a missing permission answers code 10 as Graph does for permissions.
Test hooks: :meth:`InstagramGraph.go_live`, :meth:`InstagramGraph.end`,
:meth:`InstagramGraph.inject`.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from providers.sandbox.facebook import GraphError

if TYPE_CHECKING:
    from providers.sandbox.facebook import FacebookEmulator

#: the permissions each edge needs, besides a valid User token
LIVE_MEDIA_SCOPES = ("instagram_basic", "pages_read_engagement")
COMMENT_SCOPES = ("instagram_basic", "instagram_manage_comments", "pages_read_engagement")
MEDIA_FIELDS = frozenset(
    {
        "id",
        "media_type",
        "media_product_type",
        "owner",
        "username",
        "timestamp",
        "caption",
        "permalink",
        "comments_count",
        "like_count",
    }
)
COMMENT_FIELDS = frozenset(
    {"id", "text", "timestamp", "username", "from", "like_count", "hidden", "parent_id", "media"}
)
LIVE_MEDIA_PARAMS = frozenset({"fields", "since", "until", "limit", "after", "access_token"})
COMMENT_PARAMS = frozenset({"fields", "limit", "after", "before", "access_token"})
MAX_LIMIT = 50


@dataclass
class LiveMedia:
    id: str
    owner: str
    username: str
    started: float = field(default_factory=time.time)
    live: bool = True
    #: newest last; the edge serves them newest first
    comments: list[dict[str, Any]] = field(default_factory=list)


def _gone(node: str) -> GraphError:
    return GraphError(
        f"Unsupported get request. Object with ID '{node}' does not exist, cannot be loaded "
        "due to missing permissions, or does not support this operation.",
        100,
        kind="GraphMethodException",
        subcode=33,
    )


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"ig:{offset}".encode()).decode().rstrip("=")


def _uncursor(raw: str) -> int:
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        if text.startswith("ig:"):
            return int(text[3:])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        pass
    raise GraphError("(#100) The after cursor is not valid", 100)


def _fields(raw: str, allowed: frozenset[str]) -> list[str]:
    names, depth, current = [], 0, ""
    for char in raw:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if char == "," and depth == 0:
            names.append(current.strip())
            current = ""
        else:
            current += char
    names.append(current.strip())
    names = [n.split("{", 1)[0] for n in names if n]
    for name in names:
        if name not in allowed:
            raise GraphError(f"(#100) Tried accessing nonexisting field ({name})", 100)
    return names


class InstagramGraph:
    """The Instagram professional account linked to the emulator's Page, and its lives."""

    def __init__(self, emulator: FacebookEmulator) -> None:
        self.emulator = emulator
        self.user_id = "17841400000000001"
        self.username = "golive.sandbox"
        self.media: dict[str, LiveMedia] = {}
        self._ids = itertools.count(1)

    def __repr__(self) -> str:
        return f"InstagramGraph(user_id={self.user_id!r}, media={len(self.media)})"

    # -- test hooks -----------------------------------------------------------------------------

    def go_live(self) -> str:
        """The account goes live (in the app or Live Producer); returns the live media id."""
        media_id = f"1800000000{next(self._ids):07d}"
        self.media[media_id] = LiveMedia(media_id, self.user_id, self.username)
        return media_id

    def end(self, media_id: str) -> None:
        self.media[media_id].live = False

    def inject(self, media_id: str, text: str, username: str = "viewer") -> str:
        comment_id = f"1790000000{next(self._ids):07d}"
        author = "9" + str(abs(hash(username)) % 10**15).rjust(15, "0")
        if username == self.username:
            author = self.user_id
        self.media[media_id].comments.append(
            {
                "id": comment_id,
                "text": text,
                "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000"),
                "username": username,
                "from": {"id": author, "username": username},
                "like_count": 0,
                "hidden": False,
                "media": {"id": media_id, "media_product_type": "LIVE"},
            }
        )
        return comment_id

    # -- routes (called by the Facebook emulator's edge handler) --------------------------------

    def handles(self, node: str, edge: str) -> bool:
        return (node == self.user_id and edge == "live_media") or (
            node in self.media and edge == "comments"
        )

    def read(
        self, node: str, edge: str, token: str, page_id: str | None, params: dict[str, str]
    ) -> dict[str, Any]:
        if page_id is not None:
            raise GraphError(
                "(#190) This method must be called with a User access token.", 190, subcode=None
            )
        if edge == "live_media":
            self._require(token, LIVE_MEDIA_SCOPES)
            return self._live_media(params)
        self._require(token, COMMENT_SCOPES)
        return self._comments(self.media[node], params)

    def _require(self, token: str, scopes: tuple[str, ...]) -> None:
        granted = set(self.emulator.oauth.access_tokens[token].scopes)
        missing = [s for s in scopes if s not in granted]
        if missing:
            raise GraphError(
                f"(#10) Application does not have permission for this action: {missing[0]}",
                10,
                kind="OAuthException",
            )

    @staticmethod
    def _check(params: dict[str, str], allowed: frozenset[str]) -> int:
        for name in params:
            if name not in allowed:
                raise GraphError(f"(#100) Param {name} is not a valid parameter", 100)
        try:
            limit = int(params.get("limit", "25"))
        except ValueError:
            raise GraphError("(#100) Param limit must be an integer", 100) from None
        if not 1 <= limit <= MAX_LIMIT:
            raise GraphError(f"(#100) Param limit must be between 1 and {MAX_LIMIT}", 100)
        return limit

    def _live_media(self, params: dict[str, str]) -> dict[str, Any]:
        limit = self._check(params, LIVE_MEDIA_PARAMS)
        fields = _fields(params.get("fields") or "id", MEDIA_FIELDS)
        live = [m for m in self.media.values() if m.live][::-1][:limit]
        data = []
        for media in live:
            full = {
                "id": media.id,
                "media_type": "BROADCAST",
                "media_product_type": "LIVE",
                "owner": {"id": media.owner},
                "username": media.username,
                "timestamp": datetime.fromtimestamp(media.started, UTC).strftime(
                    "%Y-%m-%dT%H:%M:%S+0000"
                ),
                "comments_count": len(media.comments),
                "like_count": 0,
            }
            data.append({k: full[k] for k in ["id", *fields] if k in full})
        return {"data": data, "paging": {}}

    def _comments(self, media: LiveMedia, params: dict[str, str]) -> dict[str, Any]:
        if not media.live:
            raise _gone(media.id)
        limit = self._check(params, COMMENT_PARAMS)
        fields = _fields(params.get("fields") or "id,text,timestamp", COMMENT_FIELDS)
        newest_first = media.comments[::-1]
        start = _uncursor(params["after"]) if params.get("after") else 0
        page = newest_first[start : start + limit]
        keep = set(fields) | {"id"}
        body: dict[str, Any] = {"data": [{k: v for k, v in c.items() if k in keep} for c in page]}
        if page:
            end = start + len(page)
            body["paging"] = {"cursors": {"before": _cursor(start), "after": _cursor(end)}}
            if end < len(newest_first):
                body["paging"]["next"] = f"https://graph.facebook.com/{media.id}/comments"
        return body
