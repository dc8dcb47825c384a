"""The migrations build exactly the tables the models describe, on both backends."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage.db import Database
from storage.models import Base
from tests.conftest import database_url


async def test_models_and_migrations_agree(backend: str, tmp_path: Path) -> None:
    db = Database(await database_url(backend, tmp_path))
    try:
        await db.upgrade()
        current, head = await db.revision()
        assert current == head
        async with db.engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
        assert diff == []
    finally:
        await db.dispose()
