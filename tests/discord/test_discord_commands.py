"""Slash commands through discord.py's real command tree, answered over HTTP to the fake."""

from __future__ import annotations

import asyncio
import json
import logging

from bot.adapters.discord.roles import REFUSAL
from bot.chat.moderation import load_rules
from bot.services.context import Services
from tests.discord import payloads
from tests.discord.conftest import World, deliver
from tests.discord.fake import TOKEN, FakeDiscord

EPHEMERAL = 64


def answer(fake: FakeDiscord, payload: dict):
    return fake.interactions[int(payload["id"])]


def final_text(item) -> str:
    return item.original_edits[-1]["content"]


async def test_commands_are_synced_per_guild_with_typed_options(bot, fake: FakeDiscord, world):
    commands = {c["name"]: c for c in fake.commands[world.guild]}
    assert set(commands) == {"golive", "meet", "platforms"}
    golive = {o["name"]: o for o in commands["golive"]["options"]}
    assert golive["title"]["type"] == 3 and golive["title"]["max_length"] == 100
    assert golive["platforms"]["autocomplete"] and golive["primary"]["autocomplete"]
    assert golive["record"]["type"] == 5
    assert [c["value"] for c in golive["action"]["choices"]][:2] == ["start", "stop"]
    meet = {o["name"]: o for o in commands["meet"]["options"]}
    assert meet["duration"]["type"] == 4 and meet["duration"]["max_value"] == 1440
    assert "with" in meet  # the grammar's keyword, renamed from the Python parameter


async def test_admin_creates_a_broadcast_deferred_then_announced(
    bot, fake: FakeDiscord, world: World
):
    payload = payloads.command(
        fake,
        world.guild,
        world.channel,
        world.admin,
        "golive",
        title="Launch party",
        platforms="YouTube",
        primary="youtube",
        record=True,
    )
    await deliver(bot, payload)
    item = answer(fake, payload)
    # Deferred at once, privately; Discord's 3 seconds were never at risk.
    assert item.callback == {"type": 5, "data": {"flags": EPHEMERAL}}
    assert fake.late_callbacks == 0
    progress = [edit["content"] for edit in item.original_edits[:-1]]
    assert any("YouTube creating" in text for text in progress)
    assert "YouTube ingest: rtmps://" in final_text(item) and "key: ••••••••" in final_text(item)

    [post] = fake.in_channel(world.channel)
    [card] = post["embeds"]
    assert card["title"] == "Launch party"
    fields = {f["name"]: f["value"] for f in card["fields"]}
    assert fields["Status"] == "created" and fields["When"] == "now"
    assert "★ Primary · YouTube" in fields
    [row] = post["components"]
    [button] = row["components"]
    assert button["style"] == 5 and "custom_id" not in button
    assert button["label"] == "★ Primary · YouTube"
    assert button["url"].startswith("http://127.0.0.1:3000/go/")  # golive's tracked link
    assert item.followups == []  # the announcement is in the channel, not repeated

    copies = await bot.services.announcements.copies("broadcast", card["footer"]["text"].split()[1])
    assert [(c.chat, c.channel, c.message_id) for c in copies] == [
        ("discord", str(world.channel), post["id"])
    ]


async def test_members_without_a_golive_role_are_refused_privately(
    bot, fake: FakeDiscord, world: World, services: Services
):
    payload = payloads.command(
        fake, world.guild, world.channel, world.member, "golive", title="X", platforms="youtube"
    )
    await deliver(bot, payload)
    item = answer(fake, payload)
    assert item.callback["type"] == 4
    assert item.callback["data"]["flags"] == EPHEMERAL
    assert item.callback["data"]["content"] == REFUSAL
    assert fake.messages == {}
    assert await services.livestreams.list(services.settings.workspace) == []

    # Autocomplete is refused too, with an empty list rather than silence.
    probe = payloads.command(
        fake, world.guild, world.channel, world.member, "golive", "platforms", platforms="yo"
    )
    await deliver(bot, probe)
    assert answer(fake, probe).callback == {"type": 8, "data": {"choices": []}}


async def test_moderators_may_look_but_not_create(bot, fake: FakeDiscord, world: World):
    create = payloads.command(
        fake, world.guild, world.channel, world.moderator, "golive", title="X", platforms="youtube"
    )
    await deliver(bot, create)
    assert final_text(answer(fake, create)) == "Only golive admins can create broadcasts."
    assert fake.messages == {}

    listing = payloads.command(
        fake, world.guild, world.channel, world.moderator, "golive", action="list"
    )
    await deliver(bot, listing)
    [followup] = answer(fake, listing).followups
    assert followup["content"].startswith("No broadcasts yet")
    assert not followup["flags"] & EPHEMERAL


