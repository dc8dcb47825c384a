"""A strict, in-memory OAuth 2.0 authorization server that platform emulators mount.

Modelled on the specifications rather than on any one vendor, because every platform golive
talks to implements the same core and the sandbox must catch client bugs the real servers
would catch:

- RFC 6749 (https://www.rfc-editor.org/rfc/rfc6749): authorization code grant (4.1), the
  redirect-or-not error rule of 4.1.2.1, client authentication by HTTP Basic or
  ``client_secret_post`` but never both (2.3.1), single-use codes (4.1.2, 10.5), refresh
  tokens (6), token error JSON and status codes (5.2), no caching of token responses (5.1),
  parameters sent at most once (3.1, 3.2) and unknown parameters ignored;
- RFC 7636 (https://www.rfc-editor.org/rfc/rfc7636): PKCE is required and only ``S256`` is
  accepted (4.2, 4.3, 4.4.1), the verifier checked at the token endpoint (4.6);
- RFC 6750 (https://www.rfc-editor.org/rfc/rfc6750): bearer tokens in the ``Authorization``
  header or the ``access_token`` query parameter (2.1, 2.3);
- Google's variant (https://developers.google.com/identity/protocols/oauth2/web-server):
  refresh tokens are only issued for ``access_type=offline`` when the emulator asks for that.

The sandbox auto-approves every authorization request as one fixed user, so tests and
``golive console --sandbox`` can run the whole flow without a browser.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

from aiohttp import web

from providers.sandbox.faults import Faults

_PKCE_VALUE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthProtocolError(Exception):
    """An RFC 6749 error response; ``status`` follows section 5.2."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


@dataclass
class OAuthClient:
    """A registered client. ``allow_loopback`` admits any http loopback redirect (RFC 8252 7.3)."""

    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    redirect_uris: frozenset[str] = frozenset()
    allow_loopback: bool = False

    def redirect_allowed(self, uri: str) -> bool:
        try:
            parts = urlsplit(uri)
        except ValueError:
            return False
        if not parts.scheme or not parts.netloc or parts.fragment:
            return False  # RFC 6749 3.1.2: absolute, no fragment
        if uri in self.redirect_uris:
            return True
        return self.allow_loopback and parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS


@dataclass
class AuthorizationCode:
    code: str = field(repr=False)
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    code_challenge: str = field(repr=False)
    subject: str
    offline: bool
    expires_at: float
    used: bool = False
    #: access and refresh tokens minted from this code, revoked if the code is replayed
    issued: list[str] = field(default_factory=list, repr=False)


@dataclass
class TokenRecord:
    """An access token as API routes see it after :meth:`OAuthServer.check_bearer`."""

    access_token: str = field(repr=False)
    client_id: str
    scopes: tuple[str, ...]
    subject: str
    expires_at: float
    revoked: bool = False

    def has_any_scope(self, accepted: Iterable[str]) -> bool:
        return any(scope in self.scopes for scope in accepted)


@dataclass
class RefreshRecord:
    refresh_token: str = field(repr=False)
    client_id: str
    scopes: tuple[str, ...]
    subject: str
    revoked: bool = False


