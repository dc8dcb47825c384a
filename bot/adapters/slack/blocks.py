"""Block Kit rendering of golive's neutral posts (:mod:`bot.views`) and progress lines.

Limits follow Slack's Block Kit reference (header text 150, section text 3000, button text 75,
button url 3000, 25 elements per actions block, 10 per context block); long values are cut
here so a long title or error can never make Slack refuse a message.
"""

from __future__ import annotations

from typing import Any

from bot.messages import display
from bot.views import STATE_MARKS, Announcement

Block = dict[str, Any]

WORKING = {"creating", "starting", "stopping", "pending"}


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain(text: str, limit: int = 3000) -> dict[str, Any]:
    return {"type": "plain_text", "text": cut(text, limit), "emoji": True}


def mrkdwn(text: str, limit: int = 3000) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": cut(text, limit)}


def button(
    text: str, action_id: str, *, value: str | None = None, url: str | None = None, style=None
) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "button", "text": plain(text, 75), "action_id": action_id}
    if value is not None:
        element["value"] = cut(value, 2000)
    if url is not None:
        element["url"] = url
    if style:
        element["style"] = style
    return element


def summary(post: Announcement) -> str:
    noun = "Broadcast" if post.kind == "broadcast" else "Meeting"
    return cut(f"{noun} “{post.title}” · {post.status} · {post.when}", 3000)


def state_line(platform_label: str, state: str, note: str | None) -> str:
    if state in WORKING:
        mark = "…"
    elif state in {"failed", "cancelled"}:
        mark = "✗"
    else:
        mark = "✓"
    line = f"{platform_label} {mark} {state}"
    return f"{line} — {note}" if note and state == "failed" else line


def announcement(post: Announcement) -> list[Block]:
    """Title, description and schedule; one link button per platform, the primary one first
    (styled ``primary`` and labelled so); every platform's state in a context line."""
    noun = "Broadcast" if post.kind == "broadcast" else "Meeting"
    blocks: list[Block] = [{"type": "header", "text": plain(post.title, 150)}]
    body = f"*{noun}* · {post.status} · {post.when}"
    if post.description:
        body = f"{post.description}\n{body}"
    blocks.append({"type": "section", "text": mrkdwn(body)})
    buttons = []
    for link in post.links:
        url = link.for_chat("slack")  # golive's tracked /go/ link, tagged as clicked in Slack
        if not url or len(url) > 3000:
            continue
        label = f"★ {link.label} (primary)" if link.primary else link.label
        buttons.append(
            button(
                label,
                f"golive_link:{link.platform}",
                value=post.id,
                url=url,
                style="primary" if link.primary else None,
            )
        )
    if post.page_url and len(post.page_url) <= 3000:
        buttons.append(button("Watch page", "golive_link:page", value=post.id, url=post.page_url))
    if post.remindable:  # a DM at each reminder for whoever presses it
        buttons.insert(24, button("Remind me", "golive_remind", value=f"{post.kind}:{post.id}"))
    if buttons:
        blocks.append({"type": "actions", "block_id": f"links:{post.id}", "elements": buttons[:25]})
    states = []
    for link in post.links:
        mark = STATE_MARKS.get(link.state, "?")
        text = f"{mark} {link.label}: {link.state}"
        if link.error:
            text += f" — {link.error}"
        elif link.note:
            text += f" · {link.note}"
        states.append(mrkdwn(text, 500))
    if states:
        blocks.append({"type": "context", "elements": states[:10]})
    if post.notes:
        blocks.append({"type": "context", "elements": [mrkdwn(n, 500) for n in post.notes[:10]]})
    return blocks


def progress(title: str, kind: str, states: dict[str, tuple[str, str | None]]) -> list[Block]:
    """One line per platform, e.g. ``YouTube ✓ live · Jitsi Meet … creating``."""
    noun = "broadcast" if kind == "broadcast" else "meeting"
    line = " · ".join(state_line(display(p), s, n) for p, (s, n) in states.items())
    return [
        {"type": "section", "text": mrkdwn(f"Setting up the {noun} *{title}*")},
        {"type": "context", "elements": [mrkdwn(line or "…")]},
    ]


def admin_controls(kind: str, item_id: str, title: str) -> list[Block]:
    """Start, stop and status for admins only: sent ephemerally, checked again on click."""
    if kind != "broadcast":
        return []
    return [
        {
            "type": "section",
            "text": mrkdwn(f"Controls for *{title}* (`{item_id}`), only you see these."),
        },
        {
            "type": "actions",
            "block_id": f"controls:{item_id}",
            "elements": [
                button("Start", "golive_start", value=item_id, style="primary"),
                button("Stop", "golive_stop", value=item_id, style="danger"),
                button("Status", "golive_status", value=item_id),
            ],
        },
    ]


def text_blocks(text: str) -> list[Block]:
    return [{"type": "section", "text": mrkdwn(text)}]
