"""The console adapter end to end: piped commands into ``golive console``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.conftest import database_url


def golive(tmp_path: Path, stdin: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("GOLIVE_", "SLACK_", "DISCORD_"))
    }
    environment.update({"GOLIVE_DATA_DIR": str(tmp_path / "data"), **env})
    return subprocess.run(
        [sys.executable, "-m", "bot", "console", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        timeout=60,
    )


def test_meet_on_jitsi_prints_a_link(tmp_path):
    result = golive(tmp_path, '/meet "Standup" on jitsi\n')
    assert result.returncode == 0, result.stderr
    assert "★ Jitsi Meet (primary)" in result.stdout
    assert "https://meet.jit.si/standup-" in result.stdout
    assert "generated an encryption key" in result.stderr
    assert oct((tmp_path / "data" / "secret.key").stat().st_mode & 0o777) == "0o600"


def test_youtube_lifecycle_in_sandbox(tmp_path):
    commands = (
        '/golive "Launch" on youtube primary youtube\n/golive start\n/golive status\n/golive stop\n'
    )
    result = golive(tmp_path, commands, "--sandbox")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    created, started, status, stopped = out.split("golive> ")[1:]
    assert "created" in created and "ready" in created
    assert "· live ·" in started and "● ★ YouTube (primary): live" in started
    assert "https://www.youtube.com/watch?v=" in status
    assert "ingest: rtmps://a.rtmps.youtube.com/live2" in status
    assert "key: ••••••••" in status
    assert "· ended ·" in stopped
    assert "quota spent" in stopped
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('/golive "Launch" on youtub', "Unknown platform 'youtub'"),
        ("/golive on youtube", "a title in quotes"),
        ('/golive "Launch" on youtube at 2020-01-01 10:00', "in the past"),
        ('/meet "Sync" on youtube', "/golive"),
        ("/frobnicate", "is not a command"),
    ],
)
def test_bad_input_gets_one_sentence(tmp_path, line, expected):
    result = golive(tmp_path, line + "\n", "--sandbox")
    assert result.returncode == 1
    assert expected in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


async def test_unconnected_platform_stores_nothing(tmp_path, backend):
    url = await database_url(backend, tmp_path)
    env = {"GOLIVE_DATABASE_URL": url, "GOLIVE_SECRET_KEYS": Fernet.generate_key().decode()}
    result = golive(tmp_path, '/golive "Launch" on youtube\n/golive list\n', **env)
    assert result.returncode == 1
    assert "YouTube not connected yet: run /platforms connect youtube" in result.stdout
    assert "No broadcasts yet" in result.stdout
