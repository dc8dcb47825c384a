"""Interaction payloads shaped like Discord's gateway ``INTERACTION_CREATE`` data.

Shapes follow developers/docs/interactions/receiving-and-responding.mdx (interaction object,
application command data with typed options, autocomplete's ``focused`` option, modal submit
data of action rows holding text inputs). Option types and command ids are taken from what
the bot synced into the fake, so a test can only send options the real command declares.
"""

from __future__ import annotations

from typing import Any

from tests.discord.fake import APP_ID, FakeDiscord

MANAGE_GUILD = 1 << 5
SEND_MESSAGES = 1 << 11
APP_PERMISSIONS = str((1 << 11) | (1 << 14) | (1 << 35) | (1 << 38))  # send, embed, threads


def member(user_id: int, *, roles: list[int] = (), permissions: int = SEND_MESSAGES) -> dict:
    return {
        "user": {
            "id": str(user_id),
            "username": f"member{user_id % 1000}",
            "discriminator": "0",
            "global_name": None,
            "avatar": None,
        },
        "roles": [str(r) for r in roles],
        "permissions": str(permissions),
        "joined_at": "2026-01-01T00:00:00+00:00",
        "deaf": False,
        "mute": False,
        "flags": 0,
        "nick": None,
        "avatar": None,
        "pending": False,
    }


def _envelope(
    fake: FakeDiscord, kind: int, data: dict, guild_id: int, channel_id: int, who: dict
) -> dict[str, Any]:
    item = fake.interaction(guild_id, channel_id)
    return {
        "id": str(item.id),
        "application_id": str(APP_ID),
        "type": kind,
        "data": data,
        "guild_id": str(guild_id),
        "guild": {"id": str(guild_id), "locale": "en-US", "features": []},
        "channel_id": str(channel_id),
        "channel": fake.channels[channel_id],
        "member": who,
        "token": item.token,
        "version": 1,
        "app_permissions": APP_PERMISSIONS,
        "locale": "en-GB",
        "guild_locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {"0": str(guild_id)},
        "context": 0,
        "attachment_size_limit": 10485760,
    }


def _options(command: dict, values: dict[str, Any], focused: str | None) -> list[dict]:
    declared = {o["name"]: o for o in command.get("options", [])}
    out = []
    for name, value in values.items():
        option = declared[name]  # KeyError: the command has no such option
        item: dict[str, Any] = {"name": name, "type": option["type"], "value": value}
        if name == focused:
            item["focused"] = True
        out.append(item)
    return out


def command(
    fake: FakeDiscord,
    guild_id: int,
    channel_id: int,
    who: dict,
    name: str,
    focused: str | None = None,
    **values: Any,
) -> dict[str, Any]:
    """Type 2 (APPLICATION_COMMAND), or 4 (AUTOCOMPLETE) when an option is ``focused``."""
    synced = next(c for c in fake.commands[guild_id] if c["name"] == name)
    data = {
        "id": synced["id"],
        "name": name,
        "type": 1,
        "guild_id": str(guild_id),
        "options": _options(synced, values, focused),
    }
    return _envelope(fake, 4 if focused else 2, data, guild_id, channel_id, who)


def modal_submit(
    fake: FakeDiscord, guild_id: int, channel_id: int, who: dict, modal: dict, values: dict
) -> dict[str, Any]:
    """Type 5 (MODAL_SUBMIT): ``values`` by the label of each text input in ``modal``."""
    rows = []
    for row in modal["components"]:
        for item in row["components"]:
            rows.append(
                {
                    "type": 1,
                    "components": [
                        {
                            "type": 4,
                            "custom_id": item["custom_id"],
                            "value": values.get(item["label"], ""),
                        }
                    ],
                }
            )
    data = {"custom_id": modal["custom_id"], "components": rows}
    return _envelope(fake, 5, data, guild_id, channel_id, who)


def component(
    fake: FakeDiscord, guild_id: int, channel_id: int, who: dict, message: dict, custom_id: str
) -> dict[str, Any]:
    """Type 3 (MESSAGE_COMPONENT): a press of the button ``custom_id`` on ``message``."""
    buttons = [b for row in message["components"] for b in row["components"]]
    assert any(b.get("custom_id") == custom_id for b in buttons), "no such button on the message"
    data = {"custom_id": custom_id, "component_type": 2}
    payload = _envelope(fake, 3, data, guild_id, channel_id, who)
    payload["message"] = message
    fake.interactions[int(payload["id"])].message = message
    return payload


def select(
    fake: FakeDiscord,
    guild_id: int,
    who: dict,
    message: dict,
    custom_id: str,
    values: list[str],
) -> dict[str, Any]:
    """Type 3 (MESSAGE_COMPONENT): a string select of ``message`` chose ``values``.

    The select must be one the message really carries, with those values among its options,
    so a test can only click what golive posted."""
    selects = [
        item
        for row in message.get("components") or []
        for item in row.get("components") or []
        if item.get("type") == 3 and item.get("custom_id") == custom_id
    ]
    assert selects, f"the message has no select {custom_id!r}"
    offered = {o["value"] for o in selects[0]["options"]}
    assert set(values) <= offered, f"{values} are not options of {custom_id!r}"
    channel_id = int(message["channel_id"])
    data = {"custom_id": custom_id, "component_type": 3, "values": values}
    payload = _envelope(fake, 3, data, guild_id, channel_id, who)
    payload["message"] = message
    fake.interactions[int(payload["id"])].message = message
    return payload
