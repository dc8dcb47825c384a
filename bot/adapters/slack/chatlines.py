"""Relayed chat in a Slack thread: one post per interval, one section per chat line.

Each line is its own section block so it can carry an overflow menu of the moderation actions
its platform offers (docs.slack.dev/reference/block-kit/block-elements/overflow-menu-element: 2
to 5 options; a platform offering fewer than 2 gets no menu, one offering none gets none).
Posts send ``unfurl_links``/``unfurl_media`` false and ``parse: none`` so chat links neither
unfurl nor become mentions; the text itself is escaped by :func:`bot.chat.escape.slack`.
Limits: 50 blocks and 3,000 characters per section (Block Kit), one message per second per
channel (chat.postMessage), so the relay's courier posts at most every 1.05 s.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.adapters.slack.publisher import ClientFor
from bot.chat import escape
from bot.chat.model import ChatLine
from bot.chat.moderation import Action
from bot.chat.relay import Batch, Limits, tag

ACTION_ID = "golive_chat_line"
LINE_CHARS = 600


def line_text(line: ChatLine) -> str:
    return f"*{tag(line.platform)}* {escape.slack(line.author_name, 80)}: " + escape.slack(
        line.text, LINE_CHARS
    )


def line_block(line: ChatLine, actions: list[Action]) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "section",
        "block_id": f"chat:{line.id}",
        "text": {"type": "mrkdwn", "text": line_text(line), "verbatim": True},
    }
    if len(actions) >= 2:
        block["accessory"] = {
            "type": "overflow",
            "action_id": ACTION_ID,
            "options": [
                {
                    "text": {"type": "plain_text", "text": a.label},
                    "value": f"{a.name}:{line.id}",
                }
                for a in actions
            ],
        }
    return block


def batch_blocks(batch: Batch, actions_for: Callable[[str], list[Action]]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    summary = batch.summary()
    if summary:
        rows.append({"type": "context", "elements": [{"type": "mrkdwn", "text": summary}]})
    rows.extend(line_block(line, actions_for(line.platform)) for line in batch.lines)
    return rows


class SlackRelayTarget:
    chat = "slack"
    limits = Limits(interval=1.05, max_lines=45, max_chars=30000)

    def __init__(
        self, client_for: ClientFor, actions_for: Callable[[str], list[Action]] | None = None
    ) -> None:
        self.client_for = client_for
        self.actions_for = actions_for or (lambda platform: [])

    def size(self, line: ChatLine) -> int:
        return len(line.author_name) + min(len(line.text), LINE_CHARS) + 16

    async def post(self, workspace: str, channel: str, thread_id: str, batch: Batch) -> None:
        client = await self.client_for(workspace)
        count = len(batch.lines)
        fallback = f"{count} chat line{'s' * (count != 1)}"
        if batch.summary():
            fallback += f" ({batch.summary()})"
        await client.chat_postMessage(
            channel=channel,
            thread_ts=thread_id,
            text=fallback,
            blocks=batch_blocks(batch, self.actions_for),
            unfurl_links=False,
            unfurl_media=False,
            parse="none",
            link_names=False,
        )
