"""The composition root of one golive process: settings, database, vault, HTTP, services.

Adapters get a :class:`Services` and call its services; nothing else builds providers.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bot.settings import Settings
from providers import provider_class
from providers.base import Endpoints, PlatformConfig
from providers.http import Pacers, make_client
from storage.db import Database, default_url
from storage.vault import KeySource, Vault, load_or_create_key, parse_keys

log = logging.getLogger(__name__)


@dataclass(repr=False)
class Services:
    settings: Settings
    db: Database
    vault: Vault
    http: httpx.AsyncClient
    sandbox: object | None = None  # providers.sandbox.Sandbox when running against emulators
    pacers: Pacers = field(default_factory=Pacers)
    notices: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        from bot.metrics import Metrics
        from bot.relay.service import RelayService
        from bot.services.analytics import AnalyticsService
        from bot.services.announcements import AnnouncementService
        from bot.services.chat import ChatService
        from bot.services.connections import ConnectionService
        from bot.services.events import EventService
        from bot.services.health import HealthService
        from bot.services.links import LinkService
        from bot.services.livestreams import LivestreamService
        from bot.services.meetings import MeetingService
        from bot.services.notify import NotifyService
        from bot.services.optins import OptInService
        from bot.services.recordings import RecordingService
        from bot.services.scheduler import Scheduler
        from bot.services.tokens import TokenService

        self.connections = ConnectionService(self)
        self.announcements = AnnouncementService(self)
        self.chat = ChatService(self)
        self.livestreams = LivestreamService(self)
        self.meetings = MeetingService(self)
        self.optins = OptInService(self)
        self.events = EventService(self)
        self.tokens = TokenService(self)
        self.links = LinkService(self)
        self.scheduler = Scheduler(self)
        self.analytics = AnalyticsService(self)
        self.health = HealthService(self)
        self.recordings = RecordingService(self)
        self.notify = NotifyService(self)
        self.metrics = Metrics()
        self.relay = RelayService(self)
        self.metrics.samplers.append(self.relay.sample_metrics)
        self._api_bases: list[tuple[str, str]] | None = None
        self.http.event_hooks.setdefault("response", []).append(self.metrics.hook(self.platform_of))

    def __repr__(self) -> str:
        return f"Services(db={self.db!r}, sandbox={self.sandbox is not None})"

    @classmethod
    async def start(cls, settings: Settings, *, sandbox: bool = False) -> Services:
        """Open the database (migrating it), the vault and, in sandbox mode, the emulators."""
        notices: list[str] = []
        vault = build_vault(settings, notices)
        url = settings.database_url
        tmpdir = None
        if url is None and sandbox:
            # Emulators keep no state between runs, so neither does a sandbox database
            # (docs/decisions/0002-sandbox-database.md).
            tmpdir = tempfile.mkdtemp(prefix="golive-sandbox-")
            url = default_url(Path(tmpdir))
        db = Database(url or default_url(settings.data_dir))
        await db.upgrade()
        emulators = None
        if sandbox:
            from providers.sandbox import start_sandbox

            emulators = await start_sandbox()
        services = cls(
            settings=settings,
            db=db,
            vault=vault,
            http=make_client(),
            sandbox=emulators,
            notices=notices,
        )
        return services

    async def close(self) -> None:
        await self.relay.close()
        await self.scheduler.stop()
        await self.chat.close()
        await self.http.aclose()
        if self.sandbox is not None:
            await self.sandbox.close()  # type: ignore[attr-defined]
        await self.db.dispose()

    def platform_of(self, url: httpx.URL) -> str | None:
        """The platform whose API base ``url`` is under (for metrics), else None."""
        if self._api_bases is None:
            from providers import platforms

            bases = []
            for name in platforms():
                try:
                    bases.append((self.platform_config(name).endpoints.api_url, name))
                except Exception:  # a platform that cannot be configured is never called
                    log.debug("no API base for %s", name)
            # longest first: emulators on one host differ only by path
            self._api_bases = sorted(bases, key=lambda b: -len(b[0]))
        text = str(url)
        for base, name in self._api_bases:
            if base and text.startswith(base):
                return name
        return None

    def platform_config(self, platform: str) -> PlatformConfig:
        """Endpoints and app credentials; an explicit GOLIVE_<PLATFORM>_* override always wins."""
        cls = provider_class(platform)
        settings = self.settings
        defaults = cls.default_endpoints
        client_id = settings.platform_setting(platform, "CLIENT_ID")
        client_secret = settings.platform_setting(platform, "CLIENT_SECRET")
        sandbox_endpoints = getattr(self.sandbox, "endpoints", {}) if self.sandbox else {}
        if platform in sandbox_endpoints:
            defaults = sandbox_endpoints[platform]
            sandbox_id, sandbox_secret = self.sandbox.clients[platform]  # type: ignore[attr-defined]
            client_id = client_id or sandbox_id
            client_secret = client_secret or sandbox_secret
        options: dict[str, str] = {}
        if platform in sandbox_endpoints:
            options.update(self.sandbox.options.get(platform, {}))  # type: ignore[attr-defined]
        for name in cls.option_names:
            value = settings.platform_setting(platform, name.upper())
            if value is not None:
                options[name] = value
        if platform == "jitsi":
            defaults = Endpoints(api_url=settings.jitsi_url)
            client_id = settings.jitsi_app_id
            secret = settings.jitsi_app_secret
            client_secret = secret.get_secret_value() if secret else None
            if settings.jitsi_jaas_key_id and settings.jitsi_jaas_private_key:
                options["jaas_key_id"] = settings.jitsi_jaas_key_id
                options["jaas_private_key"] = settings.jitsi_jaas_private_key.get_secret_value()
        endpoints = Endpoints.from_env(platform, defaults, settings.environment)
        from pydantic import SecretStr

        return PlatformConfig(
            endpoints=endpoints,
            client_id=client_id,
            client_secret=SecretStr(client_secret) if client_secret else None,
            options=options,
        )


def build_vault(settings: Settings, notices: list[str]) -> Vault:
    if settings.secret_keys is not None:
        keys = parse_keys(settings.secret_keys.get_secret_value())
        return Vault(keys, KeySource(f"GOLIVE_SECRET_KEYS ({len(keys)} keys)"))
    key, source = load_or_create_key(settings.data_dir)
    if source.generated:
        notices.append(
            f"No GOLIVE_SECRET_KEYS set: generated an encryption key in {source.description} "
            "(mode 0600). Back it up, or set GOLIVE_SECRET_KEYS in production."
        )
    return Vault([key], source)
