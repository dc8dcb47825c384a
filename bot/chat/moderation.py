"""Moderation of relayed chat: automatic (a rule caught a line) and by hand (from the thread).

Every action goes to the platform the line came from, through that provider's
:class:`providers.base.Moderation` side, and only when its capabilities say it can
(``chat_delete`` for delete, ``timeout`` for a time-out, ``ban`` for ban and unban): a platform
without the capability is skipped with the reason recorded, never called. Manual actions are
for moderators and admins only; a member's attempt is refused and recorded too. Every action,
automatic or not, lands in the moderation history with who (a person or the rule), what, which
platform, and the result.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import select

from bot import metrics
from bot.chat.filters import Rules, Verdict
from bot.chat.model import ChatLine
from bot.chat.relay import tag
from providers.base import BroadcastHandle, Capability
from storage.db import Database
from storage.models import ModerationEntry, ModerationRules

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Action:
    name: str  # what is stored and sent in the menu's value
    label: str  # what the menu shows
    capability: Capability
    seconds: int | None = None
    past: str = ""  # "deleted", for "deleted on YouTube by @ana"


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action("delete", "Delete message", Capability.CHAT_DELETE, past="deleted"),
        Action("timeout5m", "Time out 5 min", Capability.TIMEOUT, 300, "timed out for 5 min"),
        Action("timeout1h", "Time out 1 h", Capability.TIMEOUT, 3600, "timed out for 1 h"),
        Action("ban", "Ban", Capability.BAN, past="banned"),
        Action("unban", "Unban", Capability.BAN, past="unbanned"),
    )
}


def offered(capabilities: frozenset[Capability] | set[Capability], can_unban: bool) -> list[Action]:
    """The actions a platform's capabilities allow, in menu order."""
    return [
        a
        for a in ACTIONS.values()
        if a.capability in capabilities and (a.name != "unban" or can_unban)
    ]


@dataclass(frozen=True)
class Entry:
    """One line of the moderation history."""

    id: int
    at: datetime
    workspace: str
    broadcast_id: str
    platform: str
    action: str
    line_id: str
    author_id: str
    actor: str  # a person ("slack:U123") or "rule:banned_word"
    result: str  # done, refused, unsupported, failed: <reason>
    detail: str = ""


class Moderator(Protocol):
    """Where actions are carried out: a provider with a broadcast handle, per platform.

    A moderator may also offer ``async save(workspace, broadcast_id, platform, handle)``:
    it is called after every action the platform carried out, so what a provider wrote to
    ``handle.data`` (YouTube's ban ids, needed to unban) is stored and survives a restart,
    with the quota units the action added to ``handle.quota_used``.
    """

    async def target(
        self, workspace: str, broadcast_id: str, platform: str
    ) -> tuple[Any, BroadcastHandle] | None: ...


class LineSource(Protocol):
    async def find(self, line_id: str) -> ChatLine | None: ...


class History(Protocol):
    async def record(self, entry: Entry) -> Entry: ...

    async def list(self, workspace: str, broadcast_id: str | None, limit: int) -> list[Entry]: ...


class MemoryHistory:
    """History kept in memory (the console, the bench); storage has the durable one."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []

    async def record(self, entry: Entry) -> Entry:
        stored = Entry(**{**entry.__dict__, "id": len(self.entries) + 1})
        self.entries.append(stored)
        return stored

    async def list(self, workspace: str, broadcast_id: str | None, limit: int) -> list[Entry]:
        rows = [
            e
            for e in self.entries
            if e.workspace == workspace and broadcast_id in (None, e.broadcast_id)
        ]
        return rows[-limit:][::-1]


class StoredHistory:
    """The moderation history in the database (``moderation_history``)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, entry: Entry) -> Entry:
        fields = {k: v for k, v in entry.__dict__.items() if k != "id"}
        row = ModerationEntry(**fields)
        async with self.db.transaction() as session:
            session.add(row)
            await session.flush()
            return Entry(**{**fields, "id": row.id})

    async def list(self, workspace: str, broadcast_id: str | None, limit: int) -> list[Entry]:
        query = select(ModerationEntry).where(ModerationEntry.workspace == workspace)
        if broadcast_id:
            query = query.where(ModerationEntry.broadcast_id == broadcast_id)
        query = query.order_by(ModerationEntry.id.desc()).limit(limit)
        async with self.db.sessions() as session:
            rows = (await session.execute(query)).scalars().all()
        names = [f for f in Entry.__dataclass_fields__]
        return [Entry(**{n: getattr(r, n) for n in names}) for r in rows]


