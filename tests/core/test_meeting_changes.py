"""Editing and cancelling a meeting reaches every platform that holds it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot import commands as c
from bot.handlers import Requester, run
from bot.services.context import Services

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def parse(text: str) -> c.Command:
    return c.parse(
        "meet", text, now=NOW, livestream_platforms=["youtube"], meeting_platforms=["jitsi"]
    )


def test_edit_and_cancel_grammar() -> None:
    assert parse("cancel ab12cd34") == c.MeetingAction("cancel", "ab12cd34")
    edit = parse('edit ab12cd34 "Retro" at 2026-12-24 18:00 Europe/Berlin for 1h30m')
    assert isinstance(edit, c.MeetingAction)
    assert (edit.title, edit.duration_minutes) == ("Retro", 90)
    assert edit.start == datetime(2026, 12, 24, 17, 0, tzinfo=UTC)
    assert parse("edit ab12cd34 for 15m") == c.MeetingAction("edit", "ab12cd34", None, None, 15)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("cancel", "Say which meeting"),
        ("cancel a b", "Unexpected 'b'"),
        ("edit ab12cd34", "Nothing to change"),
        ("edit ab12cd34 tomorrow", "Unexpected word 'tomorrow'"),
        ("edit ab12cd34 for 15m for 20m", "Unexpected word 'for'"),
        ("edit ab12cd34 at 2020-01-01 10:00", "past"),
    ],
)
def test_edit_and_cancel_refuse_bad_input(text: str, says: str) -> None:
    with pytest.raises(c.CommandError) as err:
        parse(text)
    assert says.lower() in err.value.message.lower()


async def test_edit_then_cancel_across_platforms(services: Services) -> None:
    owner = Requester("w", "U1", is_admin=False)
    created = await run(services, owner, "meet", '"Sync" on jitsi')
    meeting_id = created.posts[0].id
    old_link = created.posts[0].links[0].direct_url

    edited = await run(services, owner, "meet", f'edit {meeting_id} "Retro" for 15m')
    assert edited.ok, edited.private
    post = edited.posts[0]
    assert post.title == "Retro" and "15 min" in post.when
    assert post.links[0].direct_url.split("#")[0] == old_link.split("#")[0]  # same room
    assert "Retro" in post.links[0].direct_url

    stranger = await run(
        services, Requester("w", "U2", is_admin=False), "meet", f"cancel {meeting_id}"
    )
    assert not stranger.ok and "created the meeting" in stranger.private[0]

    cancelled = await run(services, owner, "meet", f"cancel {meeting_id}")
    assert cancelled.ok and cancelled.posts[0].status == "cancelled"
    assert {link.state for link in cancelled.posts[0].links} == {"cancelled"}
    again = await run(services, owner, "meet", f"cancel {meeting_id}")
    assert not again.ok and "already cancelled" in again.private[0]
    edit_cancelled = await run(services, owner, "meet", f"edit {meeting_id} for 20m")
    assert not edit_cancelled.ok and "cancelled" in edit_cancelled.private[0]
