"""golive's configuration: environment variables or a ``.env`` file (pydantic-settings).

Names follow the external contract in the architecture page. Secrets are ``SecretStr`` so they
never print; a missing or malformed setting becomes one sentence naming the variable
(:func:`load_settings`).
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from platformdirs import user_data_dir
from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the variable."""


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    database_url: str | None = Field(None, validation_alias=_env("GOLIVE_DATABASE_URL"))
    secret_keys: SecretStr | None = Field(None, validation_alias=_env("GOLIVE_SECRET_KEYS"))
    public_url: str = Field("http://localhost:3000", validation_alias=_env("GOLIVE_PUBLIC_URL"))
    port: int = Field(3000, ge=1, le=65535, validation_alias=_env("GOLIVE_PORT"))
    data_dir: Path = Field(
        default_factory=lambda: Path(user_data_dir("golive", appauthor=False)),
        validation_alias=_env("GOLIVE_DATA_DIR"),
    )
    timezone: str = Field("UTC", validation_alias=_env("GOLIVE_TIMEZONE"))
    workspace: str = Field("local", validation_alias=_env("GOLIVE_WORKSPACE"))
    log_level: str = Field("INFO", validation_alias=_env("GOLIVE_LOG_LEVEL"))
    #: how long before a scheduled broadcast reminders go out, e.g. "24h,1h,10m" ("" for none)
    reminders: str = Field("24h,1h,10m", validation_alias=_env("GOLIVE_REMINDERS"))
    #: how late a job due while golive was down may still run, e.g. "1h"
    schedule_grace: str = Field("1h", validation_alias=_env("GOLIVE_SCHEDULE_GRACE"))
    #: at a scheduled start, how long golive waits for the encoder's stream, and how often it looks
    encoder_wait: str = Field("10m", validation_alias=_env("GOLIVE_ENCODER_WAIT"))
    encoder_poll: str = Field("15s", validation_alias=_env("GOLIVE_ENCODER_POLL"))

    #: the built-in multistream relay (docs/relay.md): off unless a port is set
    relay_port: int | None = Field(None, ge=1, le=65535, validation_alias=_env("GOLIVE_RELAY_PORT"))
    relay_host: str = Field("0.0.0.0", validation_alias=_env("GOLIVE_RELAY_HOST"))  # noqa: S104
    #: how long an encoder may be away and still continue into the same outputs: 10, 10s, 1m
    relay_grace: str = Field("10s", validation_alias=_env("GOLIVE_RELAY_GRACE"))
    #: the address encoders are given; default rtmp://<GOLIVE_PUBLIC_URL's host>:<port>/live
    relay_public_url: str | None = Field(None, validation_alias=_env("GOLIVE_RELAY_PUBLIC_URL"))
    #: certificates (PEM) RTMPS destinations are checked against; default: certifi's bundle
    relay_ca_file: str | None = Field(None, validation_alias=_env("GOLIVE_RELAY_CA_FILE"))
    #: a system ffmpeg to run instead of the one imageio-ffmpeg ships
    ffmpeg: str | None = Field(None, validation_alias=_env("GOLIVE_FFMPEG"))

    slack_bot_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_BOT_TOKEN"))
    slack_signing_secret: SecretStr | None = Field(
        None, validation_alias=_env("SLACK_SIGNING_SECRET")
    )
    slack_app_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_APP_TOKEN"))
    slack_client_id: str | None = Field(None, validation_alias=_env("SLACK_CLIENT_ID"))
    slack_client_secret: SecretStr | None = Field(
        None, validation_alias=_env("SLACK_CLIENT_SECRET")
    )
    slack_api_url: str = Field("https://slack.com/api", validation_alias=_env("SLACK_API_URL"))
    #: comma-separated Slack user ids who administer golive (else SLACK_ADMIN_GROUP, else the
    #: workspace's own admins and owners)
    slack_admin_users: str = Field("", validation_alias=_env("SLACK_ADMIN_USERS"))
    slack_admin_group: str | None = Field(None, validation_alias=_env("SLACK_ADMIN_GROUP"))
    slack_moderator_group: str | None = Field(None, validation_alias=_env("SLACK_MODERATOR_GROUP"))
    discord_bot_token: SecretStr | None = Field(None, validation_alias=_env("DISCORD_BOT_TOKEN"))
    discord_api_url: str = Field(
        "https://discord.com/api/v10", validation_alias=_env("DISCORD_API_URL")
    )
    #: comma-separated guild (server) ids to sync commands into; empty: every guild joined
    discord_guild_ids: str = Field("", validation_alias=_env("DISCORD_GUILD_IDS"))
    #: comma-separated role ids or names; members with Manage Server are admins regardless
    discord_admin_role: str = Field("", validation_alias=_env("DISCORD_ADMIN_ROLE"))
    discord_moderator_role: str = Field("", validation_alias=_env("DISCORD_MODERATOR_ROLE"))
    #: ``guild_id=workspace,...``; unlisted guilds belong to GOLIVE_WORKSPACE
    discord_workspaces: str = Field("", validation_alias=_env("DISCORD_WORKSPACES"))
    #: off in all but one of several processes: those post over REST, one holds the gateway
    discord_gateway: bool = Field(True, validation_alias=_env("GOLIVE_DISCORD_GATEWAY"))

    jitsi_url: str = Field("https://meet.jit.si", validation_alias=_env("GOLIVE_JITSI_URL"))
    jitsi_app_id: str | None = Field(None, validation_alias=_env("GOLIVE_JITSI_APP_ID"))
    jitsi_app_secret: SecretStr | None = Field(
        None, validation_alias=_env("GOLIVE_JITSI_APP_SECRET")
    )
    jitsi_jaas_key_id: str | None = Field(None, validation_alias=_env("GOLIVE_JITSI_JAAS_KEY_ID"))
    jitsi_jaas_private_key: SecretStr | None = Field(
        None, validation_alias=_env("GOLIVE_JITSI_JAAS_PRIVATE_KEY")
    )

    @field_validator("public_url", "jitsi_url", "slack_api_url", "discord_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("is not an IANA time zone such as Europe/Berlin or UTC") from None
        return value

    @field_validator("reminders")
    @classmethod
    def _offsets(cls, value: str) -> str:
        parse_offsets(value)
        return value

    @field_validator("schedule_grace", "encoder_wait", "encoder_poll")
    @classmethod
    def _grace(cls, value: str) -> str:
        parse_duration(value)
        return value

    @field_validator("relay_grace")
    @classmethod
    def _relay_grace(cls, value: str) -> str:
        parse_duration(value + "s" if value.strip().isdigit() else value)
        return value

    @field_validator("relay_public_url")
    @classmethod
    def _relay_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("rtmp://", "rtmps://")):
            raise ValueError("must start with rtmp:// or rtmps://")
        return value.rstrip("/") if value else None

    @property
    def relay_grace_seconds(self) -> float:
        value = self.relay_grace.strip()
        return float(parse_duration(value + "s" if value.isdigit() else value).total_seconds())

    @property
    def relay_url(self) -> str:
        """Where encoders send to: GOLIVE_RELAY_PUBLIC_URL, else derived from the public URL."""
        if self.relay_public_url:
            return self.relay_public_url
        from urllib.parse import urlsplit

        host = urlsplit(self.public_url).hostname or "localhost"
        return f"rtmp://{host}:{self.relay_port or 1935}/live"

    @property
    def reminder_offsets(self) -> tuple[timedelta, ...]:
        return parse_offsets(self.reminders)

    @property
    def schedule_grace_seconds(self) -> int:
        return max(1, int(parse_duration(self.schedule_grace).total_seconds()))

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str | None) -> str | None:
        if value and not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value or None

    @field_validator("discord_guild_ids")
    @classmethod
    def _guild_ids(cls, value: str) -> str:
        if any(not part.isdigit() for part in _items(value)):
            raise ValueError("must be comma-separated Discord server ids (digits only)")
        return value

    @field_validator("discord_workspaces")
    @classmethod
    def _workspaces(cls, value: str) -> str:
        for part in _items(value):
            guild, _, workspace = part.partition("=")
            if not guild.strip().isdigit() or not workspace.strip():
                raise ValueError("must look like 123456789012345678=workspace,…")
        return value

    @property
    def discord_guilds(self) -> tuple[int, ...]:
        return tuple(int(part) for part in _items(self.discord_guild_ids))

    @property
    def discord_admin_roles(self) -> tuple[str, ...]:
        return _items(self.discord_admin_role)

    @property
    def discord_moderator_roles(self) -> tuple[str, ...]:
        return _items(self.discord_moderator_role)

    def discord_workspace(self, guild_id: int | None) -> str:
        """The golive workspace of a Discord server (docs/decisions/0003-discord-workspaces.md)."""
        for part in _items(self.discord_workspaces):
            guild, _, workspace = part.partition("=")
            if guild_id is not None and int(guild.strip()) == guild_id:
                return workspace.strip()
        return self.workspace

    def __repr__(self) -> str:  # pydantic's repr already masks SecretStr; keep it short too
        return f"Settings(public_url={self.public_url!r}, port={self.port!r})"

    @property
    def chat_configured(self) -> bool:
        return bool(
            (self.slack_bot_token and self.slack_signing_secret)
            or self.slack_app_token
            or (self.slack_client_id and self.slack_client_secret)
            or self.discord_bot_token
        )

    @cached_property
    def environment(self) -> dict[str, str]:
        """``.env`` values under the real environment, for per-platform settings."""
        values = {k: v for k, v in dotenv_values(".env").items() if v is not None}
        values.update(os.environ)
        return values

    def platform_setting(self, platform: str, suffix: str) -> str | None:
        """``GOLIVE_<PLATFORM>_<SUFFIX>`` (CLIENT_ID, CLIENT_SECRET, API_URL, ...)."""
        return self.environment.get(f"GOLIVE_{platform.upper()}_{suffix}") or None


