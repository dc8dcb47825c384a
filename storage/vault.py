"""Credential encryption at rest: MultiFernet, key rotation and an audit trail of decrypts.

``GOLIVE_SECRET_KEYS`` is a comma-separated list of Fernet keys: the first encrypts, all
decrypt, so a new key is rolled in by putting it first and running ``golive keys rotate``.
With no key configured (a laptop trying golive out) one is generated into the data dir with
mode 0600, and the caller tells the user so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ENCRYPTED_COLUMNS, AuditEntry

KEY_FILE = "secret.key"


class VaultError(Exception):
    """A secret could not be read with any configured key (never carries the secret)."""


@dataclass(frozen=True)
class KeySource:
    """Where the vault's keys came from, for start-up messages and ``golive doctor``."""

    description: str
    generated: bool = False


def parse_keys(value: str) -> list[bytes]:
    """Split and validate ``GOLIVE_SECRET_KEYS``; raises ValueError naming the bad position."""
    keys = [part.strip() for part in value.split(",") if part.strip()]
    if not keys:
        raise ValueError("GOLIVE_SECRET_KEYS is empty; give at least one Fernet key")
    for index, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"GOLIVE_SECRET_KEYS key #{index} is not a Fernet key (32 url-safe base64 bytes); "
                "make one with: golive keys generate"
            ) from exc
    return [k.encode() for k in keys]


def load_or_create_key(data_dir: Path) -> tuple[bytes, KeySource]:
    """Read the local key file, creating it (0600, never overwritten) on first run."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_bytes().strip()
        return key, KeySource(f"key file {path}")
    key = Fernet.generate_key()
    with os.fdopen(fd, "wb") as fh:
        fh.write(key + b"\n")
    return key, KeySource(f"key file {path}", generated=True)


class Vault:
    """Encrypts and decrypts secrets; every decrypt is audited in the caller's transaction."""

    def __init__(self, keys: list[bytes], source: KeySource | None = None) -> None:
        if not keys:
            raise ValueError("the vault needs at least one key")
        self._fernet = MultiFernet([Fernet(k) for k in keys])
        self._keys = [Fernet(k) for k in keys]
        self.source = source or KeySource("given keys")

    def __repr__(self) -> str:
        return f"Vault(keys={len(self._keys)}, source={self.source.description!r})"

    @property
    def key_count(self) -> int:
        return len(self._keys)

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def encrypt_optional(self, plaintext: str | None) -> str | None:
        return None if plaintext is None else self.encrypt(plaintext)

    def decrypt(
        self, session: AsyncSession, token: str, *, what: str, operation: str, actor: str
    ) -> str:
        """Decrypt and add an audit row (what, for which operation, by whom) to ``session``."""
        plaintext = self._decrypt(token, what)
        session.add(AuditEntry(actor=actor, action="decrypt", target=what, operation=operation))
        return plaintext

    def _decrypt(self, token: str, what: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise VaultError(
                f"{what} cannot be decrypted with any configured key: "
                "add the old key to GOLIVE_SECRET_KEYS or reconnect"
            ) from None

    def readable(self, token: str) -> bool:
        try:
            self._fernet.decrypt(token.encode())
        except InvalidToken:
            return False
        return True

    def encrypted_with_primary(self, token: str) -> bool:
        try:
            self._keys[0].decrypt(token.encode())
        except InvalidToken:
            return False
        return True

    def rotate(self, token: str) -> str:
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken:
            raise VaultError(
                "a stored secret cannot be decrypted with any configured key"
            ) from None


async def rotate_all(session: AsyncSession, vault: Vault, *, actor: str = "cli") -> int:
    """Re-encrypt every stored secret under the first key; returns how many values changed.

    Runs inside the caller's transaction, so a value no key can read aborts the whole rotation
    and nothing is left half-rotated.
    """
    count = 0
    for model, column in ENCRYPTED_COLUMNS:
        rows = (await session.execute(select(model))).scalars().all()
        for row in rows:
            token = getattr(row, column)
            if not token:
                continue
            setattr(row, column, vault.rotate(token))
            count += 1
    session.add(
        AuditEntry(actor=actor, action="keys.rotate", target=f"{count} secrets", operation="rotate")
    )
    await session.flush()
    return count


async def unreadable_secrets(session: AsyncSession, vault: Vault) -> list[str]:
    """Names of stored secrets no configured key can read (for ``golive doctor``)."""
    found: list[str] = []
    for model, column in ENCRYPTED_COLUMNS:
        rows = (await session.execute(select(model))).scalars().all()
        for row in rows:
            token = getattr(row, column)
            if token and not vault.readable(token):
                found.append(f"{model.__tablename__}.{column} ({row!r})")
    return found
