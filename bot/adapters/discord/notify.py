"""Connection notices in Discord: a direct message to each admin who asked for them (or to
the channel they chose with ``/platforms notify``), and to whoever connected the platform.

Discord messages carry link buttons only, so a direct message's Reconnect button is a fresh
sign-in link made for that admin (single use, bound to them, valid ten minutes, like the one
``/platforms connect`` replies with). A channel is shared, so a notice there names the command
instead of carrying anyone's sign-in link.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.services.errors import ServiceError
from bot.services.health import HealthNotice
from providers.errors import PlatformError

if TYPE_CHECKING:
    from bot.services.context import Services

log = logging.getLogger(__name__)


class DiscordNotifier:
    def __init__(self, client: discord.Client, services: Services) -> None:
        self.client = client
        self.services = services

    async def _reconnect_view(self, notice: HealthNotice, user_id: str) -> discord.ui.View | None:
        try:
            link = await self.services.connections.begin(notice.workspace, user_id, notice.platform)
        except (ServiceError, PlatformError, ValueError, LookupError) as exc:
            log.info("no sign-in link for %s: %s", notice.platform, type(exc).__name__)
            return None  # a stream-key platform: reconnected with /platforms connect
        view = discord.ui.View()
        view.add_item(discord.ui.Button(label="Reconnect", url=link))
        return view

    async def __call__(self, notice: HealthNotice) -> None:
        notify = self.services.notify
        owner = await notify.connected_by(notice.workspace, notice.platform)
        admins = [owner] if owner and owner.isdigit() else []
        deliveries = await notify.deliveries(notice.workspace, "discord", notice.problem, admins)
        for delivery in deliveries:
            try:
                if delivery.channel is not None:
                    channel = self.client.get_partial_messageable(int(delivery.channel))
                    await channel.send(f"⚠️ {notice.text}")
                    continue
                assert delivery.user_id is not None
                user_id = int(delivery.user_id)
                user = self.client.get_user(user_id) or await self.client.fetch_user(user_id)
                view = await self._reconnect_view(notice, delivery.user_id)
                text = f"⚠️ {notice.text}"
                if view is not None:
                    text += " (the button works once, for ten minutes)"
                    await user.send(text, view=view)
                else:
                    await user.send(text)
            except (discord.HTTPException, ValueError) as exc:
                log.warning("connection notice not delivered on Discord: %s", exc)
