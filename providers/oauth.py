"""OAuth 2.0 authorization code with PKCE (S256) through authlib's httpx client.

Only the protocol lives here: building the authorize URL, exchanging the code and refreshing.
Where state is stored, how it is bound to a chat user and how tokens are persisted is the
connections service's business (``bot/services/connections.py``).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from pydantic import SecretStr

from providers.base import Credentials, PlatformConfig, Provider
from providers.errors import AuthExpired, InvalidRequest, Unavailable
from providers.http import USER_AGENT


def new_state() -> str:
    """A state value: 256 bits, URL-safe."""
    return secrets.token_urlsafe(32)


def new_code_verifier() -> str:
    """RFC 7636 verifier: 43-128 characters from the unreserved set."""
    return generate_token(64)


class OAuthFlow:
    """One platform's OAuth endpoints and the app's client credentials."""

    def __init__(
        self,
        provider: type[Provider],
        config: PlatformConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not config.endpoints.auth_url or not config.endpoints.token_url:
            raise InvalidRequest(provider.name, "this platform has no OAuth endpoints configured")
        self.provider = provider
        self.config = config
        self._transport = transport

    def __repr__(self) -> str:
        return f"OAuthFlow(platform={self.provider.name!r})"

    def _client(self, redirect_uri: str | None = None, *, scoped: bool = True) -> AsyncOAuth2Client:
        secret = self.config.client_secret.get_secret_value() if self.config.client_secret else None
        client = AsyncOAuth2Client(
            client_id=self.config.client_id,
            client_secret=secret,
            scope=(" ".join(self.provider.scopes_for(self.config)) or None) if scoped else None,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_post" if secret else "none",
            headers={"User-Agent": USER_AGENT},
            transport=self._transport,
            timeout=15.0,
        )
        for hook in ("access_token_response", "refresh_token_response"):
            client.register_compliance_hook(hook, _describe_error)
        return client

    def authorize_url(self, *, state: str, code_verifier: str, redirect_uri: str) -> str:
        client = self._client(redirect_uri)
        url, _ = client.create_authorization_url(
            self.config.endpoints.auth_url,
            state=state,
            code_verifier=code_verifier,
            **self.provider.authorize_params,
        )
        return url

    async def exchange(self, *, code: str, code_verifier: str, redirect_uri: str) -> Credentials:
        async with self._client(redirect_uri) as client:
            try:
                token = await client.fetch_token(
                    self.config.endpoints.token_url,
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=code_verifier,
                )
            except OAuthError as exc:
                raise InvalidRequest(
                    self.provider.name, _oauth_message(exc), code=exc.error
                ) from exc
            except httpx.TransportError as exc:
                raise Unavailable(self.provider.name, "the token endpoint did not answer") from exc
        return credentials_from_token(token)

    async def refresh(self, credentials: Credentials) -> Credentials:
        if credentials.refresh_token is None:
            raise AuthExpired(self.provider.name, "no refresh token is stored; reconnect")
        # The refresh asks for what was granted, never for what this golive would ask today
        # (RFC 6749 §6: no more than the original grant): a connection made before golive
        # needed another scope must keep working, lacking only that feature until the admin
        # reconnects. Microsoft's identity platform wants a scope on refresh, so the granted
        # ones are sent; with none stored, none is asked for (the grant's own stay).
        granted = {"scope": " ".join(credentials.scopes)} if credentials.scopes else {}
        async with self._client(scoped=False) as client:
            try:
                token = await client.refresh_token(
                    self.config.endpoints.token_url,
                    refresh_token=credentials.refresh_token.get_secret_value(),
                    **granted,
                )
            except OAuthError as exc:
                raise AuthExpired(self.provider.name, _oauth_message(exc), code=exc.error) from exc
            except httpx.TransportError as exc:
                raise Unavailable(self.provider.name, "the token endpoint did not answer") from exc
        fresh = credentials_from_token(token)
        if fresh.refresh_token is None:  # platforms that do not rotate keep the old one
            fresh.refresh_token = credentials.refresh_token
        fresh.extra = {**credentials.extra, **fresh.extra}
        if not fresh.scopes:
            fresh.scopes = credentials.scopes
        return fresh


def _describe_error(response: httpx.Response) -> httpx.Response:
    """Twitch answers token errors as ``{"error": "Bad Request", "message": "Invalid refresh
    token"}``: the ``message`` is what says why, so it becomes the OAuth error description."""
    try:
        body = response.json()
    except ValueError:
        return response
    if (
        not isinstance(body, dict)
        or "error" not in body
        or body.get("error_description")
        or not isinstance(body.get("message"), str)
    ):
        return response
    described = {**body, "error_description": body["message"]}
    return httpx.Response(response.status_code, json=described, request=response.request)


def _oauth_message(exc: OAuthError) -> str:
    return exc.description or exc.error or "the platform refused the authorization"


def credentials_from_token(token: dict[str, Any]) -> Credentials:
    expires_at = None
    if token.get("expires_at"):
        expires_at = datetime.fromtimestamp(float(token["expires_at"]), UTC)
    elif token.get("expires_in"):
        expires_at = datetime.now(UTC) + timedelta(seconds=float(token["expires_in"]))
    scope = token.get("scope") or ""
    scopes = tuple(scope.split()) if isinstance(scope, str) else tuple(scope)
    return Credentials(
        access_token=SecretStr(token["access_token"]) if token.get("access_token") else None,
        refresh_token=SecretStr(token["refresh_token"]) if token.get("refresh_token") else None,
        expires_at=expires_at,
        scopes=scopes,
    )
