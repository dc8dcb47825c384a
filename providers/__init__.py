"""Platform providers, found by name through a small registry (modules imported on first use)."""

from __future__ import annotations

import importlib

from providers.base import Kind, Provider

_MODULES: dict[str, str] = {
    "youtube": "providers.youtube",
    "jitsi": "providers.jitsi",
    "zoom": "providers.zoom",
    "facebook": "providers.facebook",
    "instagram": "providers.instagram",
    "rtmp": "providers.rtmp",
    "twitch": "providers.twitch",
    "restream": "providers.restream",
    "teams": "providers.teams",
}


def provider_class(name: str) -> type[Provider]:
    try:
        module = importlib.import_module(_MODULES[name])
    except KeyError:
        raise KeyError(f"unknown platform {name!r}") from None
    return module.PROVIDER


def platforms(kind: Kind | None = None) -> list[str]:
    """Registered platform names, optionally of one kind, in a stable order."""
    names = sorted(_MODULES)
    if kind is None:
        return names
    return [n for n in names if provider_class(n).kind is kind]
