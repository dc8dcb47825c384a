"""Connection notices in Slack: a direct message to each golive admin (or the channel they
chose with ``/platforms notify``) with a Reconnect button.

The button is an interactive one (``golive_platform_connect``), not a link: a sign-in link is
single-use, expires after ten minutes and belongs to one person, so golive makes it when an
admin clicks, after checking again that the clicker is an admin, and sends it to them alone.
Recipients without a choice stored are the configured admins (``SLACK_ADMIN_USERS`` and the
members of ``SLACK_ADMIN_GROUP``) and whoever connected the platform.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError

from bot.adapters.slack.blocks import Block, button, cut, mrkdwn
from bot.services.health import HealthNotice

if TYPE_CHECKING:
    from bot.adapters.slack.app import SlackAdapter

log = logging.getLogger(__name__)
_SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,}")


def notice_blocks(notice: HealthNotice) -> list[Block]:
    return [
        {"type": "section", "text": mrkdwn(cut(f":warning: {notice.text}", 3000))},
        {
            "type": "actions",
            "elements": [
                button(
                    "Reconnect", "golive_platform_connect", value=notice.platform, style="primary"
                )
            ],
        },
    ]


class SlackNotifier:
    def __init__(self, adapter: SlackAdapter) -> None:
        self.adapter = adapter

    async def _admins(self, client: Any, notice: HealthNotice) -> list[str]:
        roles = self.adapter.roles
        admins = sorted(roles.admin_ids)
        group = roles.settings.slack_admin_group
        if group:
            admins += sorted(await roles._members(client, notice.workspace, group))
        owner = await self.adapter.services.notify.connected_by(notice.workspace, notice.platform)
        if owner and _SLACK_USER.fullmatch(owner):
            admins.append(owner)
        return admins

    async def __call__(self, notice: HealthNotice) -> None:
        adapter = self.adapter
        if not adapter.multi and notice.workspace != adapter.services.settings.workspace:
            return  # another workspace's connection (a Discord server's): not this Slack's
        try:
            client = await adapter.client_for(notice.workspace)
        except LookupError:
            return
        admins = await self._admins(client, notice)
        deliveries = await adapter.services.notify.deliveries(
            notice.workspace, "slack", notice.problem, admins
        )
        for delivery in deliveries:
            try:
                channel = delivery.channel
                if channel is None:
                    opened = await client.conversations_open(users=delivery.user_id)
                    channel = opened["channel"]["id"]
                await client.chat_postMessage(
                    channel=channel, text=notice.text, blocks=notice_blocks(notice)
                )
            except SlackApiError as exc:  # one unreachable admin must not silence the others
                log.warning("connection notice not delivered: %s", exc.response.get("error"))
