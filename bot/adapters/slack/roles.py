"""Who is a golive admin or moderator in a Slack workspace.

Admins are the configured user ids (``SLACK_ADMIN_USERS``) or the members of a user group
(``SLACK_ADMIN_GROUP``); with neither configured, the workspace's own admins and owners
(``users.info`` ``is_admin``/``is_owner``), so a fresh install works. Moderators are the
members of ``SLACK_MODERATOR_GROUP``; admins moderate too. Answers are cached for a minute so
a burst of clicks costs Slack one lookup.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import Settings

TTL = 60.0
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Person:
    user_id: str
    role: str  # "admin", "moderator" or "member"
    timezone: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class Roles:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.admin_ids = {u.strip() for u in settings.slack_admin_users.split(",") if u.strip()}
        self._users: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}
        self._groups: dict[tuple[str, str], tuple[float, set[str]]] = {}

    async def _user(self, client: AsyncWebClient, team: str, user_id: str) -> dict[str, Any]:
        cached = self._users.get((team, user_id))
        if cached and time.monotonic() - cached[0] < TTL:
            return cached[1]
        try:
            response = await client.users_info(user=user_id)
            user = dict(response.get("user") or {})
        except SlackApiError as exc:  # unknown to Slack: a member, in golive's time zone
            log.warning("users.info for %s failed: %s", user_id, exc.response.get("error"))
            user = {}
        self._users[(team, user_id)] = (time.monotonic(), user)
        return user

    async def _members(self, client: AsyncWebClient, team: str, group: str) -> set[str]:
        cached = self._groups.get((team, group))
        if cached and time.monotonic() - cached[0] < TTL:
            return cached[1]
        try:
            response = await client.usergroups_users_list(usergroup=group)
            members = set(response.get("users") or [])
        except SlackApiError as exc:
            log.warning("usergroups.users.list %s failed: %s", group, exc.response.get("error"))
            members = set()
        self._groups[(team, group)] = (time.monotonic(), members)
        return members

    async def person(self, client: AsyncWebClient, team: str, user_id: str) -> Person:
        user = await self._user(client, team, user_id)
        timezone = user.get("tz") or self.settings.timezone
        settings = self.settings
        if self.admin_ids or settings.slack_admin_group:
            admin = user_id in self.admin_ids or (
                bool(settings.slack_admin_group)
                and user_id in await self._members(client, team, settings.slack_admin_group or "")
            )
        else:
            admin = bool(user.get("is_admin") or user.get("is_owner"))
        if admin:
            return Person(user_id, "admin", timezone)
        if settings.slack_moderator_group and user_id in await self._members(
            client, team, settings.slack_moderator_group
        ):
            return Person(user_id, "moderator", timezone)
        return Person(user_id, "member", timezone)

    def who_can(self) -> str:
        """The people to ask, for a member's refusal."""
        names = [f"<@{u}>" for u in sorted(self.admin_ids)]
        if self.settings.slack_admin_group:
            names.append(f"<!subteam^{self.settings.slack_admin_group}>")
        if not names:
            return "the workspace's admins and owners"
        return ", ".join(names)

    def refusal(self, what: str) -> str:
        return f"Only golive admins can {what}: ask {self.who_can()}."
