"""Primary platform highlighting: first and the only one marked, in every rendering."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.views import broadcast_announcement, meeting_announcement, to_text
from storage.models import Livestream, LivestreamPlatform, Meeting, MeetingPlatform

MEETING = ["zoom", "teams", "jitsi"]
LIVE = ["youtube", "facebook", "instagram", "restream", "twitch", "rtmp"]


def choice(pool: list[str]):
    return st.lists(st.sampled_from(pool), min_size=1, unique=True).flatmap(
        lambda chosen: st.tuples(st.just(chosen), st.sampled_from(chosen))
    )


def _link_lines(text: str) -> list[str]:
    return [line for line in text.splitlines()[1:] if ": " in line and "·" in line]


@given(choice(MEETING))
def test_meeting_primary_first_and_only_one_highlighted(pair):
    chosen, primary = pair
    meeting = Meeting(id="m1", title="Sync", primary_platform=primary, duration_minutes=30)
    meeting.timezone = "UTC"
    meeting.status = "created"
    for i, name in enumerate(chosen):
        meeting.platforms.append(
            MeetingPlatform(
                platform=name,
                position=i,
                join_url=f"https://{name}.example/j/{i}",
                status="created",
                data={},
            )
        )
    post = meeting_announcement(meeting)
    assert post.links[0].platform == primary
    assert [link.primary for link in post.links].count(True) == 1
    lines = _link_lines(to_text(post))
    assert len(lines) == len(chosen)
    assert "★" in lines[0] and "(primary)" in lines[0]
    assert all("★" not in line for line in lines[1:])


@given(choice(LIVE))
def test_broadcast_primary_first_and_only_one_highlighted(pair):
    chosen, primary = pair
    stream = Livestream(id="b1", title="Launch", primary_platform=primary, description="")
    stream.status = "created"
    for i, name in enumerate(chosen):
        stream.platforms.append(
            LivestreamPlatform(
                platform=name,
                position=i,
                watch_url=f"https://{name}.example/w",
                status="ready",
                data={},
                quota_used=0,
            )
        )
    post = broadcast_announcement(stream)
    assert post.links[0].platform == primary
    lines = _link_lines(to_text(post))
    assert "★" in lines[0] and sum("★" in line for line in lines) == 1


def _slack_buttons(post) -> list[dict]:
    from bot.adapters.slack.blocks import announcement

    actions = [b for b in announcement(post) if b["type"] == "actions"]
    return [e for b in actions for e in b["elements"] if e["action_id"] != "golive_link:page"]


@settings(deadline=None)
@given(choice(LIVE + MEETING))
def test_slack_blocks_primary_first_styled_and_only_one(pair):
    chosen, primary = pair
    live = [p for p in chosen if p in LIVE]
    stream = Livestream(id="b1", title="Launch", primary_platform=primary, description="")
    stream.status = "created"
    for i, name in enumerate(chosen):
        stream.platforms.append(
            LivestreamPlatform(
                platform=name,
                position=i,
                watch_url=f"https://{name}.example/w",
                status="ready" if name in live else "live",
                data={},
                quota_used=0,
            )
        )
    buttons = _slack_buttons(broadcast_announcement(stream))
    assert len(buttons) == len(chosen)
    assert buttons[0]["action_id"] == f"golive_link:{primary}"
    assert [b.get("style") for b in buttons].count("primary") == 1
    assert buttons[0].get("style") == "primary" and "(primary)" in buttons[0]["text"]["text"]
    assert all("★" not in b["text"]["text"] for b in buttons[1:])


@settings(deadline=None)  # the first example imports discord.py
@given(choice(LIVE + MEETING))
async def test_discord_components_primary_first_and_only_one_marked(pair):
    from bot.adapters.discord.render import buttons, embed

    chosen, primary = pair
    meeting = Meeting(id="m1", title="Sync", primary_platform=primary, duration_minutes=30)
    meeting.timezone = "UTC"
    meeting.status = "created"
    for i, name in enumerate(chosen):
        meeting.platforms.append(
            MeetingPlatform(
                platform=name,
                position=i,
                join_url=f"https://{name}.example/j/{i}",
                status="created",
                data={},
            )
        )
    post = meeting_announcement(meeting)
    labels = [item.label for item in buttons(post).children]
    assert len(labels) == len(chosen)
    assert labels[0].startswith("★ Primary") and sum("★" in label for label in labels) == 1
    fields = [f.name for f in embed(post).fields if f.name not in ("When", "Status", "Notes")]
    assert fields[0].startswith("★ Primary") and sum("★" in name for name in fields) == 1
