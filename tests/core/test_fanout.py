"""Fan-out across platforms: each selected one exactly once, failures isolated, nothing lost."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.handlers import Requester, run
from bot.services.context import Services
from providers import platforms
from providers.base import Kind
from storage.models import Livestream, LivestreamPlatform, Meeting

LIVE = platforms(Kind.LIVESTREAM)
MEET = platforms(Kind.MEETING)
WHO = Requester("w", "U1")
EXAMPLES = settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))


def calls(services: Services, platform: str) -> list[tuple[str, str]]:
    """API requests (not sign-in) an emulator answered."""
    seen = services.sandbox.requests.get(platform, [])
    return [r for r in seen if "oauth" not in r[1] and "token" not in r[1] and "dialog" not in r[1]]


def reset(services: Services) -> None:
    for name, emulator in services.sandbox.emulators.items():
        emulator.faults.reset()
        services.sandbox.requests[name].clear()


subsets = st.lists(st.sampled_from(LIVE), min_size=1, unique=True)


@EXAMPLES
@given(chosen=subsets, data=st.data())
async def test_every_selected_platform_once_and_no_other_touched(
    services: Services, chosen: list[str], data
) -> None:
    reset(services)
    primary = data.draw(st.sampled_from(chosen))
    created = await run(services, WHO, "golive", f'"Show" on {",".join(chosen)} primary {primary}')
    assert created.ok, created.private
    stream_id = created.posts[0].id
    started = await run(services, WHO, "golive", f"start {stream_id}")
    assert started.ok, started.private
    async with services.db.sessions() as session:
        rows = (
            (
                await session.execute(
                    select(LivestreamPlatform).where(LivestreamPlatform.livestream_id == stream_id)
                )
            )
            .scalars()
            .all()
        )
    assert sorted(r.platform for r in rows) == sorted(chosen)  # one row each, none extra
    assert {r.platform: r.status for r in rows} == dict.fromkeys(chosen, "live")
    assert all(r.attempts == 2 for r in rows)  # created once, started once
    assert started.posts[0].links[0].platform == primary
    for name in services.sandbox.emulators:
        if name not in chosen:
            assert calls(services, name) == [], f"{name} was not chosen but was called"


@EXAMPLES
@given(chosen=subsets, data=st.data())
async def test_healthy_platforms_reach_live_whatever_fails(
    services: Services, chosen: list[str], data
) -> None:
    reset(services)
    with_api = [p for p in chosen if p in services.sandbox.emulators]
    failing = data.draw(st.lists(st.sampled_from(with_api), unique=True)) if with_api else []
    created = await run(services, WHO, "golive", f'"Show" on {",".join(chosen)}')
    if not created.ok:  # every platform failed at creation: nothing may be stored
        assert set(failing) == set(chosen)
        return
    for name in failing:
        services.sandbox.emulators[name].faults.error_rate = 1.0
    stream_id = created.posts[0].id
    started = await run(services, WHO, "golive", f"start {stream_id}")
    states = {link.platform: link.state for link in started.posts[0].links}
    for name in chosen:
        assert states[name] == ("failed" if name in failing else "live"), (name, states)
    for name in failing:
        services.sandbox.emulators[name].faults.reset()
    stopped = await run(services, WHO, "golive", f"stop {stream_id}")
    states = {link.platform: link.state for link in stopped.posts[0].links}
    assert all(states[name] == "ended" for name in chosen if name not in failing)


async def test_expired_token_that_cannot_refresh_fails_only_that_platform(services) -> None:
    created = await run(services, WHO, "golive", '"Show" on youtube,facebook,twitch,instagram')
    stream_id = created.posts[0].id
    twitch = services.sandbox.emulators["twitch"].faults
    twitch.expire_tokens = True
    twitch.refuse_refresh = True
    started = await run(services, WHO, "golive", f"start {stream_id}")
    links = {link.platform: link for link in started.posts[0].links}
    assert links["twitch"].state == "failed" and "connect" in links["twitch"].error.lower()
    assert {links[p].state for p in ("youtube", "facebook", "instagram")} == {"live"}
    listing = {v.platform: v for v in await services.connections.list("w")}
    assert listing["twitch"].status == "expired"
    stopped = await run(services, WHO, "golive", f"stop {stream_id}")
    assert {link.state for link in stopped.posts[0].links if link.platform != "twitch"} == {"ended"}
    async with services.db.sessions() as session:  # nothing lost, nothing duplicated
        assert await session.scalar(select(func.count()).select_from(Livestream)) == 1
        count = await session.scalar(select(func.count()).select_from(LivestreamPlatform))
        assert count == 4


async def test_a_failing_platform_at_creation_is_reported_and_the_rest_stand(services) -> None:
    services.sandbox.emulators["facebook"].faults.error_rate = 1.0
    created = await run(services, WHO, "golive", '"Show" on youtube,facebook,restream')
    links = {link.platform: link for link in created.posts[0].links}
    assert links["facebook"].state == "failed" and links["facebook"].error
    assert links["youtube"].state == links["restream"].state == "ready"


meeting_subsets = st.lists(st.sampled_from(MEET), min_size=1, unique=True)


@EXAMPLES
@given(chosen=meeting_subsets, data=st.data())
async def test_meeting_links_one_valid_unique_link_per_platform(
    services: Services, chosen: list[str], data
) -> None:
    reset(services)
    primary = data.draw(st.sampled_from(chosen))
    reply = await run(services, WHO, "meet", f'"Sync" on {",".join(chosen)} primary {primary}')
    assert reply.ok, reply.private
    post = reply.posts[0]
    assert post.links[0].platform == primary
    assert sorted(link.platform for link in post.links) == sorted(chosen)
    direct = [link.direct_url for link in post.links]
    assert all(url and url.startswith("https://") for url in direct)
    assert len(set(direct)) == len(direct) and len({link.url for link in post.links}) == len(direct)
    assert [link.primary for link in post.links].count(True) == 1


async def test_failing_zoom_leaves_teams_and_jitsi_posted(services) -> None:
    services.sandbox.emulators["zoom"].faults.error_rate = 1.0
    reply = await run(services, WHO, "meet", '"Sync" on zoom,teams,jitsi primary zoom for 30m')
    assert reply.ok
    links = {link.platform: link for link in reply.posts[0].links}
    assert links["zoom"].state == "failed" and links["zoom"].url is None
    assert "try again" in links["zoom"].error.lower() or "later" in links["zoom"].error.lower()
    assert links["teams"].direct_url.startswith("https://teams.microsoft.com/")
    assert links["jitsi"].direct_url.startswith("https://meet.jit.si/")
    async with services.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Meeting)) == 1


async def test_two_first_uses_at_once_connect_once(services) -> None:
    replies = await asyncio.gather(
        *(run(services, WHO, "golive", f'"Show {n}" on twitch') for n in range(4))
    )
    assert all(r.ok for r in replies), [r.private for r in replies]
    assert len(await services.connections.list("w")) == 1
