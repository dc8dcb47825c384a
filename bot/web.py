"""The one aiohttp app on ``GOLIVE_PORT``: OAuth connect and callback, tracked links, the
member watch page, health and metrics.

``/connect/{platform}?state=…`` is the link golive sends the admin in chat. It binds the
pending state to this browser with an HttpOnly cookie and redirects to the platform; the
callback only succeeds in that same browser, once, within ten minutes.

``/go/{id}`` counts a click and redirects to the platform (bot/services/links.py);
``/live/{slug}`` is the watch page and ``/live/{slug}/state`` the JSON it polls. Member pages
carry a strict Content-Security-Policy: everything they need is inline under a nonce.
"""

from __future__ import annotations

import html
import logging
import re
import secrets

from aiohttp import web

from bot import pages
from bot.messages import display
from bot.metrics import CONTENT_TYPE_LATEST
from bot.services.context import Services
from bot.services.errors import ServiceError
from providers import platforms
from providers.errors import PlatformError

log = logging.getLogger(__name__)

SERVICES = web.AppKey("services", Services)
COOKIE = "golive_oauth"


def page(title: str, body: str, status: int = 200) -> web.Response:
    text = (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(title)} · golive</title>"
        "<body style='font-family:system-ui,sans-serif;max-width:36rem;"
        "margin:3rem auto;padding:0 1rem'>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(body)}</p></body></html>"
    )
    return web.Response(
        text=text,
        status=status,
        content_type="text/html",
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


def _platform(request: web.Request) -> str:
    name = request.match_info["platform"]
    if name not in platforms():
        raise web.HTTPNotFound(text="unknown platform")
    return name


async def connect(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES]
    platform = _platform(request)
    state = request.query.get("state", "")
    browser = request.cookies.get(COOKIE) or secrets.token_urlsafe(24)
    try:
        url = await services.connections.authorize_url(platform, state, browser)
    except ServiceError as exc:
        return page("Cannot connect", str(exc), status=400)
    response = web.HTTPFound(url)
    response.set_cookie(
        COOKIE,
        browser,
        max_age=600,
        httponly=True,
        secure=services.settings.public_url.startswith("https://"),
        samesite="Lax",
        path="/oauth",
    )
    response.headers["Cache-Control"] = "no-store"
    raise response


async def callback(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES]
    platform = _platform(request)
    name = display(platform)
    if "error" in request.query:
        reason = request.query.get("error_description") or request.query["error"]
        return page(
            f"{name} was not connected", f"{name} said: {reason[:200]}. Start again from chat.", 400
        )
    state = request.query.get("state")
    code = request.query.get("code")
    if not state or not code:
        return page(
            "Cannot connect", "The sign-in answer is incomplete: start again from chat.", 400
        )
    try:
        await services.connections.complete(platform, state, code, request.cookies.get(COOKIE))
    except ServiceError as exc:
        return page("Cannot connect", str(exc), status=400)
    except PlatformError:
        log.exception("%s callback failed", platform)
        return page("Cannot connect", f"{name} did not answer: try again from chat.", 502)
    response = page(f"{name} connected", "You can close this tab and go back to chat.")
    response.del_cookie(COOKIE, path="/oauth")
    return response


LINK_ID = re.compile(r"[A-Za-z0-9_-]{16,43}")
SLUG = re.compile(r"[A-Za-z0-9_-]{8,32}")


def member_page(text: str, nonce: str, status: int = 200) -> web.Response:
    csp = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
        "connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )
    return web.Response(
        text=text,
        status=status,
        content_type="text/html",
        headers={
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "Content-Security-Policy": csp,
            "X-Content-Type-Options": "nosniff",
        },
    )


def not_found(nonce: str) -> web.Response:
    return member_page(
        pages.notice_page(
            "Link not found",
            "This golive link does not exist. Check the link in the chat message, "
            "or ask the person who shared it.",
            nonce=nonce,
        ),
        nonce,
        404,
    )


async def go(request: web.Request) -> web.StreamResponse:
    """Count the click, then send the member to the platform (or say why not)."""
    services = request.app[SERVICES]
    nonce = secrets.token_urlsafe(16)
    link_id = request.match_info["link_id"]
    if not LINK_ID.fullmatch(link_id):
        return not_found(nonce)
    where = await services.links.follow(link_id, request.query.get("s"))
    if where.redirect:
        raise web.HTTPFound(
            where.redirect,
            headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
        )
    text = pages.notice_page(
        where.title,
        where.reason,
        nonce=nonce,
        alternatives=where.alternatives,
        page_url=where.page_url,
    )
    return member_page(text, nonce, where.status)


async def watch(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    nonce = secrets.token_urlsafe(16)
    slug = request.match_info["slug"]
    state = await services.links.watch(slug) if SLUG.fullmatch(slug) else None
    if state is None:
        return not_found(nonce)
    try:
        poll = max(1000, min(60000, int(request.query.get("poll", "10000"))))
    except ValueError:
        poll = 10000
    text = pages.watch_page(state, state_url=f"/live/{slug}/state", nonce=nonce, poll_ms=poll)
    return member_page(text, nonce)


async def watch_state(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    slug = request.match_info["slug"]
    state = await services.links.watch(slug) if SLUG.fullmatch(slug) else None
    if state is None:
        return web.json_response({"error": "not found"}, status=404)
    return web.json_response(pages.fragments(state), headers={"Cache-Control": "no-store"})


async def healthz(request: web.Request) -> web.Response:
    """Database (reachable, schema current), scheduler leadership and chat connections.

    503 only when the database is unusable: a chat that is reconnecting or a process that is
    not the scheduler leader still serves everything else."""
    services = request.app[SERVICES]
    try:
        current, head = await services.db.revision()
    except Exception as exc:  # the database is down: say so without a stack trace
        log.warning("health: database unreachable (%s)", type(exc).__name__)
        database = {"status": "unreachable"}
        healthy = False
        current = None
    else:
        healthy = current == head
        database = {"status": "ok" if healthy else "migrations pending", "schema": current}
    scheduler = services.scheduler
    if not scheduler.running:
        leadership: dict[str, object] = {"status": "not running"}
    else:
        leader = scheduler.leader
        leadership = {"status": "leader" if leader else "standby", "leader": leader}
    return web.json_response(
        {
            "status": "ok" if healthy else ("migrations pending" if current else "unhealthy"),
            "schema": current,
            "database": database,
            "scheduler": leadership,
            "chat": await services.health.chat_status(),
        },
        status=200 if healthy else 503,
    )


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text format (bot/metrics.py lists the series)."""
    services = request.app[SERVICES]
    try:
        services.metrics.broadcasts_live.set(len(await services.analytics.live()))
    except Exception as exc:  # still serve the counters when the database is down
        log.warning("metrics: could not count live broadcasts (%s)", type(exc).__name__)
    return web.Response(
        body=services.metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST}
    )


def create_app(services: Services, slack: object | None = None) -> web.Application:
    """``slack``: a running :class:`bot.adapters.slack.app.SlackAdapter` in HTTP mode, whose
    ``/slack/events``, ``/slack/install`` and ``/slack/oauth_redirect`` are mounted here."""
    app = web.Application()
    app[SERVICES] = services
    if slack is not None:
        slack.mount(app)  # type: ignore[attr-defined]
    app.router.add_get("/connect/{platform}", connect)
    app.router.add_get("/oauth/{platform}/callback", callback)
    app.router.add_get("/go/{link_id}", go)
    app.router.add_get("/live/{slug}", watch)
    app.router.add_get("/live/{slug}/state", watch_state)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    from bot.api import create_api

    app.add_subapp("/api/", create_api(services))
    return app
