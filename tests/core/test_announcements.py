"""Cross-posting: every target gets one copy, every copy is edited, a broken channel is skipped."""

from __future__ import annotations

from bot.handlers import Requester, run
from bot.services.context import Services
from bot.views import Announcement


class FakePublisher:
    def __init__(self, chat: str, broken: set[str] | None = None) -> None:
        self.chat = chat
        self.broken = broken or set()
        self.posts: list[tuple[str, Announcement]] = []
        self.updates: list[tuple[str, str, Announcement]] = []
        self.threads: list[tuple[str, str, str]] = []

    async def post(self, workspace: str, channel: str, announcement: Announcement) -> str:
        if channel in self.broken:
            raise RuntimeError("channel_not_found")
        self.posts.append((channel, announcement))
        return f"m{len(self.posts)}"

    async def update(self, workspace, channel, message_id, announcement) -> None:
        self.updates.append((channel, message_id, announcement))

    async def open_thread(self, workspace, channel, message_id, name) -> str:
        self.threads.append((channel, message_id, name))
        return f"t-{message_id}"


async def test_create_posts_once_per_channel_and_updates_follow(services: Services) -> None:
    slack, discord = FakePublisher("slack"), FakePublisher("discord", broken={"D-gone"})
    services.announcements.register(slack)
    services.announcements.register(discord)
    board = services.announcements
    assert await board.add_target("w", "discord", "D1", user="U1")
    assert await board.add_target("w", "discord", "D-gone", user="U1")
    assert not await board.add_target("w", "discord", "D1", user="U1")
    who = Requester("w", "U1", chat="slack", channel="C1")

    created = await run(services, who, "golive", '"Launch" on youtube')
    assert created.ok, created.private
    assert created.posts == []  # the announcement is in C1 itself, not in a reply
    assert [c for c, _ in slack.posts] == ["C1"]
    assert [c for c, _ in discord.posts] == ["D1"]  # D-gone failed and did not stop D1

    started = await run(services, who, "golive", "start")
    assert started.ok
    assert {(u[0], u[2].status) for u in slack.updates + discord.updates} == {
        ("C1", "live"),
        ("D1", "live"),
    }
    stream_id = slack.posts[0][1].id
    opened = await board.open_threads("w", slack.posts[0][1], "Launch chat")
    assert {c.thread_id for c in opened} == {"t-m1"}
    again = await board.open_threads("w", slack.posts[0][1], "Launch chat")
    assert len(slack.threads) + len(discord.threads) == 2 and again == opened
    copies = await board.copies("broadcast", stream_id)
    assert [(c.chat, c.channel) for c in copies] == [("slack", "C1"), ("discord", "D1")]

    # Publishing the same announcement again duplicates nothing.
    assert await board.publish("w", slack.posts[0][1], also=[("slack", "C1")]) == []


async def test_console_without_publishers_gets_the_post(services: Services) -> None:
    reply = await run(services, Requester("w", "U1"), "meet", '"Sync" on jitsi')
    assert reply.ok and len(reply.posts) == 1


async def test_targets_can_be_removed_and_are_per_workspace(services: Services) -> None:
    board = services.announcements
    await board.add_target("w", "slack", "C1", user="U1")
    assert await board.targets("other") == []
    assert await board.remove_target("w", "slack", "C1", user="U1")
    assert not await board.remove_target("w", "slack", "C1", user="U1")
    assert await board.targets("w") == []
