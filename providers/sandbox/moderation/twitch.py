"""Twitch chat moderation in the sandbox (mounted by :class:`~providers.sandbox.chat.TwitchChat`).

Twitch, modelled on:
- https://dev.twitch.tv/docs/api/reference/#delete-chat-messages (``DELETE
  /helix/moderation/chat?broadcaster_id=&moderator_id=&message_id=``, scope
  ``moderator:manage:chat_messages``, 204; 404 for a message that is unknown or older than six
  hours; 400 for a message of the broadcaster or another moderator; 403 when the token's
  user is not one of the broadcaster's moderators; ``moderator_id`` must be the token's
  user);
- https://dev.twitch.tv/docs/api/reference/#ban-user (``POST
  /helix/moderation/bans?broadcaster_id=&moderator_id=`` with ``{"data": {"user_id",
  "duration", "reason"}}``, scope ``moderator:manage:banned_users``; ``duration`` 1 to
  1,209,600 seconds makes a time-out, no ``duration`` a ban; 400 when the user is already
  banned, "you can ban a user that's already in a timeout but you can't move a banned user
  into a timeout"; answer ``data[]`` with ``broadcaster_id``, ``moderator_id``, ``user_id``,
  ``created_at``, ``end_time``);
- https://dev.twitch.tv/docs/api/reference/#unban-user (``DELETE
  /helix/moderation/bans?broadcaster_id=&moderator_id=&user_id=``, 204; 400 "user is not
  banned");
- errors in Helix's ``{"error", "status", "message"}`` shape; 401 for a missing scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web

from providers.sandbox.twitch import HelixError

if TYPE_CHECKING:
    from providers.sandbox.chat import TwitchChat

MAX_TIMEOUT = 1_209_600  # two weeks
MESSAGE_MAX_AGE = timedelta(hours=6)


@dataclass
class TwitchBan:
    user_id: str
    moderator_id: str
    created_at: datetime
    end_time: datetime | None  # None: a ban, not a time-out
    reason: str = ""


class TwitchModeration:
    """Delete chat messages and ban, time out and unban users in one Twitch emulator."""

    def __init__(self, chat: TwitchChat) -> None:
        self.chat = chat
        #: broadcaster id -> user id -> ban
        self.bans: dict[str, dict[str, TwitchBan]] = {}
        #: message id -> (broadcaster id, chatter id, badges, sent at), for delete
        self.messages: dict[str, tuple[str, str, tuple[str, ...], datetime]] = {}
        self.deleted: set[str] = set()
        #: broadcaster id -> user ids the broadcaster made moderators (test hook)
        self.moderators: dict[str, set[str]] = {}
        #: (method, path, query, JSON body) of every moderation request that arrived
        self.received: list[tuple[str, str, dict[str, str], Any]] = []

    def __repr__(self) -> str:
        return f"TwitchModeration(bans={sum(len(b) for b in self.bans.values())})"

    def mount(self, app: web.Application) -> None:
        emulator = self.chat.emulator
        for method, handler in (
            ("DELETE", self._delete_message),
            ("POST", self._ban),
            ("DELETE", self._unban),
        ):
            path = "moderation/chat" if handler == self._delete_message else "moderation/bans"
            app.router.add_route(method, f"/helix/{path}", emulator._wrap(method, path, handler))

    def active_ban(self, broadcaster: str, user_id: str) -> TwitchBan | None:
        ban = self.bans.get(broadcaster, {}).get(user_id)
        now = datetime.fromtimestamp(self.chat.emulator.clock(), UTC)
        if ban is not None and ban.end_time is not None and ban.end_time <= now:
            del self.bans[broadcaster][user_id]  # the time-out ran out
            return None
        return ban

    async def _record(self, request: web.Request) -> None:
        body = None
        if request.can_read_body:
            try:
                body = await request.json()
            except ValueError:
                body = await request.text()
        self.received.append((request.method, request.path, dict(request.query), body))

    def _ids(self, request: web.Request, token: Any, extra: dict[str, bool]) -> dict[str, str]:
        values = self.chat.emulator._query(
            request, {"broadcaster_id": False, "moderator_id": False, **extra}
        )
        out = {k: v[0] for k, v in values.items()}
        for name in ("broadcaster_id", "moderator_id"):
            if not out.get(name):
                raise HelixError(400, f'Missing required parameter "{name}"')
        if out["moderator_id"] != token.subject:
            raise HelixError(
                401,
                "The ID in moderator_id must match the user ID found in the request's OAuth token.",
            )
        broadcaster = out["broadcaster_id"]
        if broadcaster not in self.chat.emulator.channels:
            raise HelixError(400, "The broadcaster_id query parameter is not valid")
        is_mod = token.subject == broadcaster or token.subject in self.moderators.get(
            broadcaster, set()
        )
        if not is_mod:
            raise HelixError(
                403, "The user in moderator_id is not one of the broadcaster's moderators."
            )
        return out

    async def _delete_message(self, request: web.Request, token: Any) -> web.StreamResponse:
        await self._record(request)
        self.chat.emulator._scope(token, "moderator:manage:chat_messages")
        out = self._ids(request, token, {"message_id": False})
        message_id = out.get("message_id")
        if not message_id:
            raise HelixError(400, "This emulator does not clear the whole chat: give message_id")
        known = self.messages.get(message_id)
        now = datetime.fromtimestamp(self.chat.emulator.clock(), UTC)
        if (
            known is None
            or known[0] != out["broadcaster_id"]
            or message_id in self.deleted
            or now - known[3] > MESSAGE_MAX_AGE
        ):
            raise HelixError(
                404,
                "The ID in message_id was not found or the message was created more than six "
                "hours ago.",
            )
        _, chatter, badges, _ = known
        if chatter == out["broadcaster_id"] or "broadcaster" in badges:
            raise HelixError(400, "You may not delete the broadcaster's messages.")
        if "moderator" in badges:
            raise HelixError(400, "You may not delete another moderator's messages.")
        self.deleted.add(message_id)
        return web.Response(status=204)

    async def _ban(self, request: web.Request, token: Any) -> web.StreamResponse:
        await self._record(request)
        self.chat.emulator._scope(token, "moderator:manage:banned_users")
        out = self._ids(request, token, {})
        try:
            body = await request.json()
        except ValueError:
            raise HelixError(400, "The request body is not valid JSON") from None
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or set(body) - {"data"}:
            raise HelixError(400, 'The body must be {"data": {...}}')
        unknown = sorted(set(data) - {"user_id", "duration", "reason"})
        if unknown:
            raise HelixError(400, f"The field {unknown[0]!r} is not supported")
        user_id = str(data.get("user_id") or "")
        if not user_id:
            raise HelixError(400, 'Missing required field "user_id"')
        duration = data.get("duration")
        if duration is not None:
            if isinstance(duration, bool) or not isinstance(duration, int | str):
                raise HelixError(400, "The value in the duration field is not valid")
            try:
                duration = int(duration)
            except ValueError:
                raise HelixError(400, "The value in the duration field is not valid") from None
            if not 1 <= duration <= MAX_TIMEOUT:
                raise HelixError(400, "The value in the duration field is not valid")
        reason = str(data.get("reason") or "")
        if len(reason) > 500:
            raise HelixError(400, "The text in the reason field is too long")
        broadcaster = out["broadcaster_id"]
        if user_id == broadcaster or user_id in self.moderators.get(broadcaster, set()):
            raise HelixError(400, "The user specified in the user_id field may not be banned.")
        earlier = self.active_ban(broadcaster, user_id)
        if earlier is not None and earlier.end_time is None:
            raise HelixError(400, "The user specified in the user_id field is already banned.")
        now = datetime.fromtimestamp(self.chat.emulator.clock(), UTC)
        end = None if duration is None else now + timedelta(seconds=duration)
        ban = TwitchBan(user_id, token.subject, now, end, reason)
        self.bans.setdefault(broadcaster, {})[user_id] = ban
        return web.json_response(
            {
                "data": [
                    {
                        "broadcaster_id": broadcaster,
                        "moderator_id": token.subject,
                        "user_id": user_id,
                        "created_at": _stamp(now),
                        "end_time": _stamp(end) if end else None,
                    }
                ]
            }
        )

    async def _unban(self, request: web.Request, token: Any) -> web.StreamResponse:
        await self._record(request)
        self.chat.emulator._scope(token, "moderator:manage:banned_users")
        out = self._ids(request, token, {"user_id": False})
        user_id = out.get("user_id")
        if not user_id:
            raise HelixError(400, 'Missing required parameter "user_id"')
        if self.active_ban(out["broadcaster_id"], user_id) is None:
            raise HelixError(400, "The user specified in the user_id field is not banned.")
        del self.bans[out["broadcaster_id"]][user_id]
        return web.Response(status=204)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
