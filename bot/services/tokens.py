"""Personal API tokens: shown once, stored as a hash, scoped, revocable, audited.

A token is ``glv_`` followed by 256 random bits. Only its SHA-256 is stored: a copy of the
database does not let anyone call the API, and a lookup by hash needs no constant-time
comparison of secrets (the hash of a guess reveals nothing about the real token).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from sqlalchemy import select

from bot.services.errors import ServiceError
from storage.models import ApiToken, AuditEntry

if TYPE_CHECKING:
    from bot.services.context import Services

Scope = Literal["read", "read-write"]
SCOPES: tuple[Scope, ...] = ("read", "read-write")
PREFIX = "glv_"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class TokenInfo:
    id: int
    workspace: str
    name: str
    scope: str
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


def _info(row: ApiToken) -> TokenInfo:
    return TokenInfo(
        row.id,
        row.workspace,
        row.name,
        row.scope,
        row.created_by,
        row.created_at,
        row.last_used_at,
        row.revoked_at is not None,
    )


class TokenService:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def create(
        self, workspace: str, name: str, scope: str, *, user: str
    ) -> tuple[str, TokenInfo]:
        """Return the token (to show once) and its stored description."""
        if not _NAME.fullmatch(name):
            raise ServiceError(
                f"'{name[:40]}' is not a token name: use letters, digits, '.', '-' or '_' "
                "(at most 64), e.g. website-cms."
            )
        if scope not in SCOPES:
            raise ServiceError(f"The scope must be one of: {', '.join(SCOPES)}.")
        token = PREFIX + secrets.token_urlsafe(32)
        async with self.services.db.transaction() as session:
            taken = await session.execute(
                select(ApiToken.id).where(ApiToken.workspace == workspace, ApiToken.name == name)
            )
            if taken.first() is not None:
                raise ServiceError(
                    f"A token named {name} exists already: revoke it first or pick another name."
                )
            row = ApiToken(
                workspace=workspace,
                name=name,
                token_hash=token_hash(token),
                scope=scope,
                created_by=user,
                created_at=datetime.now(UTC),
            )
            session.add(row)
            session.add(
                AuditEntry(actor=user, action="api token create", target=name, operation=scope)
            )
            await session.flush()
            info = _info(row)
        return token, info

    async def verify(self, token: str) -> TokenInfo | None:
        """The token's description if it is valid and not revoked; records its use."""
        if not token.startswith(PREFIX):
            return None
        async with self.services.db.transaction() as session:
            row = (
                await session.execute(
                    select(ApiToken).where(ApiToken.token_hash == token_hash(token))
                )
            ).scalar_one_or_none()
            if row is None or row.revoked_at is not None:
                return None
            row.last_used_at = datetime.now(UTC)
            return _info(row)

    async def revoke(self, workspace: str, name: str, *, user: str) -> bool:
        async with self.services.db.transaction() as session:
            row = (
                await session.execute(
                    select(ApiToken).where(
                        ApiToken.workspace == workspace,
                        ApiToken.name == name,
                        ApiToken.revoked_at.is_(None),
                    )
                )
            ).scalar_one_or_none()
            if row is None:
                return False
            # The name is freed for a new token; the hash stays so the old one stays dead.
            row.revoked_at = datetime.now(UTC)
            row.name = f"{name[:40]}~revoked~{row.id}"
            session.add(AuditEntry(actor=user, action="api token revoke", target=name))
        return True

    async def list(self, workspace: str) -> list[TokenInfo]:
        async with self.services.db.sessions() as session:
            rows = await session.execute(
                select(ApiToken)
                .where(ApiToken.workspace == workspace, ApiToken.revoked_at.is_(None))
                .order_by(ApiToken.id)
            )
            return [_info(r) for r in rows.scalars()]
