"""Connection health against the emulators: refresh ahead of expiry, one notice per problem,
and the seed property "connection status accuracy"."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.handlers import Requester, run
from bot.services.context import Services
from bot.services.health import HealthNotice
from providers.base import Credentials
from storage.models import Connection, ConnectionNotice

WHO = Requester("w", "U1")


async def connect(services: Services, platform: str = "youtube") -> None:
    reply = await run(services, WHO, "platforms", f"connect {platform}")
    assert reply.ok, reply.private


async def stored(services: Services, platform: str = "youtube") -> tuple[Connection, Credentials]:
    async with services.db.transaction() as session:
        row = (
            await session.execute(select(Connection).where(Connection.platform == platform))
        ).scalar_one()
        raw = services.vault.decrypt(
            session, row.credentials_enc, what="t", operation="test", actor="test"
        )
    return row, Credentials.from_json(json.loads(raw))


async def shown(services: Services, platform: str = "youtube") -> str:
    views = {v.platform: v for v in await services.connections.list("w")}
    return views[platform].status


def collect(services: Services) -> list[HealthNotice]:
    sent: list[HealthNotice] = []

    async def notifier(notice: HealthNotice) -> None:
        sent.append(notice)

    services.health.add_notifier(notifier)
    return sent


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # storage-independent
async def test_a_token_about_to_expire_is_refreshed_ahead_of_time(services: Services):
    oauth = services.sandbox.emulators["youtube"].oauth
    oauth.expires_in = 300  # five minutes: inside the refresh-ahead window
    await connect(services)
    _, before = await stored(services)
    oauth.expires_in = 3600
    [result] = await services.health.check_all()
    assert result.refreshed and result.status == "connected"
    row, after = await stored(services)
    assert after.access_token.get_secret_value() != before.access_token.get_secret_value()
    assert after.expires_at > before.expires_at
    assert row.status == "connected" and row.last_error is None
    # the new token works at the platform; the old one is still inside its own lifetime
    assert after.access_token.get_secret_value() in oauth.access_tokens
    # a second run finds nothing to refresh
    [again] = await services.health.check_all()
    assert not again.refreshed and again.status == "connected"


async def test_a_token_that_cannot_be_refreshed_notifies_admins_exactly_once(services: Services):
    sent = collect(services)
    await connect(services)
    faults = services.sandbox.emulators["youtube"].faults
    faults.expire_tokens = True
    faults.refuse_refresh = True
    results = [await services.health.check("w", "youtube") for _ in range(4)]
    assert [r.status for r in results] == ["expired"] * 4
    assert [r.notified for r in results] == [True, False, False, False]
    [notice] = sent
    assert notice.problem == "expired" and notice.reconnect == "/platforms connect youtube"
    assert "/platforms connect youtube" in notice.text
    assert await shown(services) == "expired"
    row, _ = await stored(services)
    assert row.last_error  # the platform's reason is kept
    # the admin reconnects: the problem is resolved, and a later one is told again
    faults.reset()
    await connect(services)
    assert (await services.health.check("w", "youtube")).status == "connected"
    async with services.db.sessions() as session:
        notices = (await session.execute(select(ConnectionNotice))).scalars().all()
    assert [n.resolved_at is not None for n in notices] == [True]
    faults.expire_tokens = faults.refuse_refresh = True
    await services.health.check("w", "youtube")
    assert len(sent) == 2


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # storage-independent
async def test_refresh_refused_ahead_of_expiry_warns_once_but_stays_usable(services: Services):
    sent = collect(services)
    oauth = services.sandbox.emulators["youtube"].oauth
    oauth.expires_in = 300
    await connect(services)
    oauth.faults.refuse_refresh = True
    for _ in range(3):
        result = await services.health.check("w", "youtube")
        assert result.status == "connected"
        assert "refused to renew" in (result.reason or "")
    assert [n.problem for n in sent] == ["refresh refused"]


EVENTS = st.lists(
    st.sampled_from(["expire", "refresh ok", "refresh refused", "reconnect", "check"]),
    min_size=1,
    max_size=6,
)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # storage-independent
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(events=EVENTS)
async def test_connection_status_accuracy(services: Services, events: list[str]):
    """After any sequence of token events, the shown status is the platform's true state at
    the last check."""
    emulator = services.sandbox.emulators["youtube"]
    emulator.faults.reset()
    await connect(services)
    await services.health.check("w", "youtube")
    token_valid, refresh_allowed = True, True
    expected = "connected"
    for event in [*events, "check"]:
        if event == "expire":
            for record in emulator.oauth.access_tokens.values():
                record.expires_at = 0
            token_valid = False
        elif event == "refresh ok":
            emulator.faults.refuse_refresh = False
            refresh_allowed = True
        elif event == "refresh refused":
            emulator.faults.refuse_refresh = True
            refresh_allowed = False
        elif event == "reconnect":
            emulator.faults.refuse_refresh = False  # a sign-in is not a refresh
            await connect(services)
            emulator.faults.refuse_refresh = not refresh_allowed
            token_valid = True
            expected = "connected"  # a fresh sign-in is shown at once
        else:
            if not token_valid and refresh_allowed:
                token_valid = True
            expected = "connected" if token_valid else "expired"
            await services.health.check("w", "youtube")
        assert await shown(services) == expected, (events, event)
