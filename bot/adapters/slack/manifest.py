"""``golive manifest``: manifest.yml with this deployment's public URL, or Socket Mode on.

With ``SLACK_APP_TOKEN`` set, Slack reaches golive over a WebSocket, so every request URL is
dropped and ``socket_mode_enabled`` is true; otherwise each URL points at GOLIVE_PUBLIC_URL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.settings import Settings

PATH = Path(__file__).resolve().parents[3] / "manifest.yml"
EXAMPLE = "https://golive.example.com"


def load() -> dict[str, Any]:
    return yaml.safe_load(PATH.read_text())


def build(settings: Settings) -> dict[str, Any]:
    manifest = load()
    socket = settings.slack_app_token is not None
    base = settings.public_url
    for command in manifest["features"]["slash_commands"]:
        if socket:
            command.pop("url", None)
        else:
            command["url"] = command["url"].replace(EXAMPLE, base)
    oauth = manifest.get("oauth_config", {})
    oauth["redirect_urls"] = [u.replace(EXAMPLE, base) for u in oauth.get("redirect_urls", [])]
    for key in ("interactivity", "event_subscriptions"):
        section = manifest["settings"].get(key, {})
        if socket:
            section.pop("request_url", None)
        elif "request_url" in section:
            section["request_url"] = section["request_url"].replace(EXAMPLE, base)
    manifest["settings"]["socket_mode_enabled"] = socket
    return manifest


def render(settings: Settings) -> str:
    return yaml.safe_dump(build(settings), sort_keys=False, allow_unicode=True)
