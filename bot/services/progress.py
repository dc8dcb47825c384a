"""Per-platform progress while a long operation runs, for messages updated in place.

Services call the callback before each platform call ("creating", "starting", "stopping")
and after it (the new state, or "failed" with the reason), so an adapter can show
"YouTube ✓ live · Facebook … starting · Twitch ✗ token expired — reconnect" as it happens.
A broken callback (a chat message that cannot be edited) never fails the operation.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

#: (platform, state such as "starting", "live" or "failed", one-sentence note or None)
Progress = Callable[[str, str, str | None], Awaitable[None]]


async def report(progress: Progress | None, platform: str, state: str, note: str | None = None):
    if progress is None:
        return
    try:
        await progress(platform, state, note)
    except Exception:
        log.exception("progress report for %s failed", platform)
