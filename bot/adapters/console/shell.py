"""``golive console``: one command per line from a terminal or piped stdin, posts as text.

Piped input makes golive scriptable: it runs each line, prints what a channel would see and
what only the requester would see (marked ``(only you)``), and exits at end of input with
status 1 if any command was refused.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TextIO

from bot import handlers
from bot.handlers import Reply, Requester
from bot.services.context import Services
from bot.views import to_text

PROMPT = "golive> "
COMMANDS = ("golive", "meet", "platforms", "help")


def render(reply: Reply) -> str:
    parts = [post if isinstance(post, str) else to_text(post, direct=True) for post in reply.posts]
    parts.extend(f"(only you) {line}" for line in reply.private)
    parts.extend(f"(to {person}) {text}" for person, text in reply.direct)
    return "\n".join(parts)


def save_files(services: Services, reply: Reply) -> list[Path]:
    """A terminal shows no images: write the reply's files under the data directory."""
    if not reply.files:
        return []
    folder = services.settings.data_dir / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    saved = []
    for name, data in reply.files:
        path = folder / Path(name).name  # never outside the folder
        path.write_bytes(data)
        saved.append(path)
    return saved


def split_command(line: str) -> tuple[str, str] | None:
    """``/golive "x" on youtube`` -> ("golive", '"x" on youtube'); None for a non-command."""
    word, _, rest = line.strip().partition(" ")
    name = word.lstrip("/").lower()
    if name not in COMMANDS:
        return None
    return name, rest.strip()


async def run(services: Services, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    who = Requester(
        workspace=services.settings.workspace,
        user_id="console",
        timezone=services.settings.timezone,
    )
    interactive = stdin.isatty()
    for notice in services.notices:
        print(f"note: {notice}", file=sys.stderr)
    if interactive:
        mode = "sandbox emulators" if services.sandbox is not None else "real platforms"
        print(f"golive console ({mode}). Type help, or exit to leave.", file=stdout)
    failures = 0
    loop = asyncio.get_running_loop()
    while True:
        if interactive:
            print(PROMPT, end="", file=stdout, flush=True)
        line = await loop.run_in_executor(None, stdin.readline)
        if not line:
            break
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line in {"exit", "quit"}:
            break
        if not interactive:
            print(f"{PROMPT}{line}", file=stdout)
        command = split_command(line)
        if command is None:
            reply = Reply.error(
                f"'{line.split()[0][:40]}' is not a command: start with /golive, /meet, "
                "/platforms or help."
            )
        else:
            reply = await handlers.run(services, who, *command)
        if not reply.ok:
            failures += 1
        print(render(reply), file=stdout, flush=True)
        for path in save_files(services, reply):
            print(f"(chart saved to {path})", file=stdout, flush=True)
    return 1 if failures else 0