class OAuthServer:
    """Authorize and token endpoints plus the token tables, all in memory."""

    def __init__(
        self,
        *,
        scopes: Iterable[str],
        authorize_path: str = "/authorize",
        token_path: str = "/token",  # noqa: S107 - a URL path, not a secret
        expires_in: int = 3600,
        code_lifetime: float = 600.0,
        rotate_refresh_tokens: bool = False,
        offline_access_param: bool = False,
        subject: str = "sandbox-user",
        access_prefix: str = "",
        refresh_prefix: str = "",
        faults: Faults | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.known_scopes = frozenset(scopes)
        self.authorize_path = authorize_path
        self.token_path = token_path
        self.expires_in = expires_in
        self.code_lifetime = code_lifetime
        self.rotate_refresh_tokens = rotate_refresh_tokens
        #: Google only issues refresh tokens when the authorize request says access_type=offline
        self.offline_access_param = offline_access_param
        self.subject = subject
        self.access_prefix = access_prefix
        self.refresh_prefix = refresh_prefix
        self.faults = faults or Faults()
        self.clock = clock
        self.clients: dict[str, OAuthClient] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        self.access_tokens: dict[str, TokenRecord] = {}
        self.refresh_tokens: dict[str, RefreshRecord] = {}
        #: successful grants, so tests can assert "exactly one refresh"
        self.grants: dict[str, int] = {"authorization_code": 0, "refresh_token": 0}

    def __repr__(self) -> str:
        return (
            f"OAuthServer(authorize_path={self.authorize_path!r}, token_path={self.token_path!r}, "
            f"clients={sorted(self.clients)!r}, access_tokens={len(self.access_tokens)})"
        )

    # -- setup and test hooks ---------------------------------------------------------------

    def register_client(
        self,
        client_id: str,
        client_secret: str | None = None,
        *,
        redirect_uris: Iterable[str] = (),
        allow_loopback: bool = False,
    ) -> OAuthClient:
        client = OAuthClient(client_id, client_secret, frozenset(redirect_uris), allow_loopback)
        self.clients[client_id] = client
        return client

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get(self.authorize_path, self.handle_authorize),
            web.route("*", self.token_path, self.handle_token),
        ]

    def mount(self, app: web.Application) -> None:
        app.add_routes(self.routes())

    def issue_tokens(
        self,
        client_id: str,
        scopes: Iterable[str] | None = None,
        *,
        subject: str | None = None,
        refresh: bool = True,
    ) -> dict[str, Any]:
        """Mint tokens without the browser step, for tests that are not about the flow."""
        if client_id not in self.clients:
            raise KeyError(f"unknown client {client_id!r}")
        granted = tuple(scopes) if scopes is not None else tuple(sorted(self.known_scopes))
        return self._token_response(client_id, granted, subject or self.subject, refresh)

    def expire_access_tokens(self) -> int:
        """Make every access token issued so far expired now; returns how many."""
        now = self.clock()
        for record in self.access_tokens.values():
            record.expires_at = min(record.expires_at, now - 1)
        return len(self.access_tokens)

    def revoke_refresh_tokens(self) -> None:
        for record in self.refresh_tokens.values():
            record.revoked = True

    # -- bearer check for API routes ----------------------------------------------------------

    @staticmethod
    def presented_token(request: web.Request) -> str | None:
        """The bearer token a request carries (header first, then ``access_token``)."""
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        return request.query.get("access_token") or None

    def check_bearer(self, request: web.Request) -> TokenRecord | None:
        """The live token record behind a request, or None when missing, unknown or expired."""
        token = self.presented_token(request)
        if token is None or self.faults.expire_tokens:
            return None
        record = self.access_tokens.get(token)
        if record is None or record.revoked or record.expires_at <= self.clock():
            return None
        return record

    # -- authorization endpoint ---------------------------------------------------------------

    async def handle_authorize(self, request: web.Request) -> web.StreamResponse:
        pairs = list(request.query.items())
        params: dict[str, str] = {}
        duplicated = set()
        for key, value in pairs:
            if key in params:
                duplicated.add(key)
            params[key] = value

        # Errors about the client or the redirect must not redirect (RFC 6749 4.1.2.1).
        client_id = params.get("client_id")
        if "client_id" in duplicated or "redirect_uri" in duplicated:
            return _error_page("invalid_request", "client_id and redirect_uri must appear once")
        if not client_id:
            return _error_page("invalid_request", "Missing required parameter: client_id")
        client = self.clients.get(client_id)
        if client is None:
            return _error_page("invalid_client", "The OAuth client was not found.", status=401)
        redirect_uri = params.get("redirect_uri")
        if not redirect_uri:
            return _error_page("invalid_request", "Missing required parameter: redirect_uri")
        if not client.redirect_allowed(redirect_uri):
            return _error_page(
                "redirect_uri_mismatch",
                "The redirect URI in the request does not match the ones registered for the "
                "OAuth client.",
            )

        state = params.get("state")
        try:
            if duplicated:
                raise OAuthProtocolError(
                    "invalid_request", f"Parameters sent more than once: {sorted(duplicated)}"
                )
            response_type = params.get("response_type")
            if not response_type:
                raise OAuthProtocolError(
                    "invalid_request", "Missing required parameter: response_type"
                )
            if response_type != "code":
                raise OAuthProtocolError(
                    "unsupported_response_type", "Only response_type=code is supported."
                )
            scopes = self._requested_scopes(params.get("scope"), required=True)
            challenge = params.get("code_challenge")
            method = params.get("code_challenge_method")
            if not challenge:
                raise OAuthProtocolError("invalid_request", "code_challenge is required (PKCE).")
            if method != "S256":
                raise OAuthProtocolError(
                    "invalid_request",
                    "transform algorithm not supported: code_challenge_method must be S256.",
                )
            if not _PKCE_VALUE.match(challenge):
                raise OAuthProtocolError("invalid_request", "code_challenge is malformed.")
        except OAuthProtocolError as exc:
            extra = {"error": exc.error, "error_description": exc.description}
            if state is not None:
                extra["state"] = state
            return _redirect(_with_query(redirect_uri, extra))

        code = secrets.token_urlsafe(32)
        self.codes[code] = AuthorizationCode(
            code=code,
            client_id=client.client_id,
            redirect_uri=redirect_uri,
            scopes=scopes,
            code_challenge=challenge,
            subject=self.subject,
            offline=not self.offline_access_param or params.get("access_type") == "offline",
            expires_at=self.clock() + self.code_lifetime,
        )
        result = {"code": code, "scope": " ".join(scopes)}
        if state is not None:
            result["state"] = state
        return _redirect(_with_query(redirect_uri, result))

    def _requested_scopes(self, raw: str | None, *, required: bool) -> tuple[str, ...]:
        if raw is None or not raw.strip():
            if required:
                raise OAuthProtocolError("invalid_request", "Missing required parameter: scope")
            return ()
        scopes = tuple(dict.fromkeys(raw.split()))
        unknown = [s for s in scopes if s not in self.known_scopes]
        if unknown:
            raise OAuthProtocolError("invalid_scope", f"Unknown scope: {' '.join(unknown)}")
        return scopes

    # -- token endpoint -------------------------------------------------------------------------

    async def handle_token(self, request: web.Request) -> web.Response:
        try:
            if request.method != "POST":
                raise OAuthProtocolError("invalid_request", "The token endpoint only takes POST.")
            return await self._token(request)
        except OAuthProtocolError as exc:
            headers = dict(_NO_STORE)
            if exc.status == 401:
                headers["WWW-Authenticate"] = 'Basic realm="sandbox"'
            return web.json_response(
                {"error": exc.error, "error_description": exc.description},
                status=exc.status,
                headers=headers,
            )

    async def _token(self, request: web.Request) -> web.Response:
        if request.content_type != "application/x-www-form-urlencoded":
            raise OAuthProtocolError(
                "invalid_request", "The body must be application/x-www-form-urlencoded."
            )
        form: dict[str, str] = {}
        for key, value in parse_qsl(await request.text(), keep_blank_values=True):
            if key in form:
                raise OAuthProtocolError("invalid_request", f"Parameter sent twice: {key}")
            form[key] = value
        client = self._authenticate_client(request, form)
        grant_type = form.get("grant_type")
        if not grant_type:
            raise OAuthProtocolError("invalid_request", "Missing required parameter: grant_type")
        if grant_type == "authorization_code":
            body = self._grant_code(client, form)
        elif grant_type == "refresh_token":
            body = self._grant_refresh(client, form)
        else:
            raise OAuthProtocolError("unsupported_grant_type", f"Unsupported grant: {grant_type}")
        self.grants[grant_type] += 1
        return web.json_response(body, headers=_NO_STORE)

    def _authenticate_client(self, request: web.Request, form: dict[str, str]) -> OAuthClient:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        secret: str | None
        if header and scheme.lower() == "basic":
            if "client_secret" in form:
                raise OAuthProtocolError(
                    "invalid_request", "Use one client authentication method, not two."
                )
            try:
                decoded = base64.b64decode(value.strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                raise OAuthProtocolError(
                    "invalid_client", "Malformed Basic credentials.", 401
                ) from None
            raw_id, sep, raw_secret = decoded.partition(":")
            if not sep:
                raise OAuthProtocolError("invalid_client", "Malformed Basic credentials.", 401)
            client_id, secret = unquote_plus(raw_id), unquote_plus(raw_secret)
            if form.get("client_id", client_id) != client_id:
                raise OAuthProtocolError("invalid_client", "client_id does not match.", 401)
        else:
            client_id = form.get("client_id", "")
            secret = form.get("client_secret")
        client = self.clients.get(client_id)
        if client is None:
            raise OAuthProtocolError("invalid_client", "The OAuth client was not found.", 401)
        if client.client_secret is not None:
            if secret is None or not secrets.compare_digest(secret, client.client_secret):
                raise OAuthProtocolError("invalid_client", "Unauthorized", 401)
        elif secret:
            raise OAuthProtocolError("invalid_client", "This client has no secret.", 401)
        return client

    def _grant_code(self, client: OAuthClient, form: dict[str, str]) -> dict[str, Any]:
        code = form.get("code")
        if not code:
            raise OAuthProtocolError("invalid_request", "Missing required parameter: code")
        record = self.codes.get(code)
        if record is None or record.client_id != client.client_id:
            raise OAuthProtocolError("invalid_grant", "Malformed auth code.")
        if record.used:
            # RFC 6749 4.1.2: a replayed code revokes what it already produced.
            for token in record.issued:
                if token in self.access_tokens:
                    self.access_tokens[token].revoked = True
                if token in self.refresh_tokens:
                    self.refresh_tokens[token].revoked = True
            raise OAuthProtocolError("invalid_grant", "Code was already redeemed.")
        if record.expires_at <= self.clock():
            raise OAuthProtocolError("invalid_grant", "Code has expired.")
        if form.get("redirect_uri") != record.redirect_uri:
            raise OAuthProtocolError("invalid_grant", "redirect_uri does not match.")
        verifier = form.get("code_verifier")
        if not verifier:
            raise OAuthProtocolError("invalid_grant", "Missing code verifier.")
        if not _PKCE_VALUE.match(verifier) or not secrets.compare_digest(
            s256(verifier), record.code_challenge
        ):
            raise OAuthProtocolError("invalid_grant", "Invalid code verifier.")
        record.used = True
        body = self._token_response(client.client_id, record.scopes, record.subject, record.offline)
        record.issued.append(body["access_token"])
        if "refresh_token" in body:
            record.issued.append(body["refresh_token"])
        return body

    def _grant_refresh(self, client: OAuthClient, form: dict[str, str]) -> dict[str, Any]:
        token = form.get("refresh_token")
        if not token:
            raise OAuthProtocolError("invalid_request", "Missing required parameter: refresh_token")
        record = self.refresh_tokens.get(token)
        if (
            self.faults.refuse_refresh
            or record is None
            or record.revoked
            or record.client_id != client.client_id
        ):
            raise OAuthProtocolError("invalid_grant", "Token has been expired or revoked.")
        scopes = self._requested_scopes(form.get("scope"), required=False) or record.scopes
        if not set(scopes) <= set(record.scopes):
            raise OAuthProtocolError("invalid_scope", "Scope exceeds what was granted.")
        if self.rotate_refresh_tokens:
            record.revoked = True
            return self._token_response(client.client_id, scopes, record.subject, True)
        body = self._token_response(client.client_id, scopes, record.subject, False)
        return body

    def _token_response(
        self, client_id: str, scopes: tuple[str, ...], subject: str, refresh: bool
    ) -> dict[str, Any]:
        access = self.access_prefix + secrets.token_urlsafe(32)
        self.access_tokens[access] = TokenRecord(
            access_token=access,
            client_id=client_id,
            scopes=scopes,
            subject=subject,
            expires_at=self.clock() + self.expires_in,
        )
        body: dict[str, Any] = {
            "access_token": access,
            "expires_in": self.expires_in,
            "token_type": "Bearer",
            "scope": " ".join(scopes),
        }
        if refresh:
            token = self.refresh_prefix + secrets.token_urlsafe(32)
            self.refresh_tokens[token] = RefreshRecord(token, client_id, scopes, subject)
            body["refresh_token"] = token
        return body


def s256(verifier: str) -> str:
    """RFC 7636 4.2: BASE64URL(SHA256(ASCII(code_verifier))) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _with_query(uri: str, params: dict[str, str]) -> str:
    """Add parameters to a redirect URI, keeping the query it already has (RFC 6749 3.1.2)."""
    parts = urlsplit(uri)
    query = parts.query + ("&" if parts.query else "") + urlencode(params)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def _redirect(location: str) -> web.Response:
    return web.Response(status=302, headers={"Location": location, **_NO_STORE})


def _error_page(error: str, description: str, status: int = 400) -> web.Response:
    """What a browser shows when the server cannot trust the redirect URI."""
    text = (
        "<!doctype html><title>Authorization error</title>"
        f"<h1>{status}. That's an error.</h1>"
        f"<p>Error: {html.escape(error)}</p><p>{html.escape(description)}</p>"
    )
    return web.Response(text=text, status=status, content_type="text/html")
