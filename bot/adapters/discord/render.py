"""An :class:`~bot.views.Announcement` as a Discord embed plus link buttons.

Discord's limits (developers/docs/resources/message#embed-object-embed-limits and
components/reference#button): title 256, description 4096, 25 fields of 1024, footer 2048;
at most 5 action rows of 5 buttons; a link button (style 5) has a ``url`` (≤512), a label
(≤80) and no ``custom_id``. Link buttons have no colour, so the primary platform is the first
button and says "★ Primary" in its label and in its embed field.
"""

from __future__ import annotations

import discord

from bot.handlers import Reply
from bot.views import STATE_MARKS, Announcement, PlatformLink

MAX_ROWS = 5
PER_ROW = 5
MAX_FIELDS = 25
MAX_CONTENT = 2000

COLOURS = {
    "live": discord.Colour.red(),
    "ended": discord.Colour.dark_grey(),
    "cancelled": discord.Colour.dark_grey(),
    "failed": discord.Colour.dark_red(),
}


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def button_label(link: PlatformLink) -> str:
    return _cut(f"★ Primary · {link.label}" if link.primary else link.label, 80)


def _field_name(link: PlatformLink) -> str:
    return _cut(f"★ Primary · {link.label}" if link.primary else link.label, 256)


def _field_value(link: PlatformLink) -> str:
    mark = STATE_MARKS.get(link.state, "?")
    value = f"{mark} {link.state}"
    if link.error:
        value += f" — {link.error}"
    elif not link.url:
        value += " · no link yet"
    return _cut(value, 1024)


def embed(post: Announcement) -> discord.Embed:
    noun = "Broadcast" if post.kind == "broadcast" else "Meeting"
    card = discord.Embed(
        title=_cut(post.title, 256),
        description=_cut(post.description, 4096) or None,
        colour=COLOURS.get(post.status, discord.Colour.blurple()),
    )
    card.add_field(name="When", value=_cut(post.when, 1024), inline=True)
    card.add_field(name="Status", value=post.status, inline=True)
    room = MAX_FIELDS - 2 - (1 if post.notes else 0)
    for link in post.links[:room]:
        card.add_field(name=_field_name(link), value=_field_value(link), inline=False)
    if post.notes:
        card.add_field(name="Notes", value=_cut("\n".join(post.notes), 1024), inline=False)
    card.set_footer(text=f"{noun} {post.id} · golive")
    return card


def _linkable(url: str | None) -> bool:
    return bool(url) and len(url or "") <= 512 and (url or "").startswith(("https://", "http://"))


def buttons(post: Announcement) -> discord.ui.View:
    """One link button per platform with a link, primary first, five to a row; a scheduled
    item also gets "Remind me" (custom_id ``golive_remind:{kind}:{id}``, a DM at each reminder)."""
    view = discord.ui.View(timeout=None)
    room = MAX_ROWS * PER_ROW - (1 if post.remindable else 0)
    links = [link for link in post.links if _linkable(link.url)][:room]
    for index, link in enumerate(links):
        view.add_item(
            discord.ui.Button(
                style=discord.ButtonStyle.link,
                label=button_label(link),
                url=link.url,
                row=index // PER_ROW,
            )
        )
    if post.remindable:
        view.add_item(
            discord.ui.Button(
                style=discord.ButtonStyle.secondary,
                label="Remind me",
                custom_id=f"golive_remind:{post.kind}:{post.id}",
                row=len(links) // PER_ROW,
            )
        )
    return view


def private_text(reply: Reply) -> str:
    """What only the requester sees: the reply's private lines, or a short "done"."""
    lines = list(reply.private)
    if not lines:
        lines = ["Done." if reply.ok else "That did not work."]
    return _cut("\n".join(lines), MAX_CONTENT)


def post_text(text: str) -> str:
    return _cut(text, MAX_CONTENT)
