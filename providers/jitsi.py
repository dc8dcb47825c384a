"""Jitsi Meet: public meet.jit.si, a self-hosted server, or 8x8 JaaS.

Jitsi has no meeting-creation API: a room exists when the first person opens its URL, so
golive's job is a name nobody can guess and that people can still read out loud, plus tokens
where the server demands them. Sources:
- room names and normalisation: jitsi-meet ``WelcomePage`` (``ROOM_NAME_VALIDATE_PATTERN_STR``)
  and ``getBackendSafeRoomName``;
- URL config options in the hash fragment (JSON values): https://jitsi.github.io/handbook/docs/user-guide/user-guide-advanced/
- self-hosted token claims: lib-jitsi-meet ``doc/tokens.md`` (iss/aud/sub/room/exp/nbf/context);
- JaaS tokens: https://developer.8x8.com/jaas/docs/api-keys-jwt (RS256, kid
  ``vpaas-magic-cookie-<AppID>/<keyId>``, aud ``jitsi``, iss ``chat``, moderator as a string).
"""

from __future__ import annotations

import json
import re
import secrets
import time
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from authlib.jose import jwt
from pydantic import SecretStr

from providers.base import (
    AuthStyle,
    Capability,
    Endpoints,
    Kind,
    MeetingHandle,
    MeetingRequest,
    PlatformConfig,
    Provider,
)
from providers.errors import InvalidRequest

PUBLIC_HOST = "https://meet.jit.si"
JAAS_HOST = "https://8x8.vc"
_SUFFIX_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o/1/l: readable out loud
SUFFIX_LENGTH = 16  # 16 * 5 bits = 80 bits of randomness
_FORBIDDEN = re.compile(r"[?&:\"'%#]")


