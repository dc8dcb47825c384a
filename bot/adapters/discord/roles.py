"""Who may use golive in a Discord server.

Admins are members with Manage Server or a role named in ``DISCORD_ADMIN_ROLE``; moderators
hold a role named in ``DISCORD_MODERATOR_ROLE``; anyone else gets a short private refusal.
Roles are named by id (works with no member cache) or by name (needs the guild cache, which the
``guilds`` intent keeps).
"""

from __future__ import annotations

from enum import Enum

import discord

from bot.settings import Settings

REFUSAL = "golive is for this server's admins and moderators: ask an admin for the golive role."


class Role(Enum):
    ADMIN = "admin"
    MODERATOR = "moderator"


def _role_keys(member: discord.Member) -> set[str]:
    # ``_roles`` holds the ids from the interaction payload itself; ``roles`` only resolves the
    # ones in the guild cache, and is where names come from.
    keys = {str(role_id) for role_id in getattr(member, "_roles", ())}
    for role in member.roles:
        keys.add(str(role.id))
        keys.add(role.name.casefold())
    return keys


def _matches(keys: set[str], configured: tuple[str, ...]) -> bool:
    return any(name.casefold() in keys for name in configured)


def role_of(interaction: discord.Interaction, settings: Settings) -> Role | None:
    member = interaction.user
    if interaction.guild_id is None or not isinstance(member, discord.Member):
        return None  # golive is used in servers, not in direct messages
    if interaction.permissions.manage_guild:
        return Role.ADMIN
    keys = _role_keys(member)
    if _matches(keys, settings.discord_admin_roles):
        return Role.ADMIN
    if _matches(keys, settings.discord_moderator_roles):
        return Role.MODERATOR
    return None
