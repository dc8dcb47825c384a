"""The async engine, sessions and Alembic migrations.

SQLite (aiosqlite) in the user data dir by default; PostgreSQL through asyncpg when
``GOLIVE_DATABASE_URL`` says ``postgresql+asyncpg://``. Migrations run at start-up and by
``golive db upgrade``, through Alembic on the same async connection.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import Connection as SyncConnection
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

MIGRATIONS = Path(__file__).parent / "migrations"


def default_url(data_dir: Path) -> str:
    return f"sqlite+aiosqlite:///{data_dir / 'golive.db'}"


def check_url(url: str) -> str:
    """Refuse URLs that would need a synchronous driver, with one sentence saying which work."""
    parsed = make_url(url)
    if parsed.drivername not in {"sqlite+aiosqlite", "postgresql+asyncpg"}:
        raise ValueError(
            f"GOLIVE_DATABASE_URL uses driver '{parsed.drivername}'; use sqlite+aiosqlite:///PATH "
            "or postgresql+asyncpg://USER@HOST:PORT/DB"
        )
    return url


def _alembic_config(connection: SyncConnection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def _upgrade(connection: SyncConnection) -> None:
    command.upgrade(_alembic_config(connection), "head")


def _current_and_head(connection: SyncConnection) -> tuple[str | None, str | None]:
    context = MigrationContext.configure(connection)
    script = ScriptDirectory.from_config(_alembic_config(connection))
    return context.get_current_revision(), script.get_current_head()


class Database:
    """One engine and its session factory."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = check_url(url)
        parsed = make_url(url)
        if parsed.drivername.startswith("sqlite") and parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine: AsyncEngine = create_async_engine(url, echo=echo)
        if parsed.drivername.startswith("sqlite"):
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    def __repr__(self) -> str:
        return f"Database({make_url(self.url).render_as_string(hide_password=True)!r})"

    async def upgrade(self) -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(_upgrade)

    async def revision(self) -> tuple[str | None, str | None]:
        async with self.engine.connect() as conn:
            return await conn.run_sync(_current_and_head)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work commits together or not at all."""
        async with self.sessions() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()