def slugify(title: str, limit: int = 40) -> str:
    """ASCII, lowercase, hyphen-separated: the readable half of a room name."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:limit].rstrip("-") or "meeting"


def room_name(title: str) -> str:
    suffix = "".join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(SUFFIX_LENGTH))
    name = f"{slugify(title)}-{suffix}"
    assert not _FORBIDDEN.search(name)
    return name


@dataclass(frozen=True)
class JitsiOptions:
    start_audio_muted: bool = False
    start_video_muted: bool = False
    prejoin: bool = True
    lobby: bool = False


class Jitsi(Provider):
    name = "jitsi"
    display_name = "Jitsi Meet"
    kind = Kind.MEETING
    auth_style = AuthStyle.NONE
    default_endpoints = Endpoints(api_url=PUBLIC_HOST)
    capabilities = frozenset({Capability.CREATE_MEETING, Capability.DELETE_MEETING})

    def __init__(self, config: PlatformConfig, http: object | None = None) -> None:
        self.config = config
        options = config.options
        self.base_url = config.endpoints.api_url.rstrip("/")
        if urlsplit(self.base_url).scheme != "https":
            raise InvalidRequest("jitsi", "GOLIVE_JITSI_URL must be an https:// address")
        self.app_id = config.client_id
        self.app_secret = config.client_secret
        self.jaas_key_id = options.get("jaas_key_id")
        self.jaas_private_key = options.get("jaas_private_key")
        self.defaults = JitsiOptions(
            start_audio_muted=options.get("start_audio_muted") == "true",
            start_video_muted=options.get("start_video_muted") == "true",
            prejoin=options.get("prejoin", "true") == "true",
            lobby=options.get("lobby") == "true",
        )
        if self.jaas:
            if not self.app_id:
                raise InvalidRequest(
                    "jitsi", "JaaS needs GOLIVE_JITSI_APP_ID (vpaas-magic-cookie-…)"
                )
            self.base_url = self.base_url if self.base_url != PUBLIC_HOST else JAAS_HOST

    def __repr__(self) -> str:
        return f"Jitsi(base_url={self.base_url!r}, tokens={self.uses_tokens})"

    @property
    def jaas(self) -> bool:
        return bool(self.jaas_key_id and self.jaas_private_key)

    @property
    def uses_tokens(self) -> bool:
        return self.jaas or bool(self.app_id and self.app_secret)

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or ""

    def capabilities_now(self) -> frozenset[Capability]:
        extra = {Capability.PER_PERSON_LINKS} if self.uses_tokens else set()
        return self.capabilities | extra

    def can(self, capability: Capability) -> bool:
        return capability in self.capabilities_now()

    def _room_path(self, room: str) -> str:
        return f"{self.app_id}/{room}" if self.jaas else room

    def _fragment(self, title: str, options: JitsiOptions) -> str:
        pairs = [("config.subject", json.dumps(title, ensure_ascii=False))]
        if options.start_audio_muted:
            pairs.append(("config.startWithAudioMuted", "true"))
        if options.start_video_muted:
            pairs.append(("config.startWithVideoMuted", "true"))
        if not options.prejoin:
            pairs.append(("config.prejoinConfig.enabled", "false"))
        return "&".join(f"{k}={quote(v, safe='')}" for k, v in pairs)

    def link(
        self,
        room: str,
        title: str,
        *,
        user_id: str = "",
        user_name: str = "",
        moderator: bool = False,
        expires_at: datetime | None = None,
    ) -> str:
        url = f"{self.base_url}/{self._room_path(room)}"
        if self.uses_tokens:
            token = self.token(
                room,
                user_id=user_id,
                user_name=user_name,
                moderator=moderator,
                expires_at=expires_at,
            )
            url += f"?jwt={token}"
        return f"{url}#{self._fragment(title, self.defaults)}"

    def token(
        self,
        room: str,
        *,
        user_id: str = "",
        user_name: str = "",
        moderator: bool = False,
        expires_at: datetime | None = None,
    ) -> str:
        now = int(time.time())
        exp = int(expires_at.timestamp()) if expires_at else now + 24 * 3600
        user = {"id": user_id or "golive", "name": user_name or "Guest", "avatar": "", "email": ""}
        if self.jaas:
            assert self.jaas_private_key is not None
            user["moderator"] = "true" if moderator else "false"
            header = {"alg": "RS256", "kid": f"{self.app_id}/{self.jaas_key_id}", "typ": "JWT"}
            payload = {
                "aud": "jitsi",
                "iss": "chat",
                "sub": self.app_id,
                "room": room,
                "exp": exp,
                "nbf": now - 10,
                "context": {
                    "user": user,
                    "features": {
                        "livestreaming": "false",
                        "recording": "true" if moderator else "false",
                        "transcription": "false",
                        "outbound-call": "false",
                    },
                },
            }
            key = self.jaas_private_key
        else:
            assert self.app_secret is not None
            header = {"alg": "HS256", "typ": "JWT"}
            payload = {
                "iss": self.app_id,
                "aud": "jitsi",
                "sub": self.host,
                "room": room,
                "exp": exp,
                "nbf": now - 10,
                "moderator": moderator,
                "context": {"user": {**user, "affiliation": "owner" if moderator else "member"}},
            }
            key = self.app_secret.get_secret_value()
        return jwt.encode(header, payload, key).decode()

    async def create_meeting(self, request: MeetingRequest) -> MeetingHandle:
        return self._handle(room_name(request.title), request)

    async def update_meeting(self, handle: MeetingHandle, request: MeetingRequest) -> MeetingHandle:
        """The room stays (people may have saved its link); subject and token expiry follow."""
        return self._handle(handle.remote_id, request)

    def _handle(self, room: str, request: MeetingRequest) -> MeetingHandle:
        expires = None
        if request.start is not None:
            end = request.start.timestamp() + (request.duration_minutes + 60) * 60
            expires = datetime.fromtimestamp(end, UTC)
        join_url = self.link(room, request.title, expires_at=expires)
        host_url = None
        if self.uses_tokens:
            host_url = SecretStr(
                self.link(room, request.title, user_name="Host", moderator=True, expires_at=expires)
            )
        data = {"room": room}
        if self.defaults.lobby:
            data["note"] = "The lobby is turned on by the moderator inside the meeting."
        return MeetingHandle(remote_id=room, join_url=join_url, host_url=host_url, data=data)

    async def invite_link(
        self, handle: MeetingHandle, title: str, *, user_id: str, user_name: str
    ) -> str:
        """A personal link (own token) where the server uses tokens, else the shared link."""
        if not self.uses_tokens:
            return handle.join_url
        return self.link(handle.remote_id, title, user_id=user_id, user_name=user_name)

    async def delete_meeting(self, handle: MeetingHandle) -> None:
        """Jitsi rooms vanish when the last person leaves; there is nothing to delete."""
        return None


PROVIDER = Jitsi
