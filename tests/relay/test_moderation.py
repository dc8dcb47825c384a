"""Moderation: the right platform gets the right call, members are refused, all is recorded.

These tests use a fake provider that records its calls
(:class:`tests.relay.helpers.FakeModeration`) to pin the service's own rules; the real
providers against the emulators are in tests/chat/test_moderation_<platform>.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.chat.filters import Rules, Verdict
from bot.chat.moderation import (
    MemoryHistory,
    ModerationService,
    StoredHistory,
    help_text,
    listing,
    load_rules,
    save_rules,
)
from providers.base import Capability
from storage.db import Database
from tests.conftest import database_url
from tests.relay.helpers import FakeModeration, FakeModerator, line


def service(history=None):
    youtube = FakeModeration()
    twitch = FakeModeration(capabilities=frozenset({Capability.BAN}), with_unban=False)
    mod = ModerationService(FakeModerator({"youtube": youtube, "twitch": twitch}), history)
    return mod, youtube, twitch


async def test_moderator_actions_reach_the_right_platform() -> None:
    mod, youtube, twitch = service(MemoryHistory())
    yt, tw = line(1, "youtube", author="bob"), line(2, "twitch", author="eve")
    mod.remember([yt, tw])
    said = await mod.act("W", yt.id, "delete", actor="slack:UA", actor_name="@ana", role="admin")
    assert said == "deleted on YouTube by @ana"
    await mod.act("W", yt.id, "timeout5m", actor="slack:UM", actor_name="@mo", role="moderator")
    await mod.act("W", yt.id, "unban", actor="slack:UM", actor_name="@mo", role="moderator")
    assert youtube.calls == [
        ("delete_message", "youtube-b1", "youtube-1"),
        ("ban", "bob", 300),
        ("unban", "bob", None),
    ]
    assert await mod.act("W", tw.id, "ban", actor="s:U", actor_name="@a", role="admin") == (
        "banned on Twitch by @a"
    )
    assert twitch.calls == [("ban", "eve", None)]
    # Twitch's capabilities have no delete here: not offered, not called
    said = await mod.act("W", tw.id, "delete", actor="s:U", actor_name="@a", role="admin")
    assert said.startswith("Not done: Twitch does not offer")
    assert twitch.calls == [("ban", "eve", None)]
    names = [a.name for a in await mod.capabilities("W", "b1", "twitch")]
    assert names == ["ban"]  # no unban method, so no unban offered


async def test_member_is_refused_and_the_attempt_recorded() -> None:
    history = MemoryHistory()
    mod, youtube, _ = service(history)
    yt = line(1)
    mod.remember([yt])
    said = await mod.act("W", yt.id, "ban", actor="slack:UX", actor_name="@x", role="member")
    assert said == "Only moderators and admins can moderate chat."
    assert youtube.calls == []
    assert history.entries[-1].result == "refused"


async def test_automatic_action_logged_with_its_rule() -> None:
    history = MemoryHistory()
    mod, youtube, _ = service(history)
    await mod.auto("W", line(1), Verdict("banned_word", "spam"))
    await mod.auto("W", line(2, "instagram"), Verdict("caps", "20/20 capitals"))
    assert youtube.calls == [("delete_message", "youtube-b1", "youtube-1")]
    first, second = history.entries
    assert (first.actor, first.result, first.detail) == ("rule:banned_word", "done", "spam")
    assert second.result.startswith("held: unsupported")  # no provider: skipped, still held
    text = await listing(history, "W", None)
    assert "b1 delete on YouTube by rule:banned_word: done (spam)" in text


def test_help_lists_actions_per_platform_from_capabilities() -> None:
    text = help_text()
    assert text.startswith("Moderation from the chat thread")
    every = "Delete message, Time out 5 min, Time out 1 h, Ban, Unban"
    assert f"YouTube: {every}" in text.splitlines()
    assert f"Twitch: {every}" in text.splitlines()
    assert "Facebook: Delete message, Ban, Unban" in text.splitlines()  # no time-out there
    assert "Restream: no moderation" in text.splitlines()
    assert help_text(["instagram"]).splitlines()[1:] == ["Instagram: no moderation"]


@pytest.fixture
async def db(backend: str, tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(await database_url(backend, tmp_path))
    await database.upgrade()
    try:
        yield database
    finally:
        await database.dispose()


async def test_history_and_rules_stored(db: Database) -> None:
    mod, _, _ = service(StoredHistory(db))
    yt = line(1)
    mod.remember([yt])
    await mod.auto("W", yt, Verdict("link", "evil.example"))
    await mod.act("W", yt.id, "ban", actor="slack:UA", actor_name="@ana", role="admin")
    await mod.act("OTHER", yt.id, "ban", actor="slack:UB", actor_name="@b", role="admin")
    entries = await mod.history.list("W", "b1", 10)
    assert [(e.action, e.actor, e.result) for e in entries] == [
        ("ban", "slack:UA", "done"),
        ("delete", "rule:link", "done"),
    ]
    assert await load_rules(db, "W") == Rules()
    rules = Rules(banned_words=("spam",), links_allowed=("golive.dev",))
    await save_rules(db, "W", rules, user="slack:UA")
    await save_rules(db, "W", rules, user="slack:UA")
    assert await load_rules(db, "W") == rules
