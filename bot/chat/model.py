"""One chat message, whatever platform it came from.

Every collector turns its platform's shape into a :class:`ChatLine`; storage, relay, filters
and moderation only ever see this shape. The stable :attr:`ChatLine.id` depends on the platform
and the platform's own message id alone, so the same message delivered twice (a reconnect, a
replayed page) has the same id and is stored once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

#: Badges golive understands; platforms' own roles are mapped onto these.
BADGES: frozenset[str] = frozenset({"owner", "moderator", "member", "subscriber"})


def line_id(platform: str, message_id: str) -> str:
    """The short stable id of a platform message: 16 hex digits of a SHA-256."""
    digest = hashlib.sha256(f"{platform}\x00{message_id}".encode()).hexdigest()
    return digest[:16]


@dataclass(frozen=True)
class ChatLine:
    platform: str
    message_id: str
    author_name: str
    author_id: str
    badges: frozenset[str]
    text: str
    sent_at: datetime
    broadcast_id: str
    id: str = field(init=False)

    def __post_init__(self) -> None:
        if self.sent_at.tzinfo is None:
            raise ValueError("sent_at must be an aware datetime")
        unknown = set(self.badges) - BADGES
        if unknown:
            raise ValueError(f"unknown badges: {sorted(unknown)}")
        object.__setattr__(self, "badges", frozenset(self.badges))
        object.__setattr__(self, "id", line_id(self.platform, self.message_id))

    @property
    def is_privileged(self) -> bool:
        """Owner or moderator: exempt from automatic moderation by default."""
        return bool(self.badges & {"owner", "moderator"})

    @property
    def key(self) -> tuple[str, str, str]:
        """What storage keeps unique: one row per platform message per broadcast."""
        return (self.broadcast_id, self.platform, self.message_id)
