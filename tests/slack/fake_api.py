"""A local fake of the Slack Web API, served over HTTP at ``SLACK_API_URL``.

Shapes follow Slack's method reference (docs.slack.dev/reference/methods/...): every answer is
HTTP 200 with ``{"ok": true, ...}`` or ``{"ok": false, "error": "..."}``; an unknown bearer
token gets ``invalid_auth``; a missing required argument ``invalid_arguments``; a rate-limited
method HTTP 429 with ``Retry-After`` and ``{"ok": false, "error": "ratelimited"}``. Every
message and view golive sends is checked against Block Kit's limits (:mod:`.limits`); a
breach answers ``invalid_blocks`` as Slack does and is recorded in :attr:`problems`.

It also serves ``/response/{id}`` so slash commands' ``response_url`` lands here too.

File uploads follow Slack's current flow (docs.slack.dev/reference/methods/
files.getUploadURLExternal and files.completeUploadExternal): ``files.getUploadURLExternal``
requires ``filename`` and ``length`` (a positive integer; 0 answers ``missing_argument``) and
returns an ``upload_url`` and a ``file_id``; the upload URL (served here under ``/upload/v1/``)
accepts one POST of the bytes, raw or multipart, and refuses a body whose size is not the
declared ``length`` (HTTP 400, the file stays unusable) and any second POST (HTTP 404);
``files.completeUploadExternal`` requires ``files`` (a JSON array of ``{"id", "title"}``), can
be called once per file, and answers ``file_not_found`` for an unknown id or one whose bytes
never arrived, ``channel_not_found`` for a channel that is not a Slack channel id and
``not_in_channel`` for one the bot is not in (these three error names are Slack's usual ones;
the method's error table was not re-read). Both methods need the ``files:write`` scope
(``missing_scope`` with ``needed``/``provided`` otherwise); the fake's scopes default to
manifest.yml's bot scopes, so the manifest and the code are checked together.
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.adapters.slack import manifest
from tests.slack.limits import check_message, check_view

REQUIRED = {
    "chat.postMessage": ("channel",),
    "chat.update": ("channel", "ts"),
    "chat.postEphemeral": ("channel", "user"),
    "views.open": ("view",),
    "views.publish": ("user_id", "view"),
    "views.update": ("view",),
    "users.info": ("user",),
    "usergroups.users.list": ("usergroup",),
    "files.getUploadURLExternal": ("filename", "length"),
    "files.completeUploadExternal": ("files",),
    "conversations.open": ("users",),
}
SCOPES = {
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
}
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]+$")


def manifest_scopes() -> set[str]:
    return set(manifest.load()["oauth_config"]["scopes"]["bot"])


@dataclass
class Upload:
    """One file between files.getUploadURLExternal and files.completeUploadExternal."""

    file_id: str
    filename: str
    length: int
    key: str
    data: bytes | None = None  # set once its bytes arrived at the upload URL in full
    posted: bool = False  # the upload URL took its one POST
    completed: bool = False


@dataclass
class SharedFile:
    """A file completeUploadExternal shared: what people see in the channel or thread."""

    file_id: str
    filename: str
    title: str
    data: bytes
    channel: str | None
    thread_ts: str | None
    initial_comment: str


MESSAGES = {"chat.postMessage", "chat.update", "chat.postEphemeral"}
VIEWS = {"views.open", "views.publish", "views.update"}


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    #: when the fake received it (time.monotonic), for tests that count posts per second
    at: float = field(default_factory=time.monotonic)


@dataclass
class FakeSlack:
    tokens: set[str] = field(default_factory=lambda: {"xoxb-test"})
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: method -> how many of its next calls answer 429
    rate_limit: dict[str, int] = field(default_factory=dict)
    team: str = "T1"
    #: the bot token's scopes (manifest.yml's by default)
    scopes: set[str] = field(default_factory=manifest_scopes)
    #: channels the bot is not a member of (uploads there answer not_in_channel)
    outside: set[str] = field(default_factory=set)
    uploads: dict[str, Upload] = field(default_factory=dict)
    shared: list[SharedFile] = field(default_factory=list)
    _ts: itertools.count = field(default_factory=lambda: itertools.count(1))
    base_url: str = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self.api)
        app.router.add_post("/response/{id}", self.response_url)
        app.router.add_route("*", "/upload/v1/{key}", self.upload_url)
        return app

    async def upload_url(self, request: web.Request) -> web.Response:
        """The upload URL: POST only, once, with exactly the declared number of bytes."""
        upload = next(
            (u for u in self.uploads.values() if u.key == request.match_info["key"]), None
        )
        if upload is None or upload.posted:
            return web.Response(status=404, text="not found")
        if request.method != "POST":
            return web.Response(status=405, text="method not allowed")
        upload.posted = True
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            part = next((v for v in form.values() if isinstance(v, web.FileField)), None)
            data = part.file.read() if part is not None else b""
        else:
            data = await request.read()
        if len(data) != upload.length:
            self.problems.append(
                f"upload {upload.file_id}: {len(data)} bytes sent, {upload.length} declared"
            )
            return web.Response(status=400, text="length mismatch")
        upload.data = data
        return web.Response(text=f"OK - {len(data)}")

    def of(self, method: str) -> list[dict[str, Any]]:
        return [c.args for c in self.calls if c.method == method]

    async def response_url(self, request: web.Request) -> web.Response:
        body = await request.json()
        problems = check_message(body)
        self.problems.extend(problems)
        self.responses.append(body)
        return web.Response(text="ok")

    async def api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            args.update(await request.json())
        elif request.can_read_body:
            args.update(dict(await request.post()))
        for key in ("blocks", "view"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        if self.rate_limit.get(method, 0) > 0:
            self.rate_limit[method] -= 1
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"}
            )
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") or args.get("token", "")
        if method != "oauth.v2.access" and token not in self.tokens:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        needed = SCOPES.get(method)
        if needed is not None and needed not in self.scopes:
            return web.json_response(
                {
                    "ok": False,
                    "error": "missing_scope",
                    "needed": needed,
                    "provided": ",".join(sorted(self.scopes)),
                }
            )
        missing = [k for k in REQUIRED.get(method, ()) if k not in args or args[k] in ("", None)]
        if missing:
            return web.json_response({"ok": False, "error": "invalid_arguments"})
        if method.startswith("files."):
            refused = self.check_files(method, args)
            if refused is not None:
                return web.json_response({"ok": False, "error": refused})
        problems = []
        if method in MESSAGES:
            problems = check_message(args)
        elif method in VIEWS:
            problems = check_view(args["view"])
        if problems:
            self.problems.extend(f"{method}: {p}" for p in problems)
            return web.json_response({"ok": False, "error": "invalid_blocks"})
        self.calls.append(Call(method, args))
        return web.json_response(self.answer(method, args))

    def check_files(self, method: str, args: dict[str, Any]) -> str | None:
        """Slack's error for an upload call that it refuses, else None."""
        if method == "files.getUploadURLExternal":
            try:
                length = int(args["length"])
            except (TypeError, ValueError):
                return "invalid_arguments"
            return "missing_argument" if length <= 0 else None
        try:
            files = json.loads(args["files"]) if isinstance(args["files"], str) else args["files"]
        except ValueError:
            return "invalid_arguments"
        if not isinstance(files, list) or not files or not all(isinstance(f, dict) for f in files):
            return "invalid_arguments"
        for item in files:
            upload = self.uploads.get(str(item.get("id")))
            if upload is None or upload.data is None or upload.completed:
                return "file_not_found"
        channel = args.get("channel_id")
        if channel is not None:
            if not _CHANNEL_ID.match(str(channel)):
                return "channel_not_found"
            if channel in self.outside:
                return "not_in_channel"
        args["files"] = files
        return None

    def answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "files.getUploadURLExternal":
            upload = Upload(
                file_id=f"F{next(self._ts):010d}",
                filename=str(args["filename"]),
                length=int(args["length"]),
                key=secrets.token_urlsafe(12),
            )
            self.uploads[upload.file_id] = upload
            return {
                "ok": True,
                "upload_url": f"{self.base_url}/upload/v1/{upload.key}",
                "file_id": upload.file_id,
            }
        if method == "files.completeUploadExternal":
            done = []
            for item in args["files"]:
                upload = self.uploads[str(item["id"])]
                upload.completed = True
                title = str(item.get("title") or upload.filename)
                assert upload.data is not None
                self.shared.append(
                    SharedFile(
                        file_id=upload.file_id,
                        filename=upload.filename,
                        title=title,
                        data=upload.data,
                        channel=args.get("channel_id"),
                        thread_ts=args.get("thread_ts"),
                        initial_comment=str(args.get("initial_comment") or ""),
                    )
                )
                done.append({"id": upload.file_id, "title": title})
            return {"ok": True, "files": done}
        if method == "oauth.v2.access":
            team = f"T{args.get('code', 'x')[-1]}"
            token = f"xoxb-{team}"
            self.tokens.add(token)
            return {
                "ok": True,
                "app_id": "A1",
                "authed_user": {"id": "UADMIN"},
                "scope": "commands,chat:write",
                "token_type": "bot",
                "access_token": token,
                "bot_user_id": "UBOT",
                "team": {"id": team, "name": team},
                "enterprise": None,
                "is_enterprise_install": False,
            }
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://t1.slack.com/",
                "team": "T",
                "user": "golive",
                "team_id": self.team,
                "user_id": "UBOT",
                "bot_id": "BBOT",
            }
        if method in {"chat.postMessage", "chat.update"}:
            ts = args.get("ts") or f"1700000000.{next(self._ts):06d}"
            return {
                "ok": True,
                "channel": args["channel"],
                "ts": ts,
                "message": {"text": args.get("text", ""), "blocks": args.get("blocks", [])},
            }
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"1700000000.{next(self._ts):06d}"}
        if method in VIEWS:
            return {"ok": True, "view": {"id": "V1", **args["view"]}}
        if method == "users.info":
            user = self.users.get(args["user"])
            if user is None:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": {"id": args["user"], "tz": "Europe/Berlin", **user}}
        if method == "conversations.open":  # a direct message channel with one person
            return {"ok": True, "channel": {"id": "D" + str(args["users"]).split(",")[0]}}
        if method == "usergroups.users.list":
            return {"ok": True, "users": self.groups.get(args["usergroup"], [])}
        return {"ok": True}