async def load_rules(db: Database, workspace: str) -> Rules:
    async with db.sessions() as session:
        row = (
            await session.execute(
                select(ModerationRules).where(ModerationRules.workspace == workspace)
            )
        ).scalar_one_or_none()
    return Rules() if row is None else Rules.from_json(row.rules)


async def save_rules(db: Database, workspace: str, rules: Rules, *, user: str) -> None:
    async with db.transaction() as session:
        row = (
            await session.execute(
                select(ModerationRules).where(ModerationRules.workspace == workspace)
            )
        ).scalar_one_or_none()
        if row is None:
            row = ModerationRules(workspace=workspace, rules=rules.to_json(), updated_by=user)
            session.add(row)
        else:
            row.rules = rules.to_json()
            row.updated_by = user


#: relayed lines kept in memory when a store can find the older ones
MEMORY_LINES = 10_000

Notify = Callable[[ChatLine, str], Awaitable[None]]


class ModerationService:
    def __init__(
        self, moderator: Moderator, history: History, store: LineSource | None = None
    ) -> None:
        self.moderator = moderator
        self.history = history
        #: where a line is found when it is no longer in memory (after a restart)
        self.store = store
        self.lines: dict[str, ChatLine] = {}  # relayed line id -> line, for menu actions
        self.tasks: set[asyncio.Task[Any]] = set()

    def remember(self, lines: Sequence[ChatLine]) -> None:
        for line in lines:
            self.lines[line.id] = line
        if self.store is not None and len(self.lines) > MEMORY_LINES:
            # the store has them all; memory only saves a query for recent clicks
            for key in list(self.lines)[: len(self.lines) - MEMORY_LINES]:
                del self.lines[key]

    async def find(self, line_id: str) -> ChatLine | None:
        """A relayed line by its stable id: from memory, else from the chat store, so a menu
        posted before a restart still works after it."""
        line = self.lines.get(line_id)
        if line is None and self.store is not None and line_id:
            line = await self.store.find(line_id)
            if line is not None:
                self.lines[line.id] = line
        return line

    async def capabilities(self, workspace: str, broadcast_id: str, platform: str) -> list[Action]:
        found = await self.moderator.target(workspace, broadcast_id, platform)
        if found is None:
            return []
        provider, _ = found
        caps = frozenset(getattr(provider, "capabilities", frozenset()))
        return offered(caps, callable(getattr(provider, "unban", None)))

    async def _carry_out(self, workspace: str, line: ChatLine, action: Action) -> str:
        found = await self.moderator.target(workspace, line.broadcast_id, line.platform)
        if found is None:
            return f"unsupported: {tag(line.platform)} is not connected"
        provider, handle = found
        can = getattr(provider, "can", None)
        allowed = can(action.capability) if callable(can) else False
        unban = getattr(provider, "unban", None)
        if not allowed or (action.name == "unban" and not callable(unban)):
            return f"unsupported: {tag(line.platform)} has no {action.label.lower()}"
        try:
            if action.name == "delete":
                await provider.delete_message(handle, line.message_id)
            elif action.name == "unban":
                await unban(handle, line.author_id)  # type: ignore[misc]
            else:
                await provider.ban(handle, line.author_id, action.seconds)
        except Exception as exc:  # the platform's error is the result, the thread says so
            log.warning("%s on %s failed: %s", action.name, line.platform, type(exc).__name__)
            return f"failed: {str(exc)[:200] or type(exc).__name__}"
        save = getattr(self.moderator, "save", None)
        if callable(save):
            await save(workspace, line.broadcast_id, line.platform, handle)
        return "done"

    async def _record(
        self, workspace: str, line: ChatLine, action: str, actor: str, result: str, detail: str
    ) -> Entry:
        metrics.moderated(line.platform, action, actor, result)
        return await self.history.record(
            Entry(
                id=0,
                at=datetime.now(UTC),
                workspace=workspace,
                broadcast_id=line.broadcast_id,
                platform=line.platform,
                action=action,
                line_id=line.id,
                author_id=line.author_id,
                actor=actor,
                result=result,
                detail=detail,
            )
        )

    async def auto(self, workspace: str, line: ChatLine, verdict: Verdict) -> Entry:
        """A rule caught the line: it is held back already; delete it where the platform can."""
        result = await self._carry_out(workspace, line, ACTIONS["delete"])
        if result.startswith("unsupported"):
            result = "held: " + result
        return await self._record(
            workspace, line, "delete", f"rule:{verdict.rule}", result, verdict.detail
        )

    async def act(
        self,
        workspace: str,
        line_id: str,
        action_name: str,
        *,
        actor: str,
        actor_name: str,
        role: str,
    ) -> str:
        """A person's action from the thread; returns the sentence for the thread."""
        line = await self.find(line_id)
        action = ACTIONS.get(action_name)
        if line is None or action is None:
            return "That chat line is no longer known to golive; nothing was done."
        if role not in {"admin", "moderator"}:
            await self._record(workspace, line, action.name, actor, "refused", role)
            return "Only moderators and admins can moderate chat."
        result = await self._carry_out(workspace, line, action)
        await self._record(workspace, line, action.name, actor, result, "")
        where = tag(line.platform)
        if result == "done":
            return f"{action.past} on {where} by {actor_name}"
        if result.startswith("unsupported"):
            return f"Not done: {where} does not offer “{action.label.lower()}” to golive."
        return f"{action.label} on {where} failed: {result.removeprefix('failed: ')}"


