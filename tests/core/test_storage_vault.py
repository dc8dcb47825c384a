"""Storage and vault properties, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from cryptography.fernet import Fernet
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from sqlalchemy import select

from providers.base import Credentials
from storage.models import AuditEntry, Connection
from storage.vault import Vault, VaultError, rotate_all

secret_text = st.text(min_size=1, max_size=200)
credentials = st.builds(
    Credentials,
    access_token=st.one_of(st.none(), secret_text.map(SecretStr)),
    refresh_token=st.one_of(st.none(), secret_text.map(SecretStr)),
    expires_at=st.one_of(
        st.none(),
        st.datetimes(
            min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
        ),
    ),
    scopes=st.lists(st.text(min_size=1, max_size=30), max_size=5).map(tuple),
    extra=st.dictionaries(st.text(max_size=20), st.text(max_size=100), max_size=4),
)
prop = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _same(a: Credentials, b: Credentials) -> bool:
    return a.to_json() == b.to_json()


@prop
@given(creds=credentials)
async def test_platform_connection_consistency(services, creds):
    """Any credential content round-trips through storage and the vault unchanged."""
    workspace = uuid.uuid4().hex
    await services.connections.save(workspace, "youtube", creds, user_id="U1")
    async with services.db.transaction() as session:
        row = (
            await session.execute(select(Connection).where(Connection.workspace == workspace))
        ).scalar_one()
        raw = services.vault.decrypt(
            session, row.credentials_enc, what="connection:youtube", operation="test", actor="t"
        )
    assert _same(Credentials.from_json(json.loads(raw)), creds)
    assert row.expires_at == creds.expires_at


@prop
@given(plain=secret_text)
async def test_credential_encryption_survives_rotation(services, plain):
    """Stored secrets are ciphertext, readable only with a configured key, also after rotation."""
    workspace = uuid.uuid4().hex
    creds = Credentials(access_token=SecretStr(plain))
    await services.connections.save(workspace, "youtube", creds, user_id="U1")
    old = services.vault
    async with services.db.sessions() as session:
        row = (
            await session.execute(select(Connection).where(Connection.workspace == workspace))
        ).scalar_one()
    assert json.dumps(plain)[1:-1] not in row.credentials_enc or len(plain) < 4
    stranger = Vault([Fernet.generate_key()])
    assert not stranger.readable(row.credentials_enc)

    new_key = Fernet.generate_key()
    keys = [new_key, services.settings.secret_keys.get_secret_value().split(",")[0].encode()]
    both = Vault(keys)
    async with services.db.transaction() as session:
        count = await rotate_all(session, both)
    assert count >= 1
    async with services.db.sessions() as session:
        token = (
            (await session.execute(select(Connection).where(Connection.workspace == workspace)))
            .scalar_one()
            .credentials_enc
        )
    assert Vault([new_key]).readable(token)
    assert not old.readable(token)
    services.vault = Vault([new_key])
    async with services.db.transaction() as session:
        back = services.vault.decrypt(session, token, what="x", operation="t", actor="t")
    assert json.loads(back)["access_token"] == plain
    services.vault = old
    async with services.db.transaction() as session:
        await rotate_all(session, Vault(keys[::-1]))


async def test_decrypt_is_audited(services):
    await services.connections.save(
        "w", "youtube", Credentials(access_token=SecretStr("tok")), user_id="U9"
    )
    await services.connections.provider("w", "youtube", actor="U9", operation="create broadcast")
    async with services.db.sessions() as session:
        rows = (
            (await session.execute(select(AuditEntry).where(AuditEntry.action == "decrypt")))
            .scalars()
            .all()
        )
    assert any(
        r.actor == "U9" and r.target == "connection:youtube" and r.operation == "create broadcast"
        for r in rows
    )


async def test_unknown_key_is_a_clear_error(services):
    token = Vault([Fernet.generate_key()]).encrypt("secret-value")
    async with services.db.transaction() as session:
        try:
            services.vault.decrypt(session, token, what="connection:x", operation="t", actor="t")
        except VaultError as exc:
            assert "secret-value" not in str(exc)
            assert "GOLIVE_SECRET_KEYS" in str(exc)
        else:
            raise AssertionError("decrypt with a foreign key must fail")
