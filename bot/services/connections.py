"""Platform connections: OAuth with single-use state, stored credentials, ready-made providers.

The state of an authorization is stored server-side as a hash, with the PKCE verifier
encrypted; it is single use, expires after ten minutes, is bound to the chat user who asked
and, once the browser opened ``/connect/{platform}``, to that browser by an HttpOnly cookie.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import display
from bot.services.errors import ServiceError
from providers import provider_class
from providers.base import AuthStyle, Credentials, Provider
from providers.errors import NotConnected, PlatformError
from providers.http import PlatformHttp, RetryPolicy, StoredToken
from providers.oauth import OAuthFlow, new_code_verifier, new_state
from storage.models import AuditEntry, Connection, OAuthState

if TYPE_CHECKING:
    from bot.services.context import Services

log = logging.getLogger(__name__)

STATE_TTL = timedelta(minutes=10)
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")
STATUS_TTL = 30.0  # seconds a connection listing is served from memory


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class OAuthStateError(ServiceError):
    """The callback's state is unknown, used, expired or from another browser."""


@dataclass(frozen=True)
class ConnectionView:
    platform: str
    account_label: str
    status: str
    expires_at: datetime | None
    last_error: str | None


class ConnectionService:
    def __init__(self, services: Services) -> None:
        self.services = services
        self._status_cache: dict[str, tuple[float, list[ConnectionView]]] = {}
        self._connecting: dict[tuple[str, str], asyncio.Lock] = {}
        #: app tokens (client-credentials grant) per platform, reused until they expire
        self._app_tokens: dict[str, StoredToken] = {}

    def style(self, platform: str) -> AuthStyle:
        """How this deployment connects the platform (it may depend on configuration)."""
        return provider_class(platform).auth_style_for(self.services.platform_config(platform))

    def app_configured(self, platform: str) -> bool:
        config = self.services.platform_config(platform)
        return bool(config.client_id and config.client_secret)

    # -- OAuth -----------------------------------------------------------------------------

    def redirect_uri(self, platform: str) -> str:
        return f"{self.services.settings.public_url}/oauth/{platform}/callback"

    def _flow(self, platform: str) -> OAuthFlow:
        cls = provider_class(platform)
        if self.style(platform) is not AuthStyle.OAUTH_PKCE:
            raise ServiceError(f"{cls.display_name} is not connected through a sign-in page.")
        config = self.services.platform_config(platform)
        if not config.client_id:
            raise ServiceError(
                f"{cls.display_name} needs an app registration: set "
                f"GOLIVE_{platform.upper()}_CLIENT_ID and GOLIVE_{platform.upper()}_CLIENT_SECRET."
            )
        return OAuthFlow(cls, config)

    async def begin(self, workspace: str, user_id: str, platform: str) -> str:
        """Store a fresh state for ``user_id`` and return the link to send them (``/connect``)."""
        self._flow(platform)  # fail now, in chat, if the platform cannot be connected
        state = new_state()
        verifier = new_code_verifier()
        async with self.services.db.transaction() as session:
            session.add(
                OAuthState(
                    state_hash=_hash(state),
                    platform=platform,
                    workspace=workspace,
                    user_id=user_id,
                    code_verifier_enc=self.services.vault.encrypt(verifier),
                    redirect_uri=self.redirect_uri(platform),
                    expires_at=datetime.now(UTC) + STATE_TTL,
                )
            )
        return f"{self.services.settings.public_url}/connect/{platform}?state={state}"

    async def authorize_url(self, platform: str, state: str, browser: str) -> str:
        """For ``GET /connect``: bind the state to this browser and point it at the platform."""
        async with self.services.db.transaction() as session:
            row = await self._pending(session, platform, state)
            if row.browser_hash is not None and row.browser_hash != _hash(browser):
                raise OAuthStateError("This sign-in link was already opened in another browser.")
            row.browser_hash = _hash(browser)
            verifier = self.services.vault.decrypt(
                session,
                row.code_verifier_enc,
                what=f"oauth_state:{platform}",
                operation="connect",
                actor=row.user_id,
            )
        return self._flow(platform).authorize_url(
            state=state, code_verifier=verifier, redirect_uri=row.redirect_uri
        )

    async def _pending(self, session: AsyncSession, platform: str, state: str) -> OAuthState:
        row = await session.get(OAuthState, _hash(state))
        if row is None or row.platform != platform:
            raise OAuthStateError("This sign-in link is not valid: start again from chat.")
        if row.used_at is not None:
            raise OAuthStateError("This sign-in link was already used: start again from chat.")
        if row.expires_at <= datetime.now(UTC):
            raise OAuthStateError(
                "This sign-in link expired (links last 10 minutes): start again from chat."
            )
        return row

    async def complete(
        self, platform: str, state: str, code: str, browser: str | None
    ) -> Connection:
        """For the OAuth callback: consume the state once, exchange the code, store tokens."""
        async with self.services.db.transaction() as session:
            row = await self._pending(session, platform, state)
            if row.browser_hash is None or browser is None or row.browser_hash != _hash(browser):
                raise OAuthStateError(
                    "This sign-in finished in a different browser than it started: start again "
                    "from chat."
                )
            claimed = await session.execute(
                update(OAuthState)
                .where(OAuthState.state_hash == row.state_hash, OAuthState.used_at.is_(None))
                .values(used_at=datetime.now(UTC))
            )
            if claimed.rowcount != 1:
                raise OAuthStateError("This sign-in link was already used: start again from chat.")
            verifier = self.services.vault.decrypt(
                session,
                row.code_verifier_enc,
                what=f"oauth_state:{platform}",
                operation="oauth callback",
                actor=row.user_id,
            )
            workspace, user_id, redirect_uri = row.workspace, row.user_id, row.redirect_uri
        try:
            credentials = await self._flow(platform).exchange(
                code=code, code_verifier=verifier, redirect_uri=redirect_uri
            )
        except PlatformError as exc:
            raise ServiceError(
                f"{display(platform)} refused the sign-in ({exc.message}): start again from chat."
            ) from exc
        return await self.save(workspace, platform, credentials, user_id=user_id)

    async def connect_in_sandbox(self, workspace: str, user_id: str, platform: str) -> Connection:
        """Run the real OAuth path against the emulator, which approves automatically."""
        link = await self.begin(workspace, user_id, platform)
        state = parse_qs(urlsplit(link).query)["state"][0]
        browser = secrets.token_urlsafe(16)
        url = await self.authorize_url(platform, state, browser)
        response = await self.services.http.get(url)
        location = response.headers.get("location", "")
        query = parse_qs(urlsplit(location).query)
        if response.status_code != 302 or "code" not in query:
            error = query.get("error", [f"HTTP {response.status_code}"])[0]
            raise ServiceError(f"The {display(platform)} emulator refused the sign-in: {error}.")
        if query.get("state", [""])[0] != state:
            raise ServiceError(f"The {display(platform)} emulator returned a different state.")
        return await self.complete(platform, state, query["code"][0], browser)

    # -- stored connections ----------------------------------------------------------------

    async def save(
        self,
        workspace: str,
        platform: str,
        credentials: Credentials,
        *,
        user_id: str,
        label: str = "",
    ) -> Connection:
        payload = self.services.vault.encrypt(json.dumps(credentials.to_json()))
        async with self.services.db.transaction() as session:
            row = await self._row(session, workspace, platform)
            if row is None:
                row = Connection(platform=platform, workspace=workspace)
                session.add(row)
            row.credentials_enc = payload
            # RFC 6749 3.3 scope tokens only; the exact list stays in the encrypted payload.
            row.scopes = " ".join(s for s in credentials.scopes if _SCOPE_TOKEN.fullmatch(s))
            row.status = "connected"
            row.expires_at = credentials.expires_at
            row.last_error = None
            row.last_checked_at = datetime.now(UTC)
            row.connected_by = user_id
            row.account_label = label or row.account_label or display(platform)
            session.add(
                AuditEntry(actor=user_id, action="connect", target=platform, operation=workspace)
            )
        self._status_cache.pop(workspace, None)
        return row

    async def _row(self, session: AsyncSession, workspace: str, platform: str) -> Connection | None:
        result = await session.execute(
            select(Connection).where(
                Connection.workspace == workspace, Connection.platform == platform
            )
        )
        return result.scalar_one_or_none()

    async def connect_with_args(
        self, workspace: str, user_id: str, platform: str, args: tuple[str, ...] | list[str]
    ) -> Connection:
        """Stream-key platforms: store what the admin pasted (ingest URL, key, expiry)."""
        cls = provider_class(platform)
        if self.style(platform) is not AuthStyle.STREAM_KEY:
            raise ServiceError(f"{cls.display_name} is not connected with a stream key.")
        credentials, label = cls.credentials_from_args(tuple(args))  # InvalidRequest if bad
        return await self.save(workspace, platform, credentials, user_id=user_id, label=label)

    async def is_connected(self, workspace: str, platform: str) -> bool:
        style = self.style(platform)
        if style is AuthStyle.NONE:
            return True
        if style is AuthStyle.CLIENT_CREDENTIALS:
            return self.app_configured(platform)
        async with self.services.db.sessions() as session:
            row = await self._row(session, workspace, platform)
        return row is not None and row.status == "connected"

    async def ensure(self, workspace: str, user_id: str, platform: str) -> None:
        """Raise NotConnected unless usable; in sandbox mode connect on first use instead."""
        if await self.is_connected(workspace, platform):
            return
        # Two first uses at once must not both connect (the second would collide).
        lock = self._connecting.setdefault((workspace, platform), asyncio.Lock())
        async with lock:
            if await self.is_connected(workspace, platform):
                return
            await self._connect_or_refuse(workspace, user_id, platform)

    async def _connect_or_refuse(self, workspace: str, user_id: str, platform: str) -> None:
        if self.services.sandbox is not None:
            style = self.style(platform)
            cls = provider_class(platform)
            if style is AuthStyle.STREAM_KEY and cls.example_args:
                await self.connect_with_args(workspace, user_id, platform, cls.example_args)
                return
            if style is AuthStyle.OAUTH_PKCE and platform in self.services.sandbox.endpoints:  # type: ignore[attr-defined]
                await self.connect_in_sandbox(workspace, user_id, platform)
                return
        if self.style(platform) is AuthStyle.CLIENT_CREDENTIALS:
            raise NotConnected(
                platform,
                f"set GOLIVE_{platform.upper()}_CLIENT_ID and GOLIVE_{platform.upper()}"
                "_CLIENT_SECRET for its app credentials",
            )
        raise NotConnected(platform, "no connection is stored")

    async def mark(self, workspace: str, platform: str, status: str, error: str | None) -> None:
        async with self.services.db.transaction() as session:
            row = await self._row(session, workspace, platform)
            if row is not None:
                row.status = status
                row.last_error = error
                row.last_checked_at = datetime.now(UTC)
        self._status_cache.pop(workspace, None)

    async def disconnect(self, workspace: str, platform: str, *, user_id: str) -> bool:
        async with self.services.db.transaction() as session:
            row = await self._row(session, workspace, platform)
            if row is None:
                return False
            await session.delete(row)
            session.add(
                AuditEntry(actor=user_id, action="disconnect", target=platform, operation=workspace)
            )
        self._status_cache.pop(workspace, None)
        return True

    async def list(self, workspace: str) -> list[ConnectionView]:
        cached = self._status_cache.get(workspace)
        if cached and time.monotonic() - cached[0] < STATUS_TTL:
            return cached[1]
        async with self.services.db.sessions() as session:
            rows = (
                await session.execute(select(Connection).where(Connection.workspace == workspace))
            ).scalars()
            views = [
                ConnectionView(r.platform, r.account_label, r.status, r.expires_at, r.last_error)
                for r in rows
            ]
        self._status_cache[workspace] = (time.monotonic(), views)
        return views

    async def provider(self, workspace: str, platform: str, *, actor: str, operation: str) -> Any:
        """A ready provider acting as this workspace's connection (tokens refreshed and saved)."""
        cls: type[Provider] = provider_class(platform)
        config = self.services.platform_config(platform)
        style = cls.auth_style_for(config)
        if style is AuthStyle.NONE:
            return cls(config, None)  # type: ignore[call-arg]
        if style is AuthStyle.CLIENT_CREDENTIALS:
            if not self.app_configured(platform):
                raise NotConnected(platform, "its app credentials are not configured")
            return cls(config, self._http(cls, platform, workspace, self._app_token(cls, config)))  # type: ignore[call-arg]
        async with self.services.db.transaction() as session:
            row = await self._row(session, workspace, platform)
            if row is None or row.status == "disconnected":
                raise NotConnected(platform, "no connection is stored")
            raw = self.services.vault.decrypt(
                session,
                row.credentials_enc,
                what=f"connection:{platform}",
                operation=operation,
                actor=actor,
            )
        credentials = Credentials.from_json(json.loads(raw))
        if style is AuthStyle.STREAM_KEY:
            return cls(config, credentials)  # type: ignore[call-arg]
        refresher = None
        if config.endpoints.token_url:
            refresher = OAuthFlow(cls, config).refresh

        async def persist(fresh: Credentials) -> None:
            await self.save(workspace, platform, fresh, user_id=actor)

        token = StoredToken(platform, credentials, refresher, persist)
        return cls(config, self._http(cls, platform, workspace, token))  # type: ignore[call-arg]

    def _app_token(self, cls: type[Provider], config) -> StoredToken:
        """One cached app token per platform, fetched on first use and again when it expires."""
        platform = cls.name
        token = self._app_tokens.get(platform)
        if token is None:
            client = self.services.http

            async def fetch(_: Credentials) -> Credentials:
                return await cls.app_token(config, client)

            token = StoredToken(platform, Credentials(), fetch, renewable=True)
            self._app_tokens[platform] = token
        return token

    def _http(self, cls: type[Provider], platform: str, workspace: str, token) -> PlatformHttp:
        return PlatformHttp(
            platform,
            self.services.platform_config(platform).endpoints.api_url,
            client=self.services.http,
            token=token,
            parse_error=getattr(cls, "parse_error", None) or _generic(),
            pacer=self.services.pacers.get(platform, workspace, cls.rate_limit),
            retry=self.retry_policy,
        )

    retry_policy = RetryPolicy()


def _generic():
    from providers.http import generic_error

    return generic_error
