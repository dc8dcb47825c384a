"""Block Kit rendering stays inside Slack's limits, and the limits checker catches breaches."""

from __future__ import annotations

from bot.adapters.slack import blocks
from bot.views import Announcement, PlatformLink
from tests.slack.limits import check_message, check_view


def test_long_values_are_cut_to_fit() -> None:
    links = tuple(
        PlatformLink(f"p{i}", "L" * 200, f"https://example.com/{i}", i == 0, "failed", "e" * 5000)
        for i in range(30)
    )
    post = Announcement("broadcast", "abc", "T" * 500, "created", "now", links, "d" * 5000)
    rendered = blocks.announcement(post)
    assert check_message({"blocks": rendered, "text": blocks.summary(post)}) == []
    assert rendered[2]["elements"][0]["style"] == "primary"


def test_checker_reports_breaches() -> None:
    too_many = [{"type": "divider"}] * 51
    assert check_message({"blocks": too_many})
    button = {"type": "button", "text": {"type": "plain_text", "text": "x" * 76}, "url": "u" * 3001}
    problems = check_message({"blocks": [{"type": "actions", "elements": [button] * 26}]})
    assert len(problems) >= 3
    assert check_view({"type": "modal", "title": {"type": "plain_text", "text": "x" * 25}})