async def test_manage_server_makes_an_admin_and_role_names_work(
    bot, fake: FakeDiscord, world: World
):
    payload = payloads.command(
        fake, world.guild, world.channel, world.owner, "meet", title="Standup", platforms="jitsi"
    )
    await deliver(bot, payload)
    [post] = fake.in_channel(world.channel)
    assert post["components"][0]["components"][0]["url"].startswith("http://127.0.0.1:3000/go/")


async def test_validation_errors_are_one_private_sentence(bot, fake: FakeDiscord, world: World):
    cases = [
        ({"title": "Launch", "platforms": "myspace"}, "myspace"),
        ({"platforms": "youtube"}, "Give the title"),
        ({"title": "Launch", "platforms": "youtube", "at": "yesterday-ish"}, "yesterday-ish"),
        ({"title": "Launch", "platforms": "youtube", "primary": "jitsi"}, "jitsi"),
    ]
    for values, expected in cases:
        payload = payloads.command(
            fake, world.guild, world.channel, world.admin, "golive", **values
        )
        await deliver(bot, payload)
        item = answer(fake, payload)
        assert item.callback["data"]["flags"] == EPHEMERAL
        assert expected in final_text(item), (values, final_text(item))
        assert item.followups == []
    assert fake.messages == {}  # nothing announced, nothing half-stored


async def test_autocomplete_offers_connected_platforms_of_the_kind(
    bot, fake: FakeDiscord, world: World, services: Services
):
    def probe(command: str, option: str, **values):
        return payloads.command(
            fake, world.guild, world.channel, world.admin, command, option, **values
        )

    first = probe("golive", "platforms", platforms="")
    await deliver(bot, first)
    assert answer(fake, first).callback["data"]["choices"] == []  # YouTube not connected yet

    await services.connections.connect_in_sandbox(services.settings.workspace, "U1", "youtube")
    second = probe("golive", "platforms", platforms="yo")
    await deliver(bot, second)
    assert answer(fake, second).callback == {
        "type": 8,
        "data": {"choices": [{"name": "youtube", "value": "youtube"}]},
    }

    meeting = probe("meet", "primary", platforms="jitsi", primary="")
    await deliver(bot, meeting)
    assert [c["value"] for c in answer(fake, meeting).callback["data"]["choices"]] == ["jitsi"]


async def test_golive_alone_opens_the_long_form(bot, fake: FakeDiscord, world: World):
    opening = payloads.command(fake, world.guild, world.channel, world.admin, "golive")
    await deliver(bot, opening)
    callback = answer(fake, opening).callback
    assert callback["type"] == 9
    modal = callback["data"]
    labels = [row["components"][0]["label"] for row in modal["components"]]
    assert labels[:3] == ["Title", "Description", "Platforms"] and len(labels) <= 5

    submit = payloads.modal_submit(
        fake,
        world.guild,
        world.channel,
        world.admin,
        modal,
        {
            "Title": "Winter concert",
            "Description": "Choir and orchestra, live from the hall.",
            "Platforms": "youtube",
            "More (optional)": "primary youtube record",
        },
    )
    await deliver(bot, submit)
    assert answer(fake, submit).callback["type"] == 5
    [post] = fake.in_channel(world.channel)
    assert post["embeds"][0]["description"] == "Choir and orchestra, live from the hall."


async def test_meeting_with_duration_and_private_invitations(bot, fake: FakeDiscord, world: World):
    ben = fake.add_user("ben")
    payload = payloads.command(
        fake,
        world.guild,
        world.channel,
        world.admin,
        "meet",
        title="Planning",
        platforms="jitsi",
        duration=45,
        **{"with": f"<@{ben}>"},
    )
    await deliver(bot, payload)
    [post] = fake.in_channel(world.channel)
    fields = {f["name"]: f["value"] for f in post["embeds"][0]["fields"]}
    assert fields["When"].endswith("45 min")
    dms = [m for m in fake.messages.values() if fake.channels[int(m["channel_id"])]["type"] == 1]
    assert len(dms) == 1 and "https://meet.jit.si/" in dms[0]["content"]
    assert f"<@{ben}>" in final_text(answer(fake, payload))


async def test_slow_platforms_never_miss_discords_three_seconds(
    bot, fake: FakeDiscord, world: World, services: Services, monkeypatch
):
    fake.answer_window = 0.3  # Discord's 3 s, scaled down: the work below takes longer
    create = services.livestreams.create

    async def slow(*args, **kwargs):
        await asyncio.sleep(0.5)
        return await create(*args, **kwargs)

    monkeypatch.setattr(services.livestreams, "create", slow)
    payload = payloads.command(
        fake, world.guild, world.channel, world.admin, "golive", title="Slow", platforms="youtube"
    )
    await deliver(bot, payload)
    item = answer(fake, payload)
    assert item.callback["type"] == 5 and fake.late_callbacks == 0
    assert "YouTube ingest" in final_text(item)  # the follow-up came after the window
    assert len(fake.in_channel(world.channel)) == 1


