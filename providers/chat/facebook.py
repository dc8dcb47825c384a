"""Reading a Facebook live video's comments by polling its ``comments`` edge.

Pages followed:
- https://developers.facebook.com/docs/graph-api/reference/live-video/comments and
  .../reference/object/comments (``filter=stream`` for every comment in time order,
  ``order=chronological``, ``live_filter=no_filter`` so nothing is held back as "low
  quality", ``fields``);
- https://developers.facebook.com/docs/graph-api/results (cursor paging: ``after`` resumes
  after the last comment read; ``paging.next`` only when more is waiting);
- https://developers.facebook.com/docs/graph-api/server-sent-events/endpoints/live-comments
  (the SSE stream: its ``comment_rate`` caps delivery at ten a second and may skip comments,
  and it has no cursor, so a reconnect can neither resume nor prove nothing was missed;
  golive therefore polls, which resumes exactly from the stored ``after`` cursor).

The Page token comes from the Facebook provider, which derives and caches it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from providers.facebook import Facebook

FIELDS = "id,message,created_time,from{id,name}"
LIMIT = 100


@dataclass(frozen=True)
class CommentPage:
    items: list[dict[str, Any]]
    after: str | None
    more: bool


class FacebookCommentsClient:
    def __init__(self, provider: Facebook, page_id: str | None = None) -> None:
        self.provider = provider
        self.page_id = page_id

    def __repr__(self) -> str:
        return f"FacebookCommentsClient(page_id={self.page_id!r})"

    async def comments(self, live_video_id: str, after: str | None) -> CommentPage:
        params = {
            "filter": "stream",
            "order": "chronological",
            "live_filter": "no_filter",
            "fields": FIELDS,
            "limit": str(LIMIT),
        }
        if after:
            params["after"] = after
        body = await self.provider._page_call(
            self.page_id, "GET", f"{live_video_id}/comments", params=params
        )
        paging = (body or {}).get("paging") or {}
        return CommentPage(
            items=list((body or {}).get("data") or []),
            after=(paging.get("cursors") or {}).get("after"),
            more=bool(paging.get("next")),
        )
