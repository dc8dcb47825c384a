"""Request and response bodies of the HTTP API, as pydantic models.

They are the single source of the OpenAPI document's schemas (``model_json_schema``), so the
document cannot describe a field the code does not read or write. Unknown request fields are
refused (``extra="forbid"``): a typo in an automation script fails loudly instead of being
ignored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Name = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_]+$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AnnounceChannel(Strict):
    chat: Literal["slack", "discord"]
    channel: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


class LivestreamCreate(Strict):
    title: str = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=5000)
    platforms: list[str] = Field(min_length=1, max_length=10)
    primary: str | None = Field(None, description="Default: the first platform.")
    start: AwareDatetime | None = Field(None, description="Scheduled start; omit to go now.")
    record: bool = False
    chat_relay: bool = False
    announce_channels: list[AnnounceChannel] = Field(default_factory=list, max_length=20)
    settings: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="Per-platform settings, e.g. YouTube's category."
    )


class LivestreamPatch(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})

    title: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=5000)
    start: AwareDatetime | None = None


class MeetingCreate(Strict):
    title: str = Field(min_length=1, max_length=100)
    platforms: list[str] = Field(min_length=1, max_length=10)
    primary: str | None = None
    start: AwareDatetime | None = None
    duration_minutes: int = Field(60, ge=1, le=1440)
    timezone: str | None = Field(None, max_length=64, description="IANA name, e.g. Europe/Berlin")
    record: bool = False
    announce_channels: list[AnnounceChannel] = Field(default_factory=list, max_length=20)
    settings: dict[str, dict[str, str]] = Field(default_factory=dict)


class MeetingPatch(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})

    title: str | None = Field(None, min_length=1, max_length=100)
    start: AwareDatetime | None = None
    duration_minutes: int | None = Field(None, ge=1, le=1440)


class PlatformState(BaseModel):
    platform: str
    label: str
    state: str
    primary: bool
    url: str | None = Field(description="golive's tracked link (counts the click, then redirects)")
    direct_url: str | None = Field(None, description="The platform's own link")
    error: str | None = None
    progress: str | None = Field(None, description="What is happening right now, if anything.")


class Livestream(BaseModel):
    id: str
    title: str
    description: str
    status: str
    start: datetime | None
    primary: str
    record: bool
    chat_relay: bool
    platforms: list[PlatformState]
    notes: list[str]


class Meeting(BaseModel):
    id: str
    title: str
    status: str
    start: datetime | None
    duration_minutes: int
    timezone: str
    primary: str
    platforms: list[PlatformState]
    notes: list[str]


class LivestreamList(BaseModel):
    items: list[Livestream]


class MeetingList(BaseModel):
    items: list[Meeting]


class Connection(BaseModel):
    platform: str
    display_name: str
    kind: Literal["livestream", "meeting"]
    status: str
    account: str | None = None
    expires_at: datetime | None = None
    last_error: str | None = None


class ConnectionList(BaseModel):
    items: list[Connection]


class PlatformReport(BaseModel):
    platform: str
    state: str
    attempts: int
    quota_used: int
    error: str | None


class Report(BaseModel):
    id: str
    title: str
    status: str
    platforms: list[PlatformReport]


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[dict[str, str]] | None = None
