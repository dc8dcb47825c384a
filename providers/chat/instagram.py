"""Reading an Instagram professional account's live comments through the Graph API.

No API starts an Instagram live (see :mod:`providers.instagram`), but while one runs its
comments can be read with the Instagram API with Facebook Login: the Facebook User token of a
person who manages the Page the Instagram account is linked to, with ``instagram_basic``,
``instagram_manage_comments`` and ``pages_read_engagement``. Pages followed:

- https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/live_media
  (``GET /{ig-user-id}/live_media``: only the live video IG Media being broadcast now);
- https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-media/comments
  and .../reference/ig-comment (``GET /{ig-media-id}/comments`` with ``fields``; comments on a
  live can only be read while it is broadcast);
- https://developers.facebook.com/docs/graph-api/results (cursor paging).

There is no cursor that means "after the newest comment I read", so golive remembers the
newest comment's time and reads pages until it reaches older ones; comments at that same second
are read again and dropped by the chat store as duplicates. Instagram's ``live_comments``
webhook would push instead, but needs a public HTTPS callback and an app subscription per
account, which a self-hosted golive behind a firewall cannot count on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from providers.facebook import Facebook

#: what the Facebook sign-in adds when an Instagram account is configured
SCOPES = ("instagram_basic", "instagram_manage_comments")
MEDIA_FIELDS = "id,media_type,media_product_type,timestamp"
COMMENT_FIELDS = "id,text,timestamp,username,from{id,username}"
LIMIT = 50


@dataclass(frozen=True)
class CommentPage:
    items: list[dict[str, Any]]  # newest first
    after: str | None
    more: bool


class InstagramCommentsClient:
    """Calls made with the Facebook connection's User token."""

    def __init__(self, provider: Facebook, ig_user_id: str) -> None:
        self.provider = provider
        self.ig_user_id = ig_user_id

    def __repr__(self) -> str:
        return f"InstagramCommentsClient(ig_user_id={self.ig_user_id!r})"

    async def live_media(self) -> list[dict[str, Any]]:
        """The account's live media being broadcast now (none before it goes live)."""
        body = await self.provider._user_call(
            "GET", f"{self.ig_user_id}/live_media", params={"fields": MEDIA_FIELDS}
        )
        return list((body or {}).get("data") or [])

    async def comments(self, media_id: str, after: str | None = None) -> CommentPage:
        params = {"fields": COMMENT_FIELDS, "limit": str(LIMIT)}
        if after:
            params["after"] = after
        body = await self.provider._user_call("GET", f"{media_id}/comments", params=params)
        paging = (body or {}).get("paging") or {}
        return CommentPage(
            items=list((body or {}).get("data") or []),
            after=(paging.get("cursors") or {}).get("after"),
            more=bool(paging.get("next")),
        )
