"""golive's tables (SQLAlchemy 2.x typed models).

Columns ending in ``_enc`` hold Fernet tokens written by :mod:`storage.vault`; nothing else in
the database may hold a secret. ``ENCRYPTED_COLUMNS`` lists them so key rotation and the
secret-scanning test see every one.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    Unicode,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite forgets the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Connection(Base):
    """A platform account golive may act as, for one workspace."""

    __tablename__ = "platform_connections"
    __table_args__ = (UniqueConstraint("workspace", "platform", name="uq_connection_ws_platform"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    workspace: Mapped[str] = mapped_column(String(64))
    account_label: Mapped[str] = mapped_column(String(200), default="")
    credentials_enc: Mapped[str] = mapped_column(Text)
    scopes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="connected")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    connected_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"Connection(id={self.id!r}, platform={self.platform!r}, status={self.status!r})"


class Livestream(Base):
    __tablename__ = "livestreams"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    workspace: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    primary_platform: Mapped[str] = mapped_column(String(32))
    scheduled_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    record: Mapped[bool] = mapped_column(Boolean, default=False)
    #: relay the platforms' live chat into the announcement threads
    chat_relay: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    status: Mapped[str] = mapped_column(String(16), default="created")
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    #: the built-in relay's stream key (docs/relay.md): encrypted, and its SHA-256 so a publish
    #: finds its broadcast without decrypting every key
    relay_key_enc: Mapped[str | None] = mapped_column(Text)
    relay_key_hash: Mapped[str | None] = mapped_column(String(64), index=True)

    platforms: Mapped[list[LivestreamPlatform]] = relationship(
        back_populates="livestream",
        cascade="all, delete-orphan",
        order_by="LivestreamPlatform.position",
        lazy="selectin",
    )

    def __repr__(self) -> str:
        return f"Livestream(id={self.id!r}, title={self.title!r}, status={self.status!r})"


class LivestreamPlatform(Base):
    __tablename__ = "livestream_platforms"
    __table_args__ = (UniqueConstraint("livestream_id", "platform", name="uq_lsp_platform"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    livestream_id: Mapped[str] = mapped_column(ForeignKey("livestreams.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer, default=0)
    remote_id: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    ingest_url_enc: Mapped[str | None] = mapped_column(Text)
    stream_key_enc: Mapped[str | None] = mapped_column(Text)
    watch_url: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    quota_used: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    livestream: Mapped[Livestream] = relationship(back_populates="platforms")

    def __repr__(self) -> str:
        return f"LivestreamPlatform(platform={self.platform!r}, status={self.status!r})"


class Meeting(Base):
    __tablename__ = "meetings"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    workspace: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(200))
    primary_platform: Mapped[str] = mapped_column(String(32))
    start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    duration_minutes: Mapped[int] = mapped_column(Integer, default=60)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    record: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="created")
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    platforms: Mapped[list[MeetingPlatform]] = relationship(
        back_populates="meeting",
        cascade="all, delete-orphan",
        order_by="MeetingPlatform.position",
        lazy="selectin",
    )

    def __repr__(self) -> str:
        return f"Meeting(id={self.id!r}, title={self.title!r})"


class MeetingPlatform(Base):
    __tablename__ = "meeting_platforms"
    __table_args__ = (UniqueConstraint("meeting_id", "platform", name="uq_mp_platform"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer, default=0)
    remote_id: Mapped[str | None] = mapped_column(String(200))
    join_url: Mapped[str | None] = mapped_column(Text)
    host_url_enc: Mapped[str | None] = mapped_column(Text)
    passcode_enc: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    error: Mapped[str | None] = mapped_column(Text)

    meeting: Mapped[Meeting] = relationship(back_populates="platforms")

    def __repr__(self) -> str:
        return f"MeetingPlatform(platform={self.platform!r}, status={self.status!r})"


class OAuthState(Base):
    """A pending authorization: single use, short-lived, bound to the chat user who asked.

    Only a hash of the state is stored, so reading the table does not let anyone finish a
    flow; the PKCE verifier is encrypted.
    """

    __tablename__ = "oauth_states"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    workspace: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    code_verifier_enc: Mapped[str] = mapped_column(Text)
    redirect_uri: Mapped[str] = mapped_column(Text)
    browser_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"OAuthState(platform={self.platform!r}, user_id={self.user_id!r})"


class AuditEntry(Base):
    """Who did what to which secret or platform, and when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200))
    operation: Mapped[str] = mapped_column(String(200), default="")

    def __repr__(self) -> str:
        return f"AuditEntry(action={self.action!r}, target={self.target!r})"


