"""The member pages golive serves itself: the watch page and short notices.

Everything a page needs (HTML, CSS, JS) is in this folder and inlined into the response
under a per-request CSP nonce, so a page loads nothing from anywhere else. The platform list
and the status line are rendered here only; the page's script swaps in the fragments that
the state endpoint returns, so the no-script page and the refreshed page never differ.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from functools import cache
from html import escape
from importlib.resources import files
from string import Template

from bot.services.links import Button, WatchState


@cache
def asset(name: str) -> str:
    return files(__package__).joinpath(name).read_text(encoding="utf-8")


def _until(start: datetime, now: datetime) -> str:
    seconds = max(0, int((start - now).total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"Starts in {days} day{'s' * (days != 1)} {hours} h {minutes} min"
    if hours:
        return f"Starts in {hours} h {minutes} min {secs} s"
    if minutes:
        return f"Starts in {minutes} min {secs} s"
    return f"Starts in {secs} s" if secs else "Starting any moment"


def status_html(state: WatchState) -> str:
    parts = [f'<p class="phase phase-{escape(state.phase.replace(" ", "-"))}">']
    parts.append(f"{escape(state.phase_label)}</p>")
    if state.start:
        when = state.start.astimezone(UTC).strftime("%a %d %b %Y, %H:%M UTC")
        parts.append(
            f'<p class="when">Scheduled for <time datetime="{state.start.isoformat()}">'
            f"{escape(when)}</time></p>"
        )
    down = [b for b in state.buttons if not b.enabled and b.state == "failed"]
    if down:
        names = ", ".join(escape(b.label) for b in down)
        verb = "is" if len(down) == 1 else "are"
        alts = state.alternatives
        if alts:
            links = " or ".join(
                f'<a href="{escape(b.href or "")}">{escape(b.label)}</a>'
                + (" (primary)" if b.primary else "")
                for b in alts
            )
            tail = f" Use {links} instead."
        else:
            tail = " No other platform is available right now: this page updates by itself."
        parts.append(f'<p class="alert" role="alert">{names} {verb} unavailable.{tail}</p>')
    return "".join(parts)


def clock_html(state: WatchState, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    if state.phase != "scheduled" or state.start is None:
        return ""
    return (
        f'<p class="countdown" id="countdown" role="timer" aria-live="off" '
        f'data-start="{state.start.isoformat()}">{escape(_until(state.start, now))}</p>'
    )


def _verb(state: WatchState) -> str:
    return "Watch" if state.kind == "broadcast" else "Join"


def button_html(state: WatchState, button: Button) -> str:
    key = escape(button.platform)
    classes = ["platform"]
    if button.primary:
        classes.append("primary")
    if not button.enabled:
        classes.append("disabled")
    badge = '<span class="badge">Primary</span>' if button.primary else ""
    recorded = button.state in ("ended", "recording")
    action = "Watch the recording" if recorded else _verb(state)
    attrs = f'class="{" ".join(classes)}" data-platform="{key}" data-state="{escape(button.state)}"'
    if button.enabled and button.href:
        control = (
            f'<a class="button" href="{escape(button.href)}" aria-describedby="state-{key}">'
            f"<span>{escape(action)} on {escape(button.label)}</span>{badge}</a>"
            f'<p class="state" id="state-{key}">{escape(button.label)}: '
            f"{escape(button.state_label)}</p>"
        )
        return f"<li {attrs}>{control}</li>"
    alternative = next((b for b in state.alternatives if b.platform != button.platform), None)
    alt = ""
    if alternative is not None and alternative.href:
        alt = (
            f'<p class="alt">{_verb(state)} on <a href="{escape(alternative.href)}">'
            f"{escape(alternative.label)}</a> instead.</p>"
        )
    control = (
        f'<button class="button" type="button" disabled aria-describedby="reason-{key}">'
        f"<span>{escape(button.label)}: {escape(button.state_label)}</span>{badge}</button>"
        f'<p class="reason" id="reason-{key}">{escape(button.reason or "")}</p>{alt}'
    )
    return f"<li {attrs}>{control}</li>"


def platforms_html(state: WatchState) -> str:
    return "".join(button_html(state, b) for b in state.buttons)


def fragments(state: WatchState, now: datetime | None = None) -> dict[str, object]:
    """The JSON the page polls: the data, and the fragments the page swaps in."""
    status, clock, buttons = status_html(state), clock_html(state, now), platforms_html(state)
    # The clock's text changes every second; its start does not, so it is not in the version.
    version = hashlib.sha256((status + buttons + str(state.start)).encode()).hexdigest()[:16]
    return {
        **state.as_json(),
        "version": version,
        "status_html": status,
        "clock_html": clock,
        "platforms_html": buttons,
    }


def watch_page(state: WatchState, *, state_url: str, nonce: str, poll_ms: int = 10000) -> str:
    parts = fragments(state)
    return Template(asset("watch.html")).substitute(
        title=escape(state.title),
        noun="broadcast" if state.kind == "broadcast" else "meeting",
        verb=_verb(state).lower(),
        nonce=nonce,
        css=asset("watch.css"),
        js=asset("watch.js"),
        state_url=escape(state_url),
        poll=str(poll_ms),
        version=parts["version"],
        phase=escape(state.phase),
        status_html=parts["status_html"],
        clock_html=parts["clock_html"],
        platforms_html=parts["platforms_html"],
    )


def notice_page(
    title: str,
    reason: str,
    *,
    nonce: str,
    alternatives: tuple[tuple[str, str], ...] = (),
    page_url: str | None = None,
) -> str:
    more = ""
    if alternatives:
        items = "".join(
            f'<li><a href="{escape(url)}">{escape(label)}</a></li>' for label, url in alternatives
        )
        more += f"<p>Available instead:</p><ul>{items}</ul>"
    if page_url:
        more += f'<p><a href="{escape(page_url)}">See every platform on the watch page</a></p>'
    return Template(asset("notice.html")).substitute(
        title=escape(title), reason=escape(reason), more=more, nonce=nonce, css=asset("watch.css")
    )
