"""Reading a YouTube broadcast's live chat with ``liveChatMessages.list``.

Pages followed:
- https://developers.google.com/youtube/v3/live/docs/liveChatMessages/list (``liveChatId``,
  ``part``, ``pageToken``, ``maxResults``; ``nextPageToken`` and ``pollingIntervalMillis`` in
  the answer; 5 quota units a call);
- https://developers.google.com/youtube/v3/live/docs/liveChatMessages (the resource).

``liveChatMessages.streamList`` is the documented lower-latency way and costs the same 5
units per call, but for one long call instead of one per poll. Its guide documents it as a gRPC
method; the discovery document also lists it over HTTP (``GET liveChat/messages/stream``)
without saying how the streamed JSON is framed, so golive polls ``list`` at the pace YouTube
asks for (docs/decisions/0007-youtube-chat-polling.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from providers.errors import InvalidRequest
from providers.http import PlatformHttp

LIST_COST = 5
#: what Google charges a rejected call (determine_quota_cost: at least one unit)
REJECTED_COST = 1
#: the wait when an answer names none; YouTube's own answers say a few seconds
DEFAULT_POLL_SECONDS = 5.0


@dataclass(frozen=True)
class ChatPage:
    items: list[dict[str, Any]]
    next_page_token: str | None
    wait_seconds: float
    offline: bool


class YouTubeChatClient:
    """One call of ``liveChatMessages.list`` at a time; the caller keeps the pace."""

    def __init__(self, http: PlatformHttp, *, max_results: int = 500) -> None:
        self.http = http
        self.max_results = max_results
        #: units spent by this client, rejected calls included
        self.quota_spent = 0

    def __repr__(self) -> str:
        return f"YouTubeChatClient(quota_spent={self.quota_spent})"

    async def list_messages(self, live_chat_id: str, page_token: str | None) -> ChatPage:
        params = {
            "liveChatId": live_chat_id,
            "part": "id,snippet,authorDetails",
            "maxResults": str(self.max_results),
        }
        if page_token:
            params["pageToken"] = page_token
        try:
            body = await self.http.json("GET", "/liveChat/messages", params=params)
        except InvalidRequest:
            self.quota_spent += REJECTED_COST
            raise
        self.quota_spent += LIST_COST
        interval = body.get("pollingIntervalMillis")
        return ChatPage(
            items=list(body.get("items") or []),
            next_page_token=body.get("nextPageToken"),
            wait_seconds=interval / 1000 if isinstance(interval, int) else DEFAULT_POLL_SECONDS,
            offline=bool(body.get("offlineAt")),
        )