async def test_an_unexpected_failure_is_one_sentence_not_a_traceback(
    bot, fake: FakeDiscord, world: World, services: Services, monkeypatch
):
    async def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(services.meetings, "create", broken)
    payload = payloads.command(
        fake, world.guild, world.channel, world.admin, "meet", title="X", platforms="jitsi"
    )
    await deliver(bot, payload)
    text = final_text(answer(fake, payload))
    assert text == "Something unexpected went wrong; the details are in golive's log."


async def test_secrets_never_reach_discord_or_the_log(
    bot, fake: FakeDiscord, world: World, services: Services, caplog
):
    caplog.set_level(logging.DEBUG)
    payload = payloads.command(
        fake, world.guild, world.channel, world.admin, "golive", title="Keys", platforms="youtube"
    )
    await deliver(bot, payload)
    [stream] = await services.livestreams.list(services.settings.workspace)
    plan = await services.livestreams.ingest_plan(services.settings.workspace, stream.id, "x")
    [(_, _, key)] = plan.outputs
    item = answer(fake, payload)
    everything = json.dumps(
        [list(fake.messages.values()), fake.edits, item.original_edits, item.followups]
    )
    assert key and key not in everything and key[-4:] in everything
    assert TOKEN not in caplog.text and key not in caplog.text


async def test_a_server_can_belong_to_its_own_workspace(
    bot, fake: FakeDiscord, world: World, services: Services
):
    services.settings.discord_workspaces = f"{world.guild}=community"
    payload = payloads.command(
        fake, world.guild, world.channel, world.admin, "meet", title="Sync", platforms="jitsi"
    )
    await deliver(bot, payload)
    assert [m.title for m in await services.meetings.list("community")] == ["Sync"]
    assert await services.meetings.list(services.settings.workspace) == []


async def test_every_golive_and_platforms_action_of_the_grammar_is_offered(
    bot, fake: FakeDiscord, world
):
    commands = {c["name"]: c for c in fake.commands[world.guild]}
    golive = {o["name"]: o for o in commands["golive"]["options"]}
    offered = {c["value"] for c in golive["action"]["choices"]}
    assert {"edit", "cancel", "moderation"} <= offered
    assert golive["chat"]["type"] == 5 and golive["details"]["type"] == 3
    platforms = {o["name"]: o for o in commands["platforms"]["options"]}
    assert {"notify", "api-token", "help"} <= {c["value"] for c in platforms["action"]["choices"]}


async def test_chat_edit_cancel_and_moderation_from_discord(
    bot, fake: FakeDiscord, world: World, services: Services
):
    async def golive(**values) -> str:
        payload = payloads.command(
            fake, world.guild, world.channel, world.admin, "golive", **values
        )
        await deliver(bot, payload)
        return final_text(answer(fake, payload))

    await golive(title="Evening", platforms="youtube", at="2031-03-01 18:00 UTC", chat=True)
    [stream] = await services.livestreams.list(services.settings.workspace)
    assert stream.chat_relay

    moved = await golive(action="edit", id=stream.id, at="2031-03-02 19:30 UTC")
    assert "automatically at 2031-03-02 19:30 UTC" in moved, moved
    stream = await services.livestreams.get(services.settings.workspace, stream.id)
    assert stream.scheduled_start is not None
    assert (stream.scheduled_start.day, stream.scheduled_start.hour) == (2, 19)
    assert await golive(action="edit") == (
        "Say which broadcast to edit (id: …, see /golive action: list)."
    )

    helped = await golive(action="moderation", details="help")
    assert "YouTube: Delete message, Time out 5 min" in helped, helped
    banned = await golive(action="moderation", details="rules banned scamcoin")
    assert "scamcoin" in banned, banned
    rules = await load_rules(services.db, services.settings.workspace)
    assert "scamcoin" in rules.banned_words
    both = await golive(action="moderation", id=stream.id, details="rules banned other")
    assert both == "Give either id: or details: for moderation, not both."
    rules = await load_rules(services.db, services.settings.workspace)
    assert "other" not in rules.banned_words

    await golive(action="cancel", id=stream.id)
    stream = await services.livestreams.get(services.settings.workspace, stream.id)
    assert stream.status == "cancelled"


async def test_notices_are_chosen_from_discord(bot, fake: FakeDiscord, world: World):
    async def platforms(**values) -> str:
        payload = payloads.command(
            fake, world.guild, world.channel, world.admin, "platforms", **values
        )
        await deliver(bot, payload)
        return final_text(answer(fake, payload))

    before = await platforms(action="notify")
    assert before.startswith("Connection notices you get in Discord: expired, broken, refresh;"), (
        before
    )
    await platforms(action="notify", details="broken off")
    shown = await platforms(action="notify")
    assert shown.startswith("Connection notices you get in Discord: expired, refresh;"), shown
    wrong = await platforms(action="notify", details="weather on")
    assert wrong.startswith("Unknown notice 'weather'"), wrong
