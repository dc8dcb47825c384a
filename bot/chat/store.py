"""Stored live chat: each platform message kept once, searchable, with collectors' cursors.

"Once" is the database's job, not the collectors': rows go in with ``INSERT ... ON CONFLICT DO
NOTHING RETURNING`` against the unique (broadcast, platform, message id) constraint, on SQLite
and PostgreSQL alike, so a message delivered twice, or by two collectors racing after a
reconnect, yields one row and is reported as new to exactly one caller.

A page of messages, the cursor that follows it and the quota it cost are written in one
transaction: after a crash either all three are there or none is, so a restart re-reads the
same page (whose messages are then dropped as duplicates) and never skips one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.chat.model import ChatLine
from storage.db import Database
from storage.models import ChatCursor, ChatMessageRow, LivestreamPlatform

#: Rows per INSERT, well under SQLite's bound-parameter limit (11 columns a row).
_CHUNK = 500


def _row(line: ChatLine) -> dict[str, object]:
    return {
        "line_id": line.id,
        "broadcast_id": line.broadcast_id,
        "platform": line.platform,
        "message_id": line.message_id,
        "author_name": line.author_name,
        "author_id": line.author_id,
        "badges": ",".join(sorted(line.badges)),
        "text": line.text,
        "sent_at": line.sent_at,
    }


def _line(row: ChatMessageRow) -> ChatLine:
    return ChatLine(
        platform=row.platform,
        message_id=row.message_id,
        author_name=row.author_name,
        author_id=row.author_id,
        badges=frozenset(b for b in row.badges.split(",") if b),
        text=row.text,
        sent_at=row.sent_at,
        broadcast_id=row.broadcast_id,
    )


class ChatStore:
    """Chat messages and collector cursors in golive's database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _insert(self, session: AsyncSession):
        dialect = session.bind.dialect.name
        module = postgresql if dialect == "postgresql" else sqlite
        return module.insert(ChatMessageRow)

    async def _add(self, session: AsyncSession, lines: Sequence[ChatLine]) -> list[ChatLine]:
        unique: dict[tuple[str, str, str], ChatLine] = {}
        for line in lines:
            unique.setdefault(line.key, line)
        if not unique:
            return []
        batch = list(unique.values())
        inserted: set[tuple[str, str, str]] = set()
        for start in range(0, len(batch), _CHUNK):
            chunk = batch[start : start + _CHUNK]
            stmt = (
                self._insert(session)
                .values([_row(line) for line in chunk])
                .on_conflict_do_nothing(index_elements=["broadcast_id", "platform", "message_id"])
                .returning(
                    ChatMessageRow.broadcast_id, ChatMessageRow.platform, ChatMessageRow.message_id
                )
            )
            result = await session.execute(stmt)
            inserted.update((r[0], r[1], r[2]) for r in result.all())
        return [line for line in batch if line.key in inserted]

    async def add(self, lines: Iterable[ChatLine]) -> list[ChatLine]:
        """Store ``lines``; return only those not stored before, in the order given."""
        async with self.db.transaction() as session:
            return await self._add(session, list(lines))

    async def add_page(
        self,
        broadcast_id: str,
        platform: str,
        lines: Sequence[ChatLine],
        cursor: str | None,
        *,
        quota: int = 0,
    ) -> list[ChatLine]:
        """Store one page of a collector together with the cursor after it and its quota cost."""
        async with self.db.transaction() as session:
            new = await self._add(session, lines)
            await self._set_cursor(session, broadcast_id, platform, cursor)
            if quota:
                await session.execute(
                    update(LivestreamPlatform)
                    .where(
                        LivestreamPlatform.livestream_id == broadcast_id,
                        LivestreamPlatform.platform == platform,
                    )
                    .values(quota_used=LivestreamPlatform.quota_used + quota)
                )
            return new

    async def _set_cursor(
        self, session: AsyncSession, broadcast_id: str, platform: str, cursor: str | None
    ) -> None:
        module = postgresql if session.bind.dialect.name == "postgresql" else sqlite
        stmt = module.insert(ChatCursor).values(
            broadcast_id=broadcast_id, platform=platform, cursor=cursor
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["broadcast_id", "platform"],
            set_={"cursor": stmt.excluded.cursor, "updated_at": stmt.excluded.updated_at},
        )
        await session.execute(stmt)

    async def set_cursor(self, broadcast_id: str, platform: str, cursor: str | None) -> None:
        async with self.db.transaction() as session:
            await self._set_cursor(session, broadcast_id, platform, cursor)

    async def cursor(self, broadcast_id: str, platform: str) -> str | None:
        async with self.db.sessions() as session:
            return await session.scalar(
                select(ChatCursor.cursor).where(
                    ChatCursor.broadcast_id == broadcast_id, ChatCursor.platform == platform
                )
            )

    async def search(
        self,
        broadcast_id: str,
        text: str | None = None,
        platform: str | None = None,
        *,
        limit: int | None = None,
    ) -> list[ChatLine]:
        """A broadcast's stored chat, oldest first, optionally only lines containing ``text``
        (case-insensitive, taken literally) or from one platform."""
        query = select(ChatMessageRow).where(ChatMessageRow.broadcast_id == broadcast_id)
        if platform is not None:
            query = query.where(ChatMessageRow.platform == platform)
        if text:
            query = query.where(ChatMessageRow.text.icontains(text, autoescape=True))
        query = query.order_by(ChatMessageRow.sent_at, ChatMessageRow.seq)
        if limit is not None:
            query = query.limit(limit)
        async with self.db.sessions() as session:
            rows = (await session.scalars(query)).all()
        return [_line(row) for row in rows]

    async def find(self, line_id: str) -> ChatLine | None:
        """The stored line with this stable id (a moderator's menu click after a restart,
        when no relayed line is in memory any more); the newest if two broadcasts share it."""
        query = (
            select(ChatMessageRow)
            .where(ChatMessageRow.line_id == line_id)
            .order_by(ChatMessageRow.seq.desc())
            .limit(1)
        )
        async with self.db.sessions() as session:
            row = (await session.scalars(query)).first()
        return None if row is None else _line(row)

    async def count(self, broadcast_id: str) -> int:
        """How many lines of a broadcast are stored (for ``/golive status``)."""
        query = select(func.count()).where(ChatMessageRow.broadcast_id == broadcast_id)
        async with self.db.sessions() as session:
            return int(await session.scalar(query) or 0)
