"""Slack installations in golive's database (multi-workspace mode), bot tokens encrypted.

Implements slack_sdk's ``AsyncInstallationStore`` so Bolt's OAuth flow (``/slack/install``,
``/slack/oauth_redirect``) saves here and its authorize step finds each workspace's bot token
here. Unlike slack_sdk's own SQL stores, the token is a vault ciphertext, and reading it is
audited. The OAuth ``state`` lives in memory for ten minutes: one golive process serves the
install flow (docs/decisions/0002-slack-workspaces.md).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from sqlalchemy import delete, select

from bot.services.context import Services
from storage.models import AuditEntry, SlackInstallation


class DatabaseInstallationStore(AsyncInstallationStore):
    def __init__(self, services: Services, on_save: Callable[[str], object] | None = None) -> None:
        self.services = services
        #: told the team id after each save, so a cached client with an old token is dropped
        self.on_save = on_save

    @property
    def logger(self):  # slack_sdk's base class asks for one
        import logging

        return logging.getLogger(__name__)

    async def async_save(self, installation: Installation) -> None:
        if not installation.bot_token:
            return  # golive only ever acts as its bot
        vault = self.services.vault
        async with self.services.db.transaction() as session:
            row = (
                await session.execute(
                    select(SlackInstallation).where(
                        SlackInstallation.enterprise_id == (installation.enterprise_id or ""),
                        SlackInstallation.team_id == (installation.team_id or ""),
                    )
                )
            ).scalar_one_or_none()
            if row is None:
                row = SlackInstallation(
                    enterprise_id=installation.enterprise_id or "",
                    team_id=installation.team_id or "",
                )
                session.add(row)
            row.team_name = installation.team_name or ""
            row.app_id = installation.app_id or ""
            row.bot_id = installation.bot_id or ""
            row.bot_user_id = installation.bot_user_id or ""
            row.bot_scopes = ",".join(installation.bot_scopes or [])
            row.bot_token_enc = vault.encrypt(installation.bot_token)
            row.installer_user_id = installation.user_id or ""
            session.add(
                AuditEntry(
                    actor=installation.user_id or "slack",
                    action="slack install",
                    target=installation.team_id or "",
                    operation=installation.team_id or "",
                )
            )
        if self.on_save is not None:
            self.on_save(installation.team_id or "")

    async def _row(self, enterprise_id: str | None, team_id: str | None) -> dict[str, Any] | None:
        async with self.services.db.transaction() as session:
            row = (
                await session.execute(
                    select(SlackInstallation).where(
                        SlackInstallation.enterprise_id == (enterprise_id or ""),
                        SlackInstallation.team_id == (team_id or ""),
                    )
                )
            ).scalar_one_or_none()
            if row is None:
                return None
            token = self.services.vault.decrypt(
                session,
                row.bot_token_enc,
                what=f"slack_bot_token:{row.team_id}",
                operation="slack authorize",
                actor="slack",
            )
            return {
                "app_id": row.app_id or None,
                "enterprise_id": row.enterprise_id or None,
                "team_id": row.team_id,
                "team_name": row.team_name,
                "bot_token": token,
                "bot_id": row.bot_id,
                "bot_user_id": row.bot_user_id,
                "bot_scopes": row.bot_scopes,
                "user_id": row.installer_user_id,
                "installed_at": row.installed_at.timestamp(),
            }

    async def async_find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install=False
    ) -> Bot | None:
        found = await self._row(enterprise_id, team_id)
        if found is None:
            return None
        found.pop("user_id")
        return Bot(**found)

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install=False,
    ) -> Installation | None:
        found = await self._row(enterprise_id, team_id)
        if found is None:
            return None
        return Installation(**found)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        async with self.services.db.transaction() as session:
            await session.execute(
                delete(SlackInstallation).where(
                    SlackInstallation.enterprise_id == (enterprise_id or ""),
                    SlackInstallation.team_id == (team_id or ""),
                )
            )

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.async_delete_installation(enterprise_id=enterprise_id, team_id=team_id)


class MemoryStateStore(AsyncOAuthStateStore):
    """Single-use install states, ten minutes each."""

    TTL = 600.0

    def __init__(self) -> None:
        self._states: dict[str, float] = {}

    @property
    def logger(self):
        import logging

        return logging.getLogger(__name__)

    async def async_issue(self, *args, **kwargs) -> str:
        now = time.monotonic()
        self._states = {s: t for s, t in self._states.items() if now - t < self.TTL}
        state = secrets.token_urlsafe(24)
        self._states[state] = now
        return state

    async def async_consume(self, state: str) -> bool:
        issued = self._states.pop(state, None)
        return issued is not None and time.monotonic() - issued < self.TTL
