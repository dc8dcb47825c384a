"""Real processes: a SIGKILLed scheduler restarted before T still starts the broadcast at T,
and two processes on the real PostgreSQL start it exactly once, also when the leader dies.

Each worker (tests/scheduling/worker.py) is a golive process running only the scheduler; this
test process creates and plans the broadcasts on a custom RTMP destination (no platform API
to emulate) and counts the starts in the database.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from bot.commands import CreateBroadcast
from bot.services.context import Services
from storage.models import AuditEntry
from tests.conftest import POSTGRES_URL, make_settings, reset_postgres
from tests.scheduling.conftest import eventually

ROOT = Path(__file__).resolve().parents[2]


class Workers:
    """Worker processes and the lines each printed (read by a daemon thread per process)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.procs: list[subprocess.Popen[str]] = []
        self.lines: dict[int, list[str]] = {}

    def spawn(self) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.scheduling.worker"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.procs.append(proc)
        seen = self.lines[proc.pid] = []

        def read() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                seen.append(line.strip())

        threading.Thread(target=read, daemon=True).start()
        return proc

    def said(self, proc: subprocess.Popen[str], word: str) -> bool:
        return word in self.lines[proc.pid]

    async def wait_for(self, proc: subprocess.Popen[str], word: str) -> None:
        await eventually(lambda: self.said(proc, word), within=15)

    def kill(self, proc: subprocess.Popen[str]) -> None:
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                self.kill(proc)


async def _setup(url: str, tmp_path: Path) -> tuple[Services, Workers]:
    key = Fernet.generate_key().decode()
    settings = make_settings(tmp_path, url, reminders="")
    settings.secret_keys = type(settings.secret_keys)(key)  # type: ignore[misc]
    services = await Services.start(settings)
    await services.connections.connect_with_args(
        "w", "U1", "rtmp", ("rtmps://live.example.com:443/app", "sandbox-stream-key")
    )
    env = {
        **os.environ,
        "GOLIVE_DATABASE_URL": url,
        "GOLIVE_SECRET_KEYS": key,
        "GOLIVE_DATA_DIR": str(tmp_path / "data"),
        "GOLIVE_REMINDERS": "",
        "GOLIVE_TEST_POSTS": str(tmp_path / "posts.jsonl"),
        "GOLIVE_LOG_LEVEL": "WARNING",
    }
    return services, Workers(env)


async def _plan(services: Services, seconds: float) -> tuple[str, datetime]:
    start = datetime.now(UTC) + timedelta(seconds=seconds)
    cmd = CreateBroadcast(
        title="Night", platforms=("rtmp",), primary="rtmp", start=start, record=False
    )
    stream = await services.livestreams.create("w", "U1", cmd)
    services.scheduler.plan_broadcast("w", stream.id, start)
    return stream.id, start


async def _starts(services: Services, stream_id: str) -> list[AuditEntry]:
    async with services.db.sessions() as session:
        rows = await session.execute(
            select(AuditEntry).where(
                AuditEntry.action == "broadcast scheduled start", AuditEntry.target == stream_id
            )
        )
        return list(rows.scalars())


@pytest.fixture
def workers_box() -> Iterator[list[Workers]]:
    box: list[Workers] = []
    yield box
    for workers in box:
        workers.close()


async def test_sigkill_before_t_and_restart_still_starts_at_t(
    tmp_path: Path, workers_box: list[Workers]
) -> None:
    services, workers = await _setup(f"sqlite+aiosqlite:///{tmp_path / 'golive.db'}", tmp_path)
    workers_box.append(workers)
    try:
        first = workers.spawn()
        await workers.wait_for(first, "leader")
        stream_id, start = await _plan(services, 3.5)
        await asyncio.sleep(0.5)
        workers.kill(first)  # before T: nothing has run
        assert await _starts(services, stream_id) == []

        second = workers.spawn()
        await workers.wait_for(second, "leader")
        leading = datetime.now(UTC)  # on a loaded machine the restart may take until after T
        await eventually(lambda: _starts(services, stream_id), within=10)
        (entry,) = await _starts(services, stream_id)
        assert entry.operation == "on time"
        assert start - timedelta(milliseconds=50) <= entry.at
        assert entry.at < max(start, leading) + timedelta(seconds=1)
        assert (await services.livestreams.get("w", stream_id)).status == "live"
    finally:
        await services.close()


async def test_two_processes_on_postgresql_start_it_exactly_once(
    tmp_path: Path, workers_box: list[Workers]
) -> None:
    await reset_postgres(POSTGRES_URL)
    services, workers = await _setup(POSTGRES_URL, tmp_path)
    workers_box.append(workers)
    try:
        one, two = workers.spawn(), workers.spawn()
        await workers.wait_for(one, "ready")
        await workers.wait_for(two, "ready")
        await eventually(lambda: workers.said(one, "leader") or workers.said(two, "leader"))
        first_id, _ = await _plan(services, 1.5)
        await eventually(lambda: _starts(services, first_id))
        await asyncio.sleep(0.8)  # time for a second start, were there one
        assert len(await _starts(services, first_id)) == 1

        # The leader dies; the other process takes the lock and runs the next one, once.
        leader, follower = (one, two) if workers.said(one, "leader") else (two, one)
        assert not workers.said(follower, "leader")
        second_id, second_start = await _plan(services, 2.0)
        workers.kill(leader)
        await workers.wait_for(follower, "leader")
        await eventually(lambda: _starts(services, second_id))
        await asyncio.sleep(0.8)
        (entry,) = await _starts(services, second_id)
        assert entry.at >= second_start - timedelta(milliseconds=50)
    finally:
        await services.close()
