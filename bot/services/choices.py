"""The one check every new broadcast or meeting passes before any platform is called."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from bot.messages import display, explain
from bot.services.errors import ServiceError
from providers import platforms as registered
from providers import provider_class
from providers.base import Kind
from providers.errors import InvalidRequest, NotConnected

if TYPE_CHECKING:
    from bot.services.context import Services

NOUNS = {Kind.LIVESTREAM: "a broadcast", Kind.MEETING: "a meeting"}


async def check_choices(
    services: Services,
    workspace: str,
    user: str,
    kind: Kind,
    chosen: Sequence[str],
    primary: str,
    settings: Mapping[str, Mapping[str, str]] | None = None,
) -> None:
    """Refuse unknown, wrong-kind or unconnected platforms and a stray primary, storing nothing."""
    known = registered(kind)
    for platform in chosen:
        if platform not in known:
            raise ServiceError(
                f"{display(platform)} cannot host {NOUNS[kind]} in this golive. "
                f"Choose from: {', '.join(known)}."
            )
    if primary not in chosen:
        raise ServiceError(f"The primary platform must be one of: {', '.join(chosen)}.")
    settings = settings or {}
    stray = sorted(set(settings) - set(chosen))
    if stray:
        raise ServiceError(
            f"Settings were given for {', '.join(stray)}, which is not among the chosen "
            f"platforms: {', '.join(chosen)}."
        )
    for platform in chosen:
        try:
            provider_class(platform).check_settings(dict(settings.get(platform, {})))
        except InvalidRequest as exc:
            raise ServiceError(explain(exc)) from exc
    missing = []
    for platform in chosen:
        try:
            await services.connections.ensure(workspace, user, platform)
        except NotConnected:
            missing.append(platform)
    if missing:
        names = ", ".join(display(p) for p in missing)
        steps = "; ".join(f"/platforms connect {p}" for p in missing)
        raise ServiceError(f"{names} not connected yet: run {steps}, then try again.")
