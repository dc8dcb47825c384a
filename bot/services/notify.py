"""Which connection notices each admin gets, and where (``/platforms notify``).

A notice is one of three kinds: ``expired`` (a token or stream key ran out), ``broken`` (the
platform refuses the connection) and ``refresh`` (the platform refused to renew a token that
still works for now). Each admin chooses the kinds and whether they come as a direct message
or to a channel; an admin who never chose gets every kind by direct message. The chat
adapters' notifiers (``bot/adapters/*/notify.py``) ask :meth:`NotifyService.deliveries` whom
to tell, so two admins who picked the same channel make one message there.

``GOLIVE_NOTIFY_SLACK_CHANNEL`` / ``GOLIVE_NOTIFY_DISCORD_CHANNEL`` name a channel that gets
every notice besides.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from storage.models import Connection, NotifyPreference

if TYPE_CHECKING:
    from bot.services.context import Services

KINDS: tuple[str, ...] = ("expired", "broken", "refresh")
#: HealthNotice.problem -> the kind admins choose by
PROBLEM_KINDS = {"expired": "expired", "broken": "broken", "refresh refused": "refresh"}


@dataclass(frozen=True)
class Preference:
    kinds: frozenset[str]
    channel: str | None  # None: direct messages
    stored: bool = False

    def line(self, chat: str) -> str:
        kinds = ", ".join(k for k in KINDS if k in self.kinds) or "none"
        where = f"channel {self.channel}" if self.channel else "direct message"
        return (
            f"Connection notices you get in {chat.capitalize()}: {kinds}; by {where}. "
            "Change with /platforms notify expired,broken,refresh on|off · "
            "/platforms notify channel CHANNEL · /platforms notify dm"
        )


DEFAULT = Preference(frozenset(KINDS), None)


@dataclass(frozen=True)
class Delivery:
    """One message to send: to ``channel``, or to ``user_id`` directly when it is None."""

    user_id: str | None
    channel: str | None


class NotifyService:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def _row(self, session, workspace: str, chat: str, user: str) -> NotifyPreference | None:
        return (
            await session.execute(
                select(NotifyPreference).where(
                    NotifyPreference.workspace == workspace,
                    NotifyPreference.chat == chat,
                    NotifyPreference.user_id == user,
                )
            )
        ).scalar_one_or_none()

    async def get(self, workspace: str, chat: str, user: str) -> Preference:
        async with self.services.db.sessions() as session:
            row = await self._row(session, workspace, chat, user)
        return _preference(row) if row else DEFAULT

    async def _change(
        self, workspace: str, chat: str, user: str, kinds: frozenset[str], channel: str | None
    ) -> Preference:
        async with self.services.db.transaction() as session:
            row = await self._row(session, workspace, chat, user)
            if row is None:
                row = NotifyPreference(workspace=workspace, chat=chat, user_id=user)
                session.add(row)
            row.kinds = ",".join(sorted(kinds))
            row.channel = channel
        return Preference(kinds, channel, True)

    async def set_kinds(
        self, workspace: str, chat: str, user: str, kinds: Iterable[str], on: bool
    ) -> Preference:
        current = await self.get(workspace, chat, user)
        chosen = set(kinds)
        new = current.kinds | chosen if on else current.kinds - chosen
        return await self._change(workspace, chat, user, frozenset(new), current.channel)

    async def set_channel(
        self, workspace: str, chat: str, user: str, channel: str | None
    ) -> Preference:
        current = await self.get(workspace, chat, user)
        return await self._change(workspace, chat, user, current.kinds, channel)

    async def connected_by(self, workspace: str, platform: str) -> str | None:
        """Who connected the platform: told by default, whether or not they chose anything."""
        async with self.services.db.sessions() as session:
            return (
                await session.execute(
                    select(Connection.connected_by).where(
                        Connection.workspace == workspace, Connection.platform == platform
                    )
                )
            ).scalar_one_or_none() or None

    async def deliveries(
        self, workspace: str, chat: str, problem: str, admins: Iterable[str] = ()
    ) -> list[Delivery]:
        """The messages one notice makes in one chat: every admin who chose (or did not
        choose, when listed in ``admins``) its kind, one per channel or person."""
        kind = PROBLEM_KINDS.get(problem, problem)
        async with self.services.db.sessions() as session:
            rows = list(
                (
                    await session.execute(
                        select(NotifyPreference).where(
                            NotifyPreference.workspace == workspace, NotifyPreference.chat == chat
                        )
                    )
                ).scalars()
            )
        chosen = {row.user_id: _preference(row) for row in rows}
        people = dict.fromkeys([*chosen, *admins])
        out: list[Delivery] = []
        seen: set[tuple[str | None, str | None]] = set()

        def add(delivery: Delivery) -> None:
            key = (None, delivery.channel) if delivery.channel else (delivery.user_id, None)
            if key not in seen:
                seen.add(key)
                out.append(delivery)

        for user in people:
            preference = chosen.get(user, DEFAULT)
            if kind in preference.kinds:
                add(Delivery(None if preference.channel else user, preference.channel))
        extra = self.services.settings.environment.get(f"GOLIVE_NOTIFY_{chat.upper()}_CHANNEL")
        if extra:
            add(Delivery(None, extra.strip()))
        return out


def _preference(row: NotifyPreference) -> Preference:
    kinds = frozenset(k for k in (row.kinds or "").split(",") if k in KINDS)
    return Preference(kinds, row.channel, True)
