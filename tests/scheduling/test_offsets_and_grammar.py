"""GOLIVE_REMINDERS, countdown texts and the /golive edit and cancel grammar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot import commands as c
from bot.services.reminders import countdown, span
from bot.services.scheduler import sync_url
from bot.settings import SettingsError, load_settings, parse_offsets

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _parse(text: str) -> c.Command:
    return c.parse(
        "golive", text, now=NOW, livestream_platforms=["youtube"], meeting_platforms=["jitsi"]
    )


def test_offsets_default_custom_and_bad() -> None:
    assert load_settings().reminder_offsets == (
        timedelta(days=1),
        timedelta(hours=1),
        timedelta(minutes=10),
    )
    assert parse_offsets("10m, 1h30m,10m") == (timedelta(minutes=90), timedelta(minutes=10))
    assert parse_offsets("") == ()
    with pytest.raises(SettingsError, match="GOLIVE_REMINDERS must be durations"):
        load_settings(reminders="1 hour")
    with pytest.raises(SettingsError, match="GOLIVE_SCHEDULE_GRACE"):
        load_settings(schedule_grace="0s")


def test_countdown_reads_like_people_write() -> None:
    assert span(timedelta(days=1)) == "1 day"
    assert span(timedelta(hours=2, minutes=30)) == "2 h 30 min"
    assert countdown(NOW + timedelta(minutes=10), NOW) == "starts in 10 min"
    assert countdown(NOW, NOW) == "starting now"


def test_sync_url_for_the_job_store() -> None:
    assert sync_url("sqlite+aiosqlite:///tmp/g.db") == "sqlite:///tmp/g.db"
    assert sync_url("postgresql+asyncpg://u:p@h:5432/db") == "postgresql+psycopg://u:p@h:5432/db"


def test_edit_and_cancel_grammar() -> None:
    assert _parse("cancel abc123") == c.BroadcastChange("cancel", "abc123")
    assert _parse('edit abc123 "New" at 2026-12-24 18:00 UTC') == c.BroadcastChange(
        "edit", "abc123", "New", datetime(2026, 12, 24, 18, 0, tzinfo=UTC)
    )
    with pytest.raises(c.CommandError, match="Nothing to change"):
        _parse("edit abc123")
    with pytest.raises(c.CommandError, match="Say which broadcast"):
        _parse("cancel")
    with pytest.raises(c.CommandError, match="in the past"):
        _parse("edit abc123 at 2020-01-01 10:00 UTC")
    with pytest.raises(c.CommandError, match="Unexpected"):
        _parse("edit abc123 soon")