class AnnounceTarget(Base):
    """A chat channel that gets every announcement of its workspace (cross-posting)."""

    __tablename__ = "announce_targets"
    __table_args__ = (UniqueConstraint("workspace", "chat", "channel", name="uq_announce_target"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace: Mapped[str] = mapped_column(String(64), index=True)
    chat: Mapped[str] = mapped_column(String(16))  # "slack" or "discord"
    channel: Mapped[str] = mapped_column(String(64))
    added_by: Mapped[str] = mapped_column(String(64), default="")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PostedMessage(Base):
    """One copy of an announcement in one channel, so later state changes edit every copy."""

    __tablename__ = "posted_messages"
    __table_args__ = (UniqueConstraint("chat", "channel", "message_id", name="uq_posted_message"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace: Mapped[str] = mapped_column(String(64))
    item_kind: Mapped[str] = mapped_column(String(16))  # "broadcast" or "meeting"
    item_id: Mapped[str] = mapped_column(String(16), index=True)
    chat: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(64))
    thread_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"PostedMessage({self.chat}:{self.channel}/{self.message_id} {self.item_id})"


class ApiToken(Base):
    """A personal API token: only its SHA-256 is stored, so the table cannot be replayed."""

    __tablename__ = "api_tokens"
    __table_args__ = (UniqueConstraint("workspace", "name", name="uq_api_token_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(16))  # "read" or "read-write"
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    def __repr__(self) -> str:
        return f"ApiToken(name={self.name!r}, scope={self.scope!r})"


class IdempotentRequest(Base):
    """The first answer to a request sent with an ``Idempotency-Key``, replayed on retries."""

    __tablename__ = "idempotent_requests"
    __table_args__ = (UniqueConstraint("token_id", "key", name="uq_idempotency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))  # method, path and body, hashed
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None while running
    body: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TrackedLink(Base):
    """The golive link posted for one platform of one broadcast or meeting.

    The id is the unguessable part of ``/go/{id}``; the platform's own URL is looked up at
    click time, so a link posted before the platform had a URL (or before it ended and got a
    recording) still leads to the right place. Host start links are never tracked.
    """

    __tablename__ = "tracked_links"
    __table_args__ = (
        UniqueConstraint("item_kind", "item_id", "platform", name="uq_tracked_link_platform"),
    )

    id: Mapped[str] = mapped_column(String(43), primary_key=True)
    workspace: Mapped[str] = mapped_column(String(64))
    item_kind: Mapped[str] = mapped_column(String(16))  # "broadcast" or "meeting"
    item_id: Mapped[str] = mapped_column(String(16), index=True)
    platform: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"TrackedLink({self.item_kind} {self.item_id} {self.platform})"


class LinkClick(Base):
    """One click on a tracked link: where it was posted and when, nothing about who."""

    __tablename__ = "link_clicks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    link_id: Mapped[str] = mapped_column(ForeignKey("tracked_links.id", ondelete="CASCADE"))
    item_kind: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[str] = mapped_column(String(16), index=True)
    platform: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16))  # "slack", "discord", "page" or "other"
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WatchPage(Base):
    """The member watch page of one broadcast or meeting, at ``/live/{slug}``.

    The slug is random rather than the item id so meeting join links cannot be found by
    trying ids."""

    __tablename__ = "watch_pages"
    __table_args__ = (UniqueConstraint("item_kind", "item_id", name="uq_watch_page_item"),)

    slug: Mapped[str] = mapped_column(String(32), primary_key=True)
    workspace: Mapped[str] = mapped_column(String(64))
    item_kind: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SlackInstallation(Base):
    """golive installed in one Slack workspace (multi-workspace mode); the bot token encrypted.

    The team id is also the golive workspace of everything done from that Slack workspace.
    """

    __tablename__ = "slack_installations"
    __table_args__ = (UniqueConstraint("enterprise_id", "team_id", name="uq_slack_installation"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[str] = mapped_column(String(32), default="")
    team_id: Mapped[str] = mapped_column(String(32), index=True)
    team_name: Mapped[str] = mapped_column(String(200), default="")
    app_id: Mapped[str] = mapped_column(String(32), default="")
    bot_id: Mapped[str] = mapped_column(String(32), default="")
    bot_user_id: Mapped[str] = mapped_column(String(32), default="")
    bot_scopes: Mapped[str] = mapped_column(Text, default="")
    bot_token_enc: Mapped[str] = mapped_column(Text)
    installer_user_id: Mapped[str] = mapped_column(String(32), default="")
    installed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"SlackInstallation(team_id={self.team_id!r})"


class ChatMessageRow(Base):
    """One live chat message of one broadcast, stored once however often it was delivered.

    The unique constraint, not the collectors, is what guarantees "once": inserts skip a row
    that already exists, so two collectors racing on a reconnect cannot both store it.
    """

    __tablename__ = "chat_messages"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "platform", "message_id", name="uq_chat_message"),
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    line_id: Mapped[str] = mapped_column(String(16), index=True)
    broadcast_id: Mapped[str] = mapped_column(String(64), index=True)
    platform: Mapped[str] = mapped_column(String(32))
    message_id: Mapped[str] = mapped_column(String(255))
    author_name: Mapped[str] = mapped_column(String(200), default="")
    author_id: Mapped[str] = mapped_column(String(200), default="")
    badges: Mapped[str] = mapped_column(String(64), default="")  # comma-separated, sorted
    text: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"ChatMessageRow({self.platform}:{self.message_id} in {self.broadcast_id})"


class ChatCursor(Base):
    """Where a collector stopped reading a broadcast's chat (a page token, an offset), so a
    restart resumes there instead of replaying or skipping messages."""

    __tablename__ = "chat_cursors"
    __table_args__ = (UniqueConstraint("broadcast_id", "platform", name="uq_chat_cursor"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    broadcast_id: Mapped[str] = mapped_column(String(64))
    platform: Mapped[str] = mapped_column(String(32))
    cursor: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ModerationRules(Base):
    """A workspace's auto-moderation rules (bot.chat.filters.Rules as JSON)."""

    __tablename__ = "moderation_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace: Mapped[str] = mapped_column(String(64), unique=True)
    rules: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ModerationEntry(Base):
    """One moderation action, automatic (actor ``rule:<name>``) or by a person."""

    __tablename__ = "moderation_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    workspace: Mapped[str] = mapped_column(String(64), index=True)
    broadcast_id: Mapped[str] = mapped_column(String(64), index=True)
    platform: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(16))
    line_id: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[str] = mapped_column(String(200), default="")
    actor: Mapped[str] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(String(255))
    detail: Mapped[str] = mapped_column(String(255), default="")

    def __repr__(self) -> str:
        return f"ModerationEntry({self.action} on {self.platform} by {self.actor}: {self.result})"


class ViewerSample(Base):
    """Viewers of one platform of one broadcast at one moment, sampled while it is live."""

    __tablename__ = "viewer_samples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    livestream_id: Mapped[str] = mapped_column(
        ForeignKey("livestreams.id", ondelete="CASCADE"), index=True
    )
    platform: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    viewers: Mapped[int] = mapped_column(Integer)

    def __repr__(self) -> str:
        return f"ViewerSample({self.livestream_id} {self.platform} {self.viewers})"


class ConnectionNotice(Base):
    """A connection problem admins were told about, so each problem is told once.

    A problem stays open until a check finds the connection healthy again (``resolved_at``);
    the same problem coming back later is a new one and is told again."""

    __tablename__ = "connection_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace: Mapped[str] = mapped_column(String(64), index=True)
    platform: Mapped[str] = mapped_column(String(32))
    problem: Mapped[str] = mapped_column(String(32))  # "expired", "broken", "refresh refused"
    reason: Mapped[str] = mapped_column(Text, default="")
    notified_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    def __repr__(self) -> str:
        return f"ConnectionNotice({self.platform} {self.problem})"


class ChatEvent(Base):
    """A scheduled item's event in one chat server (a Discord guild scheduled event), so an
    edit or cancel reaches the same event."""

    __tablename__ = "chat_events"
    __table_args__ = (
        UniqueConstraint("item_kind", "item_id", "chat", "scope", name="uq_chat_event"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace: Mapped[str] = mapped_column(String(64))
    item_kind: Mapped[str] = mapped_column(String(16))  # "broadcast" or "meeting"
    item_id: Mapped[str] = mapped_column(String(16), index=True)
    chat: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(String(64))  # the Discord guild id
    event_id: Mapped[str] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"ChatEvent({self.chat}:{self.scope}/{self.event_id} {self.item_id})"


class ReminderOptIn(Base):
    """A member who asked for a private reminder of one scheduled item."""

    __tablename__ = "reminder_optins"
    __table_args__ = (
        UniqueConstraint("item_kind", "item_id", "chat", "user_id", name="uq_reminder_optin"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace: Mapped[str] = mapped_column(String(64))
    item_kind: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[str] = mapped_column(String(16), index=True)
    chat: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"ReminderOptIn({self.chat}:{self.user_id} {self.item_id})"


class RecordingLink(Base):
    """A recording of one platform of an ended broadcast or meeting, as members may open it.

    Only links a member can click are stored (a YouTube video, a Zoom share or play page);
    never a download URL that needs an access token. A Zoom recording's passcode is a secret
    golive does not keep: it is only noted that the platform will ask for one."""

    __tablename__ = "recording_links"
    __table_args__ = (
        UniqueConstraint("item_kind", "item_id", "platform", "url", name="uq_recording_link"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace: Mapped[str] = mapped_column(String(64), index=True)
    item_kind: Mapped[str] = mapped_column(String(16))  # "broadcast" or "meeting"
    item_id: Mapped[str] = mapped_column(String(16), index=True)
    platform: Mapped[str] = mapped_column(String(32))
    url: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32))  # "video", "share", "play", "meeting chat"
    label: Mapped[str] = mapped_column(String(200), default="")
    passcode_required: Mapped[bool] = mapped_column(Boolean, default=False)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"RecordingLink({self.item_kind} {self.item_id} {self.platform} {self.kind})"


class NotifyPreference(Base):
    """Which connection notices one admin gets, and where: their DMs or a channel."""

    __tablename__ = "notify_preferences"
    __table_args__ = (
        UniqueConstraint("workspace", "chat", "user_id", name="uq_notify_preference"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace: Mapped[str] = mapped_column(String(64), index=True)
    chat: Mapped[str] = mapped_column(String(16))  # "slack" or "discord"
    user_id: Mapped[str] = mapped_column(String(64))
    #: comma-separated, sorted: "broken,expired,refresh" (all) ... "" (none)
    kinds: Mapped[str] = mapped_column(String(64), default="broken,expired,refresh")
    #: None: a direct message; otherwise the channel id notices go to instead
    channel: Mapped[str | None] = mapped_column(String(64), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"NotifyPreference({self.chat}:{self.user_id} {self.kinds} -> {self.channel})"


#: Every column that holds ciphertext, for key rotation and secret scans.
ENCRYPTED_COLUMNS: tuple[tuple[type[Base], str], ...] = (
    (Connection, "credentials_enc"),
    (Livestream, "relay_key_enc"),
    (LivestreamPlatform, "ingest_url_enc"),
    (LivestreamPlatform, "stream_key_enc"),
    (MeetingPlatform, "host_url_enc"),
    (MeetingPlatform, "passcode_enc"),
    (OAuthState, "code_verifier_enc"),
    (SlackInstallation, "bot_token_enc"),
)


#: The scheduler's job store (APScheduler's SQLAlchemyJobStore layout, which it reads and
#: writes itself): declared here so the migration creates it and autogenerate agrees.
scheduled_jobs = Table(
    "scheduled_jobs",
    Base.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)
