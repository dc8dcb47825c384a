"""A local fake of the Slack Web API, served over HTTP at ``SLACK_API_URL``.

Shapes follow Slack's method reference (docs.slack.dev/reference/methods/...): every answer is
HTTP 200 with ``{"ok": true, ...}`` or ``{"ok": false, "error": "..."}``; an unknown bearer
token gets ``invalid_auth``; a missing required argument ``invalid_arguments``; a rate-limited
method HTTP 429 with ``Retry-After`` and ``{"ok": false, "error": "ratelimited"}``. Every
message and view golive sends is checked against Block Kit's limits (:mod:`.limits`); a
breach answers ``invalid_blocks`` as Slack does and is recorded in :attr:`problems`.

It also serves ``/response/{id}`` so slash commands' ``response_url`` lands here too.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

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
    "conversations.open": ("users",),
}
MESSAGES = {"chat.postMessage", "chat.update", "chat.postEphemeral"}
VIEWS = {"views.open", "views.publish", "views.update"}


@dataclass
class Call:
    method: str
    args: dict[str, Any]


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
    _ts: itertools.count = field(default_factory=lambda: itertools.count(1))
    base_url: str = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self.api)
        app.router.add_post("/response/{id}", self.response_url)
        return app

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
        missing = [k for k in REQUIRED.get(method, ()) if not args.get(k)]
        if missing:
            return web.json_response({"ok": False, "error": "invalid_arguments"})
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

    def answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
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
