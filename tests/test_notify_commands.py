"""The ``/platforms notify`` grammar: every form and every error sentence."""

from __future__ import annotations

import pytest

from bot.commands import NotifyAction
from tests.test_commands import error, run


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("notify", NotifyAction("show")),
        ("notify dm", NotifyAction("dm")),
        ("notify expired off", NotifyAction("kinds", ("expired",), False)),
        ("notify expired,broken on", NotifyAction("kinds", ("expired", "broken"), True)),
        ("NOTIFY Refresh,refresh OFF", NotifyAction("kinds", ("refresh",), False)),
        ("notify all on", NotifyAction("kinds", ("expired", "broken", "refresh"), True)),
        ("notify channel <#C0OPS123|ops>", NotifyAction("channel", channel="C0OPS123")),
        ("notify channel <#C0OPS123>", NotifyAction("channel", channel="C0OPS123")),
        ("notify channel C0OPS123", NotifyAction("channel", channel="C0OPS123")),
        (
            "notify channel <#1100000000000000042>",
            NotifyAction("channel", channel="1100000000000000042"),
        ),
        (
            "notify channel 1100000000000000042",
            NotifyAction("channel", channel="1100000000000000042"),
        ),
    ],
)
def test_notify_forms(text: str, expected: NotifyAction) -> None:
    assert run("platforms", text) == expected


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        (
            "notify expird on",
            "Unknown notice 'expird'. Choose from: expired, broken, refresh or all (then on or "
            "off), channel, dm: /platforms notify · /platforms notify expired,broken,refresh "
            "on|off · /platforms notify channel #channel · /platforms notify dm.",
        ),
        ("notify expired", "Say on or off after the notices, e.g. /platforms notify expired off."),
        (
            "notify expired maybe",
            "Say on or off after the notices, e.g. /platforms notify expired off.",
        ),
        (
            "notify expired on now",
            "Unexpected 'now' at the end: write just /platforms notify expired on.",
        ),
        (
            "notify channel",
            "Name the channel for notices, e.g. /platforms notify channel #ops (mention it so it "
            "becomes a link), or /platforms notify dm.",
        ),
        (
            "notify channel ops",
            "'ops' is not a channel: mention it (type # and pick it), e.g. /platforms notify "
            "channel #ops.",
        ),
        ("notify dm please", "Unexpected 'please' at the end: write just /platforms notify dm."),
    ],
)
def test_notify_errors_are_one_sentence_with_the_choices(text: str, sentence: str) -> None:
    assert error("platforms", text) == sentence