def _items(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """``90s``, ``10m``, ``1h30m``, ``2d``: a positive span of time."""
    word = text.strip().lower()
    parts = re.findall(r"(\d+)([smhd])", word)
    if not parts or "".join(n + u for n, u in parts) != word:
        raise ValueError("must be durations such as 24h, 1h, 10m or 30s")
    seconds = sum(int(n) * _UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise ValueError("must be durations longer than zero, such as 10m")
    return timedelta(seconds=seconds)


def parse_offsets(text: str) -> tuple[timedelta, ...]:
    """Comma-separated durations, longest first and without repeats."""
    offsets = {parse_duration(word) for word in text.split(",") if word.strip()}
    return tuple(sorted(offsets, reverse=True))


_NAMES = {
    name: (
        field.validation_alias.choices[0]
        if isinstance(field.validation_alias, AliasChoices)
        else name
    )
    for name, field in Settings.model_fields.items()
}


def load_settings(**overrides: object) -> Settings:
    """Build settings or raise SettingsError with one sentence per problem, naming variables."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "?"
            variable = _NAMES.get(field, field)
            message = error["msg"].removeprefix("Value error, ")
            problems.append(
                f"{variable} {message}"
                if message.startswith(("must", "is"))
                else f"{variable}: {message}"
            )
        raise SettingsError("; ".join(problems) + ".") from None
