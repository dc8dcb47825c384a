"""``/platforms`` and the App Home tab: connections, live now, scheduled and recent items.

Connect, reconnect and disconnect buttons (and start/stop on items) are rendered for admins
only; every click is checked again, so a hand-crafted request from a member changes nothing.
"""

from __future__ import annotations

from typing import Any

from bot.adapters.slack.blocks import Block, button, cut, mrkdwn, plain
from bot.services.context import Services
from providers import platforms, provider_class
from providers.base import AuthStyle


async def platform_blocks(services: Services, workspace: str, admin: bool) -> list[Block]:
    connected = {v.platform: v for v in await services.connections.list(workspace)}
    rows: list[Block] = []
    for name in platforms():
        cls = provider_class(name)
        style = services.connections.style(name)
        view = connected.get(name)
        accessory = None
        if style is AuthStyle.NONE:
            state = "ready (no account needed)"
        elif style is AuthStyle.CLIENT_CREDENTIALS:
            state = (
                "ready (app credentials)"
                if services.connections.app_configured(name)
                else f"not configured: set GOLIVE_{name.upper()}_CLIENT_ID and _CLIENT_SECRET"
            )
        elif view is None:
            state = "not connected"
            accessory = button("Connect", "golive_platform_connect", value=name, style="primary")
        else:
            expires = f", until {view.expires_at:%Y-%m-%d %H:%M} UTC" if view.expires_at else ""
            error = f"\nlast error: {view.last_error}" if view.last_error else ""
            state = f"{view.status} as {view.account_label}{expires}{error}"
            if view.status == "connected":
                accessory = button("Disconnect", "golive_platform_disconnect", value=name)
                accessory["confirm"] = {
                    "title": plain("Disconnect?", 100),
                    "text": plain(f"golive forgets its {cls.display_name} sign-in.", 300),
                    "confirm": plain("Disconnect", 30),
                    "deny": plain("Keep", 30),
                    "style": "danger",
                }
            else:
                accessory = button("Reconnect", "golive_platform_connect", value=name)
        block: Block = {
            "type": "section",
            "text": mrkdwn(f"*{cls.display_name}* ({cls.kind.value}): {state}"),
        }
        if accessory and admin:
            block["accessory"] = accessory
        rows.append(block)
    return rows


def _item_line(kind: str, item: Any) -> str:
    names = ", ".join(p.platform for p in item.platforms)
    when = getattr(item, "scheduled_start", None) or getattr(item, "start", None)
    at = f" · {when:%Y-%m-%d %H:%M} UTC" if when else ""
    return cut(f"{kind} `{item.id}` *{item.title}* · {item.status}{at} · {names}", 3000)


async def recording_blocks(services: Services, workspace: str) -> list[Block]:
    """ "Recent recordings": the newest recordings golive found, each a link members open."""
    lines = []
    for link, title in await services.recordings.recent(workspace, limit=5):
        lock = " (asks for a passcode)" if link.passcode_required else ""
        lines.append(
            cut(f"<{link.url}|{title}> · {link.label}{lock} · {link.found_at:%Y-%m-%d}", 500)
        )
    text = "\n".join(lines) or "No recordings yet."
    return [
        {"type": "divider"},
        {"type": "section", "text": mrkdwn("*Recent recordings*")},
        {"type": "section", "text": mrkdwn(cut(text, 3000))},
    ]


async def home_view(services: Services, workspace: str, admin: bool) -> dict[str, Any]:
    blocks: list[Block] = [{"type": "header", "text": plain("golive", 150)}]
    blocks.append({"type": "section", "text": mrkdwn("*Platforms*")})
    blocks.extend(await platform_blocks(services, workspace, admin))
    streams = await services.livestreams.list(workspace, limit=20)
    meetings = await services.meetings.list(workspace)
    live = [s for s in streams if s.status == "live"]
    scheduled = [s for s in streams if s.status == "created" and s.scheduled_start]
    for heading, items in (("Live now", live), ("Scheduled", scheduled)):
        blocks.append({"type": "divider"})
        blocks.append({"type": "section", "text": mrkdwn(f"*{heading}*")})
        if not items:
            blocks.append({"type": "context", "elements": [mrkdwn("Nothing.")]})
        for stream in items[:8]:
            block: Block = {"type": "section", "text": mrkdwn(_item_line("Broadcast", stream))}
            if admin:
                action = "golive_stop" if stream.status == "live" else "golive_start"
                block["accessory"] = button(
                    "Stop" if stream.status == "live" else "Start", action, value=stream.id
                )
            blocks.append(block)
            relay = services.relay.status_lines(stream.id)  # per destination (docs/relay.md)
            if relay:
                blocks.append(
                    {"type": "context", "elements": [mrkdwn(cut("\n".join(relay), 3000))]}
                )
    blocks.extend(await recording_blocks(services, workspace))
    blocks.append({"type": "divider"})
    blocks.append({"type": "section", "text": mrkdwn("*Recent*")})
    recent = [_item_line("Broadcast", s) for s in streams[:5]]
    recent += [_item_line("Meeting", m) for m in list(meetings)[:5]]
    blocks.append(
        {"type": "section", "text": mrkdwn("\n".join(recent) or "No broadcasts or meetings yet.")}
    )
    return {"type": "home", "blocks": blocks[:100]}
