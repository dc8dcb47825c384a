"""The HTTP API under ``/api/``: the chat commands' services for scripts and other systems.

Every call carries a personal token (``Authorization: Bearer glv_…``); reads need scope
``read``, changes ``read-write``. Errors are RFC 9457 problem documents. Broadcast start and
stop return 202 at once with each platform's state and run on; clients poll ``GET``. A
client that cannot poll sends ``Prefer: wait`` and gets the finished result instead.
Announcements happen exactly as for a chat command, through the same handlers.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from bot import commands as c
from bot import handlers
from bot.api import schemas
from bot.api.openapi import document
from bot.messages import display, explain
from bot.services import reports
from bot.services.context import Services
from bot.services.errors import NotFound, ServiceError
from bot.services.tokens import TokenInfo
from bot.views import Announcement
from providers import platforms, provider_class
from providers.errors import PlatformError
from storage.models import AuditEntry, IdempotentRequest

log = logging.getLogger(__name__)

SERVICES = web.AppKey("services", Services)
STATE = web.AppKey("state", dict)
PROBLEM = "application/problem+json"


class Problem(Exception):
    def __init__(self, status: int, title: str, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra

    def response(self) -> web.Response:
        body = schemas.Problem(
            title=self.title, status=self.status, detail=self.detail, **self.extra
        ).model_dump(exclude_none=True)
        headers = {"WWW-Authenticate": 'Bearer realm="golive"'} if self.status == 401 else None
        return web.json_response(body, status=self.status, content_type=PROBLEM, headers=headers)


# -- middleware: auth, audit, errors, idempotency ----------------------------------------


#: the API token a request was authenticated with (set by :func:`guard`)
TOKEN = web.RequestKey("token", TokenInfo)


def _need(request: web.Request) -> str:
    return "read" if request.method in ("GET", "HEAD") else "read-write"


@web.middleware
async def guard(request: web.Request, handler) -> web.StreamResponse:
    if request.path == "/api/openapi.json":
        return await handler(request)
    try:
        token = await _authenticate(request)
        request[TOKEN] = token
        await _audit(request, token)
        if request.method in ("POST", "PATCH", "DELETE") and "Idempotency-Key" in request.headers:
            return await _idempotent(request, handler, token)
        return await _run(request, handler)
    except Problem as problem:
        return problem.response()


async def _authenticate(request: web.Request) -> TokenInfo:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Problem(401, "Unauthorized", "Send an API token: Authorization: Bearer glv_…")
    token = await request.app[SERVICES].tokens.verify(value.strip())
    if token is None:
        raise Problem(401, "Unauthorized", "The API token is unknown or revoked.")
    if _need(request) == "read-write" and token.scope != "read-write":
        raise Problem(
            403, "Forbidden", f"Token {token.name} may only read; this call needs read-write."
        )
    return token


async def _audit(request: web.Request, token: TokenInfo) -> None:
    async with request.app[SERVICES].db.transaction() as session:
        session.add(
            AuditEntry(
                actor=f"api:{token.name}"[:64],
                action=f"api {request.method}",
                target=request.path[:200],
                operation=token.workspace,
            )
        )


async def _run(request: web.Request, handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except Problem:
        raise
    except ValidationError as exc:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"]}
            for e in exc.errors()
        ]
        raise Problem(
            400, "Invalid request body", "Some fields are invalid.", errors=errors
        ) from exc
    except c.CommandError as exc:
        raise Problem(400, "Invalid request", exc.message) from exc
    except NotFound as exc:
        raise Problem(404, "Not found", str(exc)) from exc
    except ServiceError as exc:
        raise Problem(422, "Cannot do that", str(exc)) from exc
    except PlatformError as exc:
        raise Problem(502, f"{display(exc.platform)} failed", explain(exc)) from exc


async def _idempotent(request: web.Request, handler, token: TokenInfo) -> web.StreamResponse:
    """First answer stored, replayed for a retry; the same key with another request is 422."""
    key = request.headers["Idempotency-Key"]
    if not key or len(key) > 255 or not key.isprintable():
        raise Problem(400, "Invalid Idempotency-Key", "Use 1 to 255 printable characters.")
    body = await request.read()
    fingerprint = hashlib.sha256(
        f"{request.method} {request.path_qs}\n".encode() + body
    ).hexdigest()
    db = request.app[SERVICES].db
    async with db.sessions() as session:
        stored = (
            await session.execute(
                select(IdempotentRequest).where(
                    IdempotentRequest.token_id == token.id, IdempotentRequest.key == key
                )
            )
        ).scalar_one_or_none()
    if stored is not None:
        if stored.fingerprint != fingerprint:
            raise Problem(
                422, "Idempotency-Key reused", "This key was used for a different request."
            )
        if stored.status is None:
            raise Problem(409, "Request in progress", "The first request with this key runs.")
        kind = PROBLEM if stored.status >= 400 else "application/json"
        return web.json_response(
            stored.body,
            status=stored.status,
            content_type=kind,
            headers={"Idempotent-Replayed": "true"},
        )
    try:
        async with db.transaction() as session:
            session.add(IdempotentRequest(token_id=token.id, key=key, fingerprint=fingerprint))
    except IntegrityError as exc:
        raise Problem(409, "Request in progress", "The first request with this key runs.") from exc
    try:
        response = await _run(request, handler)
    except Problem as problem:
        response = problem.response()
    except BaseException:
        await _forget(db, token.id, key)
        raise
    if response.status >= 500 or not isinstance(response, web.Response):
        await _forget(db, token.id, key)  # a server-side failure may be retried
        return response
    async with db.transaction() as session:
        row = (
            await session.execute(
                select(IdempotentRequest).where(
                    IdempotentRequest.token_id == token.id, IdempotentRequest.key == key
                )
            )
        ).scalar_one()
        row.status = response.status
        row.body = json.loads(response.body) if response.body else None
    return response


async def _forget(db, token_id: int, key: str) -> None:
    async with db.transaction() as session:
        await session.execute(
            delete(IdempotentRequest).where(
                IdempotentRequest.token_id == token_id, IdempotentRequest.key == key
            )
        )


# -- helpers ------------------------------------------------------------------------------


async def _body(request: web.Request, model: type[BaseModel]) -> Any:
    raw = await request.read()
    if not raw:
        raise Problem(400, "Invalid request body", "Send a JSON object.")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Problem(400, "Invalid request body", "The body is not valid JSON.") from exc
    return model.model_validate(data)


def _who(request: web.Request) -> handlers.Requester:
    token = request[TOKEN]
    return handlers.Requester(
        workspace=token.workspace,
        user_id=f"api:{token.name}"[:64],
        timezone=request.app[SERVICES].settings.timezone,
        is_admin=token.scope == "read-write",
    )


def _links(announcement: Announcement, progress: dict[str, str] | None = None):
    progress = progress or {}
    return [
        schemas.PlatformState(
            platform=link.platform,
            label=link.label,
            state=link.state,
            primary=link.primary,
            url=link.url,
            direct_url=link.direct_url,
            error=link.error,
            progress=progress.get(link.platform),
        )
        for link in announcement.links
    ]


def _future(start: datetime | None) -> datetime | None:
    if start is not None and start <= datetime.now(UTC):
        raise Problem(400, "Invalid request", "The start time is in the past.")
    return start


def _names(names: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n.strip().lower() for n in names))


def _json(model: BaseModel, status: int = 200, **headers: str) -> web.Response:
    return web.json_response(model.model_dump(mode="json"), status=status, headers=headers or None)


async def _livestream(request: web.Request, stream_id: str) -> schemas.Livestream:
    services = request.app[SERVICES]
    stream = await services.livestreams.get(_who(request).workspace, stream_id)
    view = await handlers.broadcast_post(services, stream, services.settings.timezone)
    running = request.app[STATE]["progress"].get(stream.id)
    return schemas.Livestream(
        id=stream.id,
        title=stream.title,
        description=stream.description,
        status=stream.status,
        start=stream.scheduled_start,
        primary=stream.primary_platform,
        record=stream.record,
        chat_relay=stream.chat_relay,
        platforms=_links(view, running),
        notes=list(view.notes),
    )


async def _meeting(services: Services, meeting, tz: str) -> schemas.Meeting:
    view = await handlers.meeting_post(services, meeting, tz)
    return schemas.Meeting(
        id=meeting.id,
        title=meeting.title,
        status=meeting.status,
        start=meeting.start,
        duration_minutes=meeting.duration_minutes,
        timezone=meeting.timezone,
        primary=meeting.primary_platform,
        platforms=_links(view),
        notes=list(view.notes),
    )


async def _announce_also(
    services: Services, who: handlers.Requester, post: Announcement, channels
) -> None:
    if channels:
        also = [(ch.chat, ch.channel) for ch in channels]
        await services.announcements.publish(who.workspace, post, also=also)


# -- livestreams ---------------------------------------------------------------------------


async def create_livestream(request: web.Request) -> web.Response:
    body: schemas.LivestreamCreate = await _body(request, schemas.LivestreamCreate)
    services, who = request.app[SERVICES], _who(request)
    chosen = _names(body.platforms)
    cmd = c.CreateBroadcast(
        title=c.check_title(body.title, "golive"),
        platforms=chosen,
        primary=(body.primary or chosen[0]).lower(),
        start=_future(body.start),
        record=body.record,
        description=body.description,
        chat_relay=body.chat_relay,
        settings=body.settings,
    )
    reply = await handlers.execute(services, who, cmd)
    if not reply.ok:
        raise ServiceError(" ".join(reply.private))
    post = next(p for p in reply.posts if isinstance(p, Announcement))
    await _announce_also(services, who, post, body.announce_channels)
    return _json(await _livestream(request, post.id), 201, Location=f"/api/livestreams/{post.id}")


async def list_livestreams(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    rows = await services.livestreams.list(_who(request).workspace, limit=50)
    items = [await _livestream(request, r.id) for r in rows]
    return _json(schemas.LivestreamList(items=items))


async def get_livestream(request: web.Request) -> web.Response:
    return _json(await _livestream(request, request.match_info["id"]))


async def _transition(request: web.Request, action: str) -> web.Response:
    services, who = request.app[SERVICES], _who(request)
    stream_id = request.match_info["id"]
    await services.livestreams.get(who.workspace, stream_id)  # 404 before anything runs
    state = request.app[STATE]
    if stream_id in state["progress"]:
        raise Problem(409, "Busy", f"Broadcast {stream_id} is being changed; poll it.")
    running: dict[str, str] = {}
    state["progress"][stream_id] = running

    async def progress(platform: str, status: str, note: str | None) -> None:
        running[platform] = status

    async def work() -> None:
        try:
            method = getattr(services.livestreams, action)
            stream, _ = await method(who.workspace, who.user_id, stream_id, progress=progress)
            post = await handlers.broadcast_post(services, stream, services.settings.timezone)
            await services.announcements.refresh(who.workspace, post)
            if action == "stop":
                await reports.after_end(services, stream, post)
        finally:
            state["progress"].pop(stream_id, None)

    if "wait" in request.headers.get("Prefer", "").lower():
        await work()
        return _json(await _livestream(request, stream_id))
    task = asyncio.create_task(work())
    state["tasks"].add(task)
    task.add_done_callback(state["tasks"].discard)
    task.add_done_callback(_log_failure)
    await asyncio.sleep(0)  # let it report its first "starting"/"stopping"
    return _json(
        await _livestream(request, stream_id), 202, Location=f"/api/livestreams/{stream_id}"
    )


def _log_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("background broadcast change failed", exc_info=task.exception())


async def start_livestream(request: web.Request) -> web.Response:
    return await _transition(request, "start")


async def stop_livestream(request: web.Request) -> web.Response:
    return await _transition(request, "stop")


async def patch_livestream(request: web.Request) -> web.Response:
    body: schemas.LivestreamPatch = await _body(request, schemas.LivestreamPatch)
    services, who = request.app[SERVICES], _who(request)
    stream_id = request.match_info["id"]
    if body.title is None and body.description is None and body.start is None:
        raise Problem(
            400, "Invalid request", "Nothing to change: send title, description or start."
        )
    stream = await services.livestreams.update(
        who.workspace,
        who.user_id,
        stream_id,
        title=c.check_title(body.title, "golive") if body.title is not None else None,
        description=body.description,
        start=_future(body.start),
    )
    if body.start is not None and stream.scheduled_start is not None:
        services.scheduler.plan_broadcast(who.workspace, stream.id, stream.scheduled_start)
    post = await handlers.broadcast_post(services, stream, services.settings.timezone)
    await services.announcements.refresh(who.workspace, post)
    return _json(await _livestream(request, stream_id))


async def delete_livestream(request: web.Request) -> web.Response:
    services, who = request.app[SERVICES], _who(request)
    stream = await services.livestreams.cancel(who.workspace, who.user_id, request.match_info["id"])
    services.scheduler.unplan("broadcast", stream.id)
    post = await handlers.broadcast_post(services, stream, services.settings.timezone)
    await services.announcements.refresh(who.workspace, post)
    return _json(await _livestream(request, stream.id))


async def livestream_report(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    stream = await services.livestreams.get(_who(request).workspace, request.match_info["id"])
    return _json(
        schemas.Report(
            id=stream.id,
            title=stream.title,
            status=stream.status,
            platforms=[
                schemas.PlatformReport(
                    platform=r.platform,
                    state=r.status,
                    attempts=r.attempts or 0,
                    quota_used=r.quota_used or 0,
                    error=r.error,
                )
                for r in stream.platforms
            ],
        )
    )


# -- meetings ------------------------------------------------------------------------------


async def create_meeting(request: web.Request) -> web.Response:
    body: schemas.MeetingCreate = await _body(request, schemas.MeetingCreate)
    services, who = request.app[SERVICES], _who(request)
    chosen = _names(body.platforms)
    if body.timezone:
        who = handlers.Requester(who.workspace, who.user_id, body.timezone, who.is_admin)
        try:
            from zoneinfo import ZoneInfo

            ZoneInfo(body.timezone)
        except (ValueError, KeyError) as exc:
            raise Problem(400, "Invalid request", f"Unknown time zone {body.timezone!r}.") from exc
    cmd = c.CreateMeeting(
        title=c.check_title(body.title, "meet"),
        platforms=chosen,
        primary=(body.primary or chosen[0]).lower(),
        start=_future(body.start),
        duration_minutes=body.duration_minutes,
        record=body.record,
        settings=body.settings,
    )
    reply = await handlers.execute(services, who, cmd)
    if not reply.ok:
        raise ServiceError(" ".join(reply.private))
    post = next(p for p in reply.posts if isinstance(p, Announcement))
    await _announce_also(services, who, post, body.announce_channels)
    meeting = await _load_meeting(request, post.id)
    return _json(
        await _meeting(services, meeting, who.timezone), 201, Location=f"/api/meetings/{post.id}"
    )


async def _load_meeting(request: web.Request, meeting_id: str):
    return await request.app[SERVICES].meetings.get(_who(request).workspace, meeting_id)


async def list_meetings(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    rows = await services.meetings.list(_who(request).workspace, limit=50)
    items = [await _meeting(services, m, m.timezone) for m in rows]
    return _json(schemas.MeetingList(items=items))


async def get_meeting(request: web.Request) -> web.Response:
    meeting = await _load_meeting(request, request.match_info["id"])
    return _json(await _meeting(request.app[SERVICES], meeting, meeting.timezone))


async def patch_meeting(request: web.Request) -> web.Response:
    body: schemas.MeetingPatch = await _body(request, schemas.MeetingPatch)
    if body.title is None and body.start is None and body.duration_minutes is None:
        raise Problem(400, "Invalid request", "Nothing to change: send title, start or duration.")
    services, who = request.app[SERVICES], _who(request)
    meeting = await services.meetings.update(
        who.workspace,
        who.user_id,
        request.match_info["id"],
        title=c.check_title(body.title, "meet") if body.title is not None else None,
        start=_future(body.start),
        duration_minutes=body.duration_minutes,
    )
    await services.announcements.refresh(
        who.workspace, await handlers.meeting_post(services, meeting, meeting.timezone)
    )
    return _json(await _meeting(services, meeting, meeting.timezone))


async def delete_meeting(request: web.Request) -> web.Response:
    services, who = request.app[SERVICES], _who(request)
    meeting = await services.meetings.cancel(who.workspace, who.user_id, request.match_info["id"])
    await services.announcements.refresh(
        who.workspace, await handlers.meeting_post(services, meeting, meeting.timezone)
    )
    return _json(await _meeting(services, meeting, meeting.timezone))


# -- platforms -----------------------------------------------------------------------------


async def list_platforms(request: web.Request) -> web.Response:
    services, who = request.app[SERVICES], _who(request)
    stored = {v.platform: v for v in await services.connections.list(who.workspace)}
    items = []
    for name in platforms():
        cls = provider_class(name)
        view = stored.get(name)
        ready = await services.connections.is_connected(who.workspace, name)
        items.append(
            schemas.Connection(
                platform=name,
                display_name=cls.display_name,
                kind=cls.kind.value,
                status=view.status if view else ("ready" if ready else "not connected"),
                account=view.account_label if view else None,
                expires_at=view.expires_at if view else None,
                last_error=view.last_error if view else None,
            )
        )
    return _json(schemas.ConnectionList(items=items))


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(document())


ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/openapi.json", openapi),
    ("POST", "/livestreams", create_livestream),
    ("GET", "/livestreams", list_livestreams),
    ("GET", "/livestreams/{id}", get_livestream),
    ("PATCH", "/livestreams/{id}", patch_livestream),
    ("DELETE", "/livestreams/{id}", delete_livestream),
    ("POST", "/livestreams/{id}/start", start_livestream),
    ("POST", "/livestreams/{id}/stop", stop_livestream),
    ("GET", "/livestreams/{id}/report", livestream_report),
    ("POST", "/meetings", create_meeting),
    ("GET", "/meetings", list_meetings),
    ("GET", "/meetings/{id}", get_meeting),
    ("PATCH", "/meetings/{id}", patch_meeting),
    ("DELETE", "/meetings/{id}", delete_meeting),
    ("GET", "/platforms", list_platforms),
]


async def _drain(app: web.Application) -> None:
    tasks = list(app[STATE]["tasks"])
    if tasks:
        await asyncio.gather(*tasks, return_exceptions=True)


def create_api(services: Services) -> web.Application:
    api = web.Application(middlewares=[guard])
    api[SERVICES] = services
    api[STATE] = {"progress": {}, "tasks": set()}
    for method, path, handler in ROUTES:
        api.router.add_route(method, path, handler)
    api.on_cleanup.append(_drain)
    return api
