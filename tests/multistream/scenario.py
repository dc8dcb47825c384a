"""Setting up a broadcast the way an admin does, up to the relay key in the private lines."""

from __future__ import annotations

import re

from bot.handlers import Requester, run
from bot.services.context import Services

ADMIN = Requester(workspace="w", user_id="U1")
KEY_LINE = re.compile(r"golive relay ingest: (\S+)  key: (\S+) ")


async def new_broadcast(
    services: Services, ingest: str = "rtmp://127.0.0.1:9/live", title: str = "Show"
) -> tuple[str, str, list[str]]:
    """(broadcast id, relay key, the private lines) of a new broadcast on custom RTMP."""
    connected = await run(services, ADMIN, "platforms", f"connect rtmp {ingest} x")
    assert connected.ok, connected.private
    reply = await run(services, ADMIN, "golive", f'"{title}" on rtmp')
    assert reply.ok, reply.private
    stream = await services.livestreams.get("w", None)
    for line in reply.private:
        match = KEY_LINE.match(line)
        if match:
            assert match.group(1) == services.relay.address
            return stream.id, match.group(2), reply.private
    raise AssertionError(f"no relay line in {reply.private}")
