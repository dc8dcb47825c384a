"""A local fake of Discord's REST API (v10) for discord.py's real HTTP client.

Modelled on discord/discord-api-docs (developers/docs): reference.mdx (base URL, the
``Authorization: Bot`` and ``DiscordBot (...)`` User-Agent requirements, error JSON and codes),
topics/rate-limits.mdx (X-RateLimit-* headers, the 429 body ``{message, retry_after, global}``
with ``Retry-After``), interactions/receiving-and-responding.mdx (callback types, 3-second
answer window, 15-minute token, ``with_response``, follow-ups and ``@original`` edits),
interactions/application-commands.mdx (bulk overwrite of guild commands, option rules),
resources/message.mdx (create/edit message, embed limits), components/reference.mdx (action
rows, buttons: link buttons have a url and no custom_id), resources/channel.mdx
(start thread from message; the thread's id is the starter message's id),
resources/user.mdx (create DM), resources/guild-scheduled-event.mdx (in
scheduled_events.py) and topics/gateway.mdx plus gateway-events.mdx (``GET
/gateway/bot``; Hello, Identify with its intents, Ready, Guild Create, Heartbeat ACK and
dispatches such as Interaction Create).

Like Discord, it rejects what Discord rejects: an unknown or late interaction, a second
callback, a follow-up before the acknowledgement, an invalid form body (code 50035), an
unknown channel or message, a thread started twice, a sixth message in one channel within
5 seconds (429, as topics/rate-limits.mdx describes per-route limits for message creation; the
X-RateLimit-* headers of that route say what is left), a deferred update (callback type 6 or
7) of an interaction that came from no message component, a file over the upload limit or one
``payload_json`` does not list (:mod:`.attachments`). ``limit_next`` makes the next matching
requests answer 429 exactly as Discord does.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.discord import attachments
from tests.discord.attachments import MAX_FILE
from tests.discord.rules import (
    FormErrors,
    as_json,
    check_command,
    check_message,
    error,
    now,
)
from tests.discord.scheduled_events import ScheduledEvents

TOKEN = "MTA.fake-bot-token.discord"
APP_ID = 1100000000000000001
BOT_ID = 1100000000000000001
ANSWER_WINDOW = 3.0
TOKEN_LIFETIME = 15 * 60
#: messages one channel accepts per window before answering 429
CHANNEL_LIMIT = 5
CHANNEL_WINDOW = 5.0


@dataclass
class Interaction:
    id: int
    token: str
    guild_id: int
    channel_id: int
    created: float = field(default_factory=time.monotonic)
    callback: dict[str, Any] | None = None
    original: dict[str, Any] | None = None
    original_edits: list[dict[str, Any]] = field(default_factory=list)
    followups: list[dict[str, Any]] = field(default_factory=list)
    #: the message whose component was used (component interactions only)
    message: dict[str, Any] | None = None


@dataclass
class Limit:
    method: str
    pattern: re.Pattern[str]
    times: int
    retry_after: float
    scope: str = "user"


class FakeDiscord:
    def __init__(self) -> None:
        self._ids = itertools.count(1300000000000000000)
        self.bot_user = {
            "id": str(BOT_ID),
            "username": "golive",
            "discriminator": "0",
            "global_name": "golive",
            "avatar": None,
            "bot": True,
            "flags": 0,
        }
        self.guilds: dict[int, dict[str, Any]] = {}
        self.channels: dict[int, dict[str, Any]] = {}
        self.forbidden: set[int] = set()
        self.messages: dict[int, dict[str, Any]] = {}  # id -> message object
        self.edits: list[tuple[int, dict[str, Any]]] = []  # (message id, body)
        self.threads: list[dict[str, Any]] = []
        #: message id -> (filename, bytes) of every file attached to it (tests look at them)
        self.files: dict[int, list[tuple[str, bytes]]] = {}
        self.commands: dict[int, list[dict[str, Any]]] = {}  # guild id -> commands
        self.users: dict[int, dict[str, Any]] = {}
        self.interactions: dict[int, Interaction] = {}
        self.calls: list[tuple[str, str, int]] = []  # (method, path, status)
        self.limits: list[Limit] = []
        self.rejections: list[tuple[str, str, Any]] = []  # (method, path, Discord's error body)
        self.late_callbacks = 0
        #: when each channel accepted its recent messages, and how often one was refused
        self.channel_posts: dict[int, collections.deque[float]] = {}
        self.channel_429s = 0
        #: (channel id, monotonic time, request body) of every message created
        self.created: list[tuple[int, float, dict[str, Any]]] = []
        self.answer_window = ANSWER_WINDOW  # a test may shrink it to prove golive answers first
        self.identify: dict[str, Any] | None = None  # the last IDENTIFY payload's ``d``
        #: guild scheduled events (tests/discord/scheduled_events.py)
        self.scheduled_events = ScheduledEvents(self)
        self._sockets: list[web.WebSocketResponse] = []
        self._sequence = 0
        self.url = ""
        self._runner: web.AppRunner | None = None

    # -- world set-up --------------------------------------------------------------------

    def snowflake(self) -> int:
        return next(self._ids)

    def add_guild(self, name: str = "Community") -> int:
        guild_id = self.snowflake()
        self.guilds[guild_id] = {"id": str(guild_id), "name": name, "roles": []}
        self.add_role(guild_id, "@everyone", role_id=guild_id)
        return guild_id

    def add_role(self, guild_id: int, name: str, role_id: int | None = None) -> int:
        role_id = role_id or self.snowflake()
        roles = self.guilds[guild_id]["roles"]
        roles.append(
            {
                "id": str(role_id),
                "name": name,
                "color": 0,
                "hoist": False,
                "icon": None,
                "unicode_emoji": None,
                "position": len(roles),
                "permissions": "0",
                "managed": False,
                "mentionable": False,
                "flags": 0,
            }
        )
        return role_id

    def add_channel(self, guild_id: int, name: str = "general") -> int:
        channel_id = self.snowflake()
        self.channels[channel_id] = {
            "id": str(channel_id),
            "type": 0,
            "guild_id": str(guild_id),
            "name": name,
            "position": len(self.channels),
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "rate_limit_per_user": 0,
            "last_message_id": None,
            "flags": 0,
        }
        return channel_id

    def add_thread(self, guild_id: int, parent_id: int, name: str = "live chat") -> int:
        """A public thread under ``parent_id`` (as if started from a message there)."""
        thread_id = self.snowflake()
        self.channels[thread_id] = {
            "id": str(thread_id),
            "type": 11,
            "guild_id": str(guild_id),
            "parent_id": str(parent_id),
            "owner_id": str(BOT_ID),
            "name": name,
            "rate_limit_per_user": 0,
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": 1440,
                "archive_timestamp": now(),
                "locked": False,
            },
        }
        return thread_id

    def add_user(self, username: str) -> int:
        user_id = self.snowflake()
        self.users[user_id] = {
            "id": str(user_id),
            "username": username,
            "discriminator": "0",
            "global_name": username.title(),
            "avatar": None,
            "flags": 0,
        }
        return user_id

    def limit_next(
        self, method: str, path: str, *, times: int = 1, retry_after: float = 0.25
    ) -> None:
        """The next ``times`` requests whose path matches the regex ``path`` get a 429."""
        self.limits.append(Limit(method, re.compile(path), times, retry_after))

    def in_channel(self, channel_id: int) -> list[dict[str, Any]]:
        return [m for m in self.messages.values() if int(m["channel_id"]) == channel_id]

    async def wait_until(self, predicate, within: float = 5.0) -> None:
        deadline = time.monotonic() + within
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("the fake Discord never saw the expected requests")
            await asyncio.sleep(0.01)

    # -- server --------------------------------------------------------------------------

    async def start(self) -> str:
        # room for a file just over Discord's upload limit, so the fake can refuse it itself
        app = web.Application(middlewares=[self._middleware], client_max_size=2 * MAX_FILE)
        r = app.router
        base = "/api/v10"
        r.add_get(f"{base}/gateway/bot", self.gateway_bot)
        r.add_get("/gateway", self.gateway)
        r.add_get(f"{base}/users/@me", self.me)
        r.add_get(f"{base}/oauth2/applications/@me", self.application)
        r.add_get(f"{base}/users/@me/guilds", self.my_guilds)
        r.add_post(f"{base}/users/@me/channels", self.create_dm)
        r.add_get(f"{base}/users/{{user_id}}", self.get_user)
        r.add_put(f"{base}/applications/{{app}}/guilds/{{guild}}/commands", self.put_commands)
        r.add_get(f"{base}/applications/{{app}}/guilds/{{guild}}/commands", self.get_commands)
        r.add_get(f"{base}/channels/{{channel}}", self.get_channel)
        r.add_post(f"{base}/channels/{{channel}}/messages", self.create_message)
        r.add_patch(f"{base}/channels/{{channel}}/messages/{{message}}", self.edit_message)
        r.add_post(f"{base}/channels/{{channel}}/messages/{{message}}/threads", self.thread)
        r.add_post(f"{base}/interactions/{{id}}/{{token}}/callback", self.callback)
        r.add_post(f"{base}/webhooks/{{app}}/{{token}}", self.followup)
        r.add_patch(f"{base}/webhooks/{{app}}/{{token}}/messages/{{message}}", self.edit_original)
        self.scheduled_events.routes(r, base)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/api/v10"
        return self.url

    async def close(self) -> None:
        for socket in self._sockets:
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _middleware(self, request: web.Request, handler) -> web.StreamResponse:
        path = request.path.removeprefix("/api/v10")
        if request.path == "/gateway":  # the token comes in IDENTIFY, not in a header
            return await handler(request)
        # Interaction callbacks and webhooks are authorised by their token alone.
        webhook = path.startswith(("/interactions/", "/webhooks/"))
        if not webhook and not request.headers.get("User-Agent", "").startswith("DiscordBot ("):
            return self._record(request, error(400, 0, "A DiscordBot User-Agent is required"))
        if not webhook and request.headers.get("Authorization") != f"Bot {TOKEN}":
            return self._record(request, error(401, 0, "401: Unauthorized"))
        for limit in self.limits:
            if limit.times > 0 and limit.method == request.method and limit.pattern.search(path):
                limit.times -= 1
                return self._record(request, self._too_many(limit))
        response = await handler(request)
        if not webhook:
            for name, value in self._bucket_headers(path).items():
                response.headers.setdefault(name, value)
        return self._record(request, response)

    def _record(self, request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
        path = request.path.removeprefix("/api/v10")
        # Discord's API answers through Google's front end; discord.py treats a 429 without
        # ``Via`` as a Cloudflare ban and gives up instead of waiting.
        response.headers["Via"] = "1.1 google"
        self.calls.append((request.method, path, response.status))
        if response.status >= 400 and isinstance(response, web.Response) and response.body:
            self.rejections.append((request.method, path, json.loads(bytes(response.body))))
        return response

    @staticmethod
    def _bucket_headers(path: str) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "4",
            "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
            "X-RateLimit-Reset-After": "1.000",
            "X-RateLimit-Bucket": f"{abs(hash(path.split('/')[1])):x}",
        }

    @staticmethod
    def _too_many(limit: Limit) -> web.Response:
        body = {"message": "You are being rate limited.", "retry_after": limit.retry_after}
        body["global"] = False
        response = as_json(body, status=429)
        response.headers.update(
            {
                "Retry-After": str(max(1, round(limit.retry_after))),
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{time.time() + limit.retry_after:.3f}",
                "X-RateLimit-Reset-After": f"{limit.retry_after:.3f}",
                "X-RateLimit-Bucket": "fake-bucket",
                "X-RateLimit-Scope": limit.scope,
            }
        )
        return response

    # -- gateway -------------------------------------------------------------------------

    async def gateway_bot(self, request: web.Request) -> web.Response:
        return as_json(
            {
                "url": self.url.replace("http://", "ws://").removesuffix("/api/v10") + "/gateway",
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 86400000,
                    "max_concurrency": 1,
                },
            }
        )

    async def gateway(self, request: web.Request) -> web.StreamResponse:
        if request.query.get("v") != "10" or request.query.get("encoding") != "json":
            return error(400, 0, "unsupported gateway version or encoding")
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_json({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        async for frame in socket:
            packet = json.loads(frame.data)
            if packet["op"] == 1:
                await socket.send_json({"op": 11})
            elif packet["op"] == 2:
                if packet["d"].get("token") != TOKEN:
                    await socket.close(code=4004, message=b"Authentication failed.")
                    break
                if packet["d"].get("intents") is None:
                    await socket.close(code=4013, message=b"Invalid intent(s).")
                    break
                self.identify = packet["d"]
                await self._ready(socket)
        return socket

    async def _send(self, socket: web.WebSocketResponse, event: str, data: dict) -> None:
        self._sequence += 1
        await socket.send_json({"op": 0, "t": event, "s": self._sequence, "d": data})

    async def _ready(self, socket: web.WebSocketResponse) -> None:
        ready = {
            "v": 10,
            "user": self.bot_user,
            "guilds": [{"id": g["id"], "unavailable": True} for g in self.guilds.values()],
            "session_id": f"session{self.snowflake()}",
            "resume_gateway_url": self.url.replace("http://", "ws://") + "/gateway",
            "application": {"id": str(APP_ID), "flags": 0},
        }
        await self._send(socket, "READY", ready)
        for guild_id in self.guilds:
            await self._send(socket, "GUILD_CREATE", self.guild_create(guild_id))

    def guild_create(self, guild_id: int, *, joined: bool = False) -> dict[str, Any]:
        """GUILD_CREATE data; after READY it says ``unavailable: false``, on a join nothing."""
        guild = self.guilds[guild_id]
        channels = [c for c in self.channels.values() if c.get("guild_id") == str(guild_id)]
        return {
            **guild,
            "icon": None,
            "owner_id": str(self.snowflake()),
            "features": [],
            "emojis": [],
            "stickers": [],
            "channels": [c for c in channels if c["type"] != 11],
            "threads": [c for c in channels if c["type"] == 11],
            "members": [],
            "voice_states": [],
            "presences": [],
            "member_count": 3,
            "large": False,
            **({} if joined else {"unavailable": False}),
            "joined_at": now(),
            "preferred_locale": "en-US",
        }

    async def dispatch(self, event: str, data: dict) -> None:
        """Send a gateway dispatch (e.g. INTERACTION_CREATE) to every connected bot."""
        for socket in self._sockets:
            if not socket.closed:
                await self._send(socket, event, data)

    # -- identity ------------------------------------------------------------------------

    async def me(self, request: web.Request) -> web.Response:
        return as_json(self.bot_user)

    async def application(self, request: web.Request) -> web.Response:
        return as_json(
            {
                "id": str(APP_ID),
                "name": "golive",
                "icon": None,
                "description": "Go live and meet everywhere",
                "bot_public": False,
                "bot_require_code_grant": False,
                "owner": {**self.bot_user, "bot": False, "username": "owner"},
                "verify_key": "0" * 64,
                "flags": 0,
                "team": None,
            }
        )

    async def my_guilds(self, request: web.Request) -> web.Response:
        return as_json(
            [
                {**g, "icon": None, "owner": False, "permissions": "2147483648", "features": []}
                for g in self.guilds.values()
            ]
        )

    async def get_user(self, request: web.Request) -> web.Response:
        user = self.users.get(int(request.match_info["user_id"]))
        if user is None:
            return error(404, 10013, "Unknown User")
        return as_json(user)

    async def create_dm(self, request: web.Request) -> web.Response:
        body = await request.json()
        user = self.users.get(int(body.get("recipient_id") or 0))
        if user is None:
            return error(400, 50035, "Invalid Form Body", {"recipient_id": {"_errors": []}})
        channel_id = self.snowflake()
        self.channels[channel_id] = {
            "id": str(channel_id),
            "type": 1,
            "recipients": [user],
            "last_message_id": None,
            "flags": 0,
        }
        return as_json(self.channels[channel_id])

    # -- application commands -------------------------------------------------------------

    async def put_commands(self, request: web.Request) -> web.Response:
        if int(request.match_info["app"]) != APP_ID:
            return error(403, 50001, "Missing Access")
        guild_id = int(request.match_info["guild"])
        if guild_id not in self.guilds:
            return error(403, 50001, "Missing Access")
        body = await request.json()
        problems = FormErrors()
        if not isinstance(body, list) or len(body) > 100:
            problems.add([], "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
            return problems.response()  # type: ignore[return-value]
        for i, command in enumerate(body):
            check_command(command, [i], problems)
        if (bad := problems.response()) is not None:
            return bad
        stored = []
        for command in body:
            stored.append(
                {
                    "id": str(self.snowflake()),
                    "application_id": str(APP_ID),
                    "guild_id": str(guild_id),
                    "version": str(self.snowflake()),
                    "default_member_permissions": command.get("default_member_permissions"),
                    "type": command.get("type", 1),
                    "nsfw": command.get("nsfw", False),
                    **{k: v for k, v in command.items() if k in ("name", "description")},
                    "options": command.get("options", []),
                }
            )
        self.commands[guild_id] = stored
        return as_json(stored)

    async def get_commands(self, request: web.Request) -> web.Response:
        return as_json(self.commands.get(int(request.match_info["guild"]), []))

    # -- messages ------------------------------------------------------------------------

    def _message(self, channel_id: int, body: dict, *, flags: int = 0) -> dict[str, Any]:
        message = {
            "id": str(self.snowflake()),
            "channel_id": str(channel_id),
            "type": 0,
            "content": body.get("content") or "",
            "author": self.bot_user,
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "attachments": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": now(),
            "edited_timestamp": None,
            "flags": flags | (body.get("flags") or 0),
        }
        if body.get("application_id"):
            message["application_id"] = body["application_id"]
        return message

    def _channel_problem(self, channel_id: int) -> web.Response | None:
        if channel_id not in self.channels:
            return error(404, 10003, "Unknown Channel")
        if channel_id in self.forbidden:
            return error(403, 50013, "Missing Permissions")
        return None

    async def get_channel(self, request: web.Request) -> web.Response:
        channel_id = int(request.match_info["channel"])
        if channel_id not in self.channels:
            return error(404, 10003, "Unknown Channel")
        if channel_id in self.forbidden:
            return error(403, 50001, "Missing Access")
        return as_json(self.channels[channel_id])

    async def create_message(self, request: web.Request) -> web.Response:
        channel_id = int(request.match_info["channel"])
        if (bad := self._channel_problem(channel_id)) is not None:
            return bad
        recent = self.channel_posts.setdefault(channel_id, collections.deque())
        moment = time.monotonic()
        while recent and moment - recent[0] >= CHANNEL_WINDOW:
            recent.popleft()
        if len(recent) >= CHANNEL_LIMIT:
            self.channel_429s += 1
            wait = CHANNEL_WINDOW - (moment - recent[0])
            return self._too_many(Limit("POST", re.compile(""), 0, round(wait, 3)))
        read = await attachments.read(request)
        if isinstance(read, web.Response):
            return read
        body, uploads = read
        if (bad := check_message(body, creating=True)) is not None:
            return bad
        recent.append(moment)
        self.created.append((channel_id, moment, body))
        message = self._message(channel_id, body)
        self._attach(message, body, uploads)
        self.messages[int(message["id"])] = message
        left = CHANNEL_LIMIT - len(recent)
        reset = CHANNEL_WINDOW - (moment - recent[0])
        response = as_json(message)
        response.headers.update(
            {
                "X-RateLimit-Limit": str(CHANNEL_LIMIT),
                "X-RateLimit-Remaining": str(left),
                "X-RateLimit-Reset": f"{time.time() + reset:.3f}",
                "X-RateLimit-Reset-After": f"{reset:.3f}",
                "X-RateLimit-Bucket": f"messages-{channel_id}",
            }
        )
        return response

    def _attach(self, message: dict, body: dict, uploads: list[attachments.Upload]) -> None:
        channel_id = int(message["channel_id"])
        message["attachments"] = attachments.attachment_objects(
            uploads, body, self.snowflake, channel_id
        )
        if uploads:
            self.files[int(message["id"])] = [(u.filename, u.data) for u in uploads]

    async def edit_message(self, request: web.Request) -> web.Response:
        channel_id = int(request.match_info["channel"])
        if (bad := self._channel_problem(channel_id)) is not None:
            return bad
        message = self.messages.get(int(request.match_info["message"]))
        if message is None or int(message["channel_id"]) != channel_id:
            return error(404, 10008, "Unknown Message")
        body = await request.json()
        if (bad := check_message(body, creating=False)) is not None:
            return bad
        for key in ("content", "embeds", "components"):
            if key in body:
                message[key] = (
                    body[key] if body[key] is not None else ([] if key != "content" else "")
                )
        message["edited_timestamp"] = now()
        self.edits.append((int(message["id"]), body))
        return as_json(message)

    async def thread(self, request: web.Request) -> web.Response:
        channel_id = int(request.match_info["channel"])
        if (bad := self._channel_problem(channel_id)) is not None:
            return bad
        message_id = int(request.match_info["message"])
        message = self.messages.get(message_id)
        if message is None or int(message["channel_id"]) != channel_id:
            return error(404, 10008, "Unknown Message")
        if message_id in self.channels:
            return error(400, 160004, "A thread has already been created for this message")
        body = await request.json()
        problems = FormErrors()
        if not 1 <= len(body.get("name") or "") <= 100:
            problems.add(["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        duration = body.get("auto_archive_duration", 4320)
        if duration not in (60, 1440, 4320, 10080):
            problems.add(["auto_archive_duration"], "BASE_TYPE_CHOICES", "Not a valid duration")
        if (bad := problems.response()) is not None:
            return bad
        parent = self.channels[channel_id]
        thread = {
            "id": str(message_id),  # a thread started from a message shares its id
            "type": 11,
            "guild_id": parent["guild_id"],
            "parent_id": str(channel_id),
            "owner_id": str(BOT_ID),
            "name": body["name"],
            "rate_limit_per_user": body.get("rate_limit_per_user") or 0,
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": duration,
                "archive_timestamp": now(),
                "locked": False,
            },
        }
        self.channels[message_id] = thread
        self.threads.append(thread)
        return as_json(thread, status=201)

    # -- interactions --------------------------------------------------------------------

    def interaction(self, guild_id: int, channel_id: int) -> Interaction:
        item = Interaction(
            self.snowflake(), f"aW50ZXJhY3Rpb24.{self.snowflake()}", guild_id, channel_id
        )
        self.interactions[item.id] = item
        return item

    def _by_token(self, token: str) -> Interaction | None:
        for item in self.interactions.values():
            if item.token == token and time.monotonic() - item.created < TOKEN_LIFETIME:
                return item
        return None

    async def callback(self, request: web.Request) -> web.Response:
        item = self.interactions.get(int(request.match_info["id"]))
        if item is None or item.token != request.match_info["token"]:
            return error(404, 10062, "Unknown interaction")
        if time.monotonic() - item.created > self.answer_window:
            self.late_callbacks += 1
            return error(404, 10062, "Unknown interaction")
        if item.callback is not None:
            return error(400, 40060, "Interaction has already been acknowledged.")
        body = await request.json()
        kind = body.get("type")
        data = body.get("data") or {}
        if kind in (4, 7) and (bad := check_message(data, creating=kind == 4)) is not None:
            return bad
        if kind == 8 and len(data.get("choices") or []) > 25:
            return error(400, 50035, "Invalid Form Body", {"data": {"choices": {"_errors": []}}})
        if kind == 9:
            problems = FormErrors()
            if not 1 <= len(data.get("custom_id") or "") <= 100:
                problems.add(["data", "custom_id"], "BASE_TYPE_REQUIRED", "Required")
            if not 1 <= len(data.get("title") or "") <= 45:
                problems.add(["data", "title"], "BASE_TYPE_BAD_LENGTH", "1-45")
            if not 1 <= len(data.get("components") or []) <= 5:
                problems.add(["data", "components"], "BASE_TYPE_BAD_LENGTH", "1-5")
            if (bad := problems.response()) is not None:
                return bad
        if kind not in (1, 4, 5, 6, 7, 8, 9):
            return error(400, 50035, "Invalid Form Body", {"type": {"_errors": []}})
        if kind in (6, 7) and item.message is None:
            return error(400, 50035, "Invalid Form Body", {"type": {"_errors": []}})
        item.callback = body
        if kind in (6, 7):
            item.original = item.message  # @original is the component's message
            if kind == 7:
                for key in ("content", "embeds", "components"):
                    if key in data:
                        item.message[key] = data[key]  # type: ignore[index]
        resource: dict[str, Any] = {"type": kind}
        if kind in (4, 5):
            item.original = self._message(item.channel_id, data, flags=data.get("flags") or 0)
            if kind == 5:
                item.original["flags"] |= 128  # LOADING
            item.original["application_id"] = str(APP_ID)
            resource["message"] = item.original
        if request.query.get("with_response") not in ("1", "true", "True"):
            return web.Response(status=204)
        return as_json(
            {
                "interaction": {
                    "id": str(item.id),
                    "type": 2,
                    "response_message_id": item.original["id"] if item.original else None,
                    "response_message_loading": kind == 5,
                    "response_message_ephemeral": bool((data.get("flags") or 0) & 64),
                },
                "resource": resource,
            }
        )

    async def followup(self, request: web.Request) -> web.Response:
        item = self._by_token(request.match_info["token"])
        if item is None or item.callback is None or int(request.match_info["app"]) != APP_ID:
            return error(404, 10015, "Unknown Webhook")
        read = await attachments.read(request)
        if isinstance(read, web.Response):
            return read
        body, uploads = read
        if (bad := check_message(body, creating=True)) is not None:
            return bad
        message = self._message(item.channel_id, body)
        self._attach(message, body, uploads)
        item.followups.append(message)
        return as_json(message)

    async def edit_original(self, request: web.Request) -> web.Response:
        item = self._by_token(request.match_info["token"])
        if item is None or item.original is None or request.match_info["message"] != "@original":
            return error(404, 10008, "Unknown Message")
        body = await self._body(request)
        if (bad := check_message(body, creating=False)) is not None:
            return bad
        for key in ("content", "embeds", "components"):
            if key in body:
                item.original[key] = body[key]
        item.original["flags"] &= ~128
        item.original_edits.append(body)
        return as_json(item.original)

    @staticmethod
    async def _body(request: web.Request) -> dict[str, Any]:
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            return json.loads(str(form["payload_json"]))
        return await request.json()
