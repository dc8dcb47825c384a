"""One golive process that only runs the scheduler, for the restart and leadership tests.

Configured like golive (GOLIVE_DATABASE_URL, GOLIVE_SECRET_KEYS, ...); announcements and
reminders it would post go as JSON lines to the file named by GOLIVE_TEST_POSTS. It prints
``ready`` once the scheduler runs and ``leader`` when it takes the lead.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

from bot.services.context import Services
from bot.settings import load_settings


class FilePublisher:
    def __init__(self, chat: str, path: str) -> None:
        self.chat = chat
        self.path = path

    def _write(self, **entry: object) -> None:
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps({"pid": os.getpid(), **entry}) + "\n")

    async def post(self, workspace, channel, announcement) -> str:
        self._write(op="post", channel=channel, title=announcement.title, notes=announcement.notes)
        return f"m-{os.getpid()}"

    async def update(self, workspace, channel, message_id, announcement) -> None:
        self._write(op="update", channel=channel, status=announcement.status)

    async def open_thread(self, workspace, channel, message_id, name) -> str:
        return f"t-{message_id}"


async def main() -> None:
    services = await Services.start(load_settings())
    services.announcements.register(FilePublisher("slack", os.environ["GOLIVE_TEST_POSTS"]))
    services.scheduler.lock_retry = 0.1
    await services.scheduler.start()
    print("ready", flush=True)
    while not services.scheduler.leader:  # noqa: ASYNC110 - the flag has no event to wait on
        await asyncio.sleep(0.02)
    print("leader", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
