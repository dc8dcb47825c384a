"""Slack's "Remind me" button: the block action that opts a member in or out, and the DM.

The button (``action_id`` ``golive_remind``, value ``{kind}:{item id}``) sits in the link row of
an announcement of a scheduled item and of every reminder. A press toggles the member's
opt-in and answers ephemerally in the channel (``chat.postEphemeral``). At each reminder offset
opted-in members get a direct message: ``chat.postMessage`` with the user id as the channel
opens the app's DM with them (api.slack.com/methods/chat.postMessage, "Channel ID or user ID").
"""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.publisher import ClientFor
from bot.services.context import Services
from bot.services.optins import confirmation

ACTION_ID = "golive_remind"


class SlackReminders:
    chat = "slack"

    def __init__(self, client_for: ClientFor) -> None:
        self.client_for = client_for

    async def remind(self, workspace: str, user_id: str, text: str) -> None:
        client = await self.client_for(workspace)
        await client.chat_postMessage(channel=user_id, text=text[:3000], unfurl_links=False)


async def toggle(
    services: Services, workspace: str, body: dict[str, Any], client: AsyncWebClient
) -> None:
    """Opt the member who pressed the button in (or out) and tell only them."""
    action = (body.get("actions") or [{}])[0]
    kind, _, item_id = str(action.get("value", "")).partition(":")
    user = body["user"]["id"]
    on = await services.optins.toggle(workspace, kind, item_id, "slack", user)
    channel = (body.get("container") or {}).get("channel_id") or (body.get("channel") or {}).get(
        "id"
    )
    text = confirmation(kind, on)
    if channel:
        await client.chat_postEphemeral(channel=channel, user=user, text=text)
    else:
        await client.chat_postMessage(channel=user, text=text)