def help_text(platforms: Sequence[str] | None = None) -> str:
    """Which action works on which platform, from the provider classes' capabilities."""
    from providers import platforms as livestream_platforms
    from providers import provider_class
    from providers.base import Kind

    rows = []
    for platform in platforms or livestream_platforms(Kind.LIVESTREAM):
        cls = provider_class(platform)
        names = [a.label for a in offered(cls.capabilities, callable(getattr(cls, "unban", None)))]
        rows.append(f"{tag(platform)}: {', '.join(names) if names else 'no moderation'}")
    return "Moderation from the chat thread (menu on each relayed line):\n" + "\n".join(rows)


async def listing(
    history: History, workspace: str, broadcast_id: str | None, limit: int = 20
) -> str:
    """The newest actions first, one line each, for ``/golive moderation [ID]``."""
    entries = await history.list(workspace, broadcast_id, limit)
    if not entries:
        where = f" for broadcast {broadcast_id}" if broadcast_id else ""
        return f"No moderation actions yet{where}."
    return "\n".join(
        f"{e.at:%Y-%m-%d %H:%M:%S} {e.broadcast_id} {e.action} on {tag(e.platform)} "
        f"by {e.actor}: {e.result}" + (f" ({e.detail})" if e.detail else "")
        for e in entries
    )


def actions_for(platform: str) -> list[Action]:
    """The menu of a relayed line from ``platform``: what its provider class can do."""
    from providers import provider_class

    try:
        cls = provider_class(platform)
    except (KeyError, LookupError, ValueError):
        return []
    return offered(cls.capabilities, callable(getattr(cls, "unban", None)))
