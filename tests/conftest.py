"""Shared fixtures: a migrated database on SQLite and on the real PostgreSQL, and Services."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.services.context import Services
from bot.settings import Settings
from providers.http import RetryPolicy

POSTGRES_URL = os.environ.get(
    "GOLIVE_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["sqlite", "postgresql"]


async def reset_postgres(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


async def database_url(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'golive.db'}"
    await reset_postgres(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


def make_settings(tmp_path: Path, url: str, **extra: object) -> Settings:
    return Settings(
        database_url=url,
        secret_keys=Fernet.generate_key().decode(),
        data_dir=tmp_path / "data",
        public_url="http://127.0.0.1:3000",
        **extra,
    )


class FastRetry(RetryPolicy):
    def wait(self, retry_state) -> float:  # Retry-After still honoured by the base policy
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if getattr(exc, "retry_after", None) is not None:
            return super().wait(retry_state)
        return 0.01


@pytest.fixture
async def services(backend: str, tmp_path: Path) -> AsyncIterator[Services]:
    url = await database_url(backend, tmp_path)
    running = await Services.start(make_settings(tmp_path, url), sandbox=True)
    running.connections.retry_policy = FastRetry(initial_wait=0.01)
    try:
        yield running
    finally:
        await running.close()
