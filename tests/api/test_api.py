"""The HTTP API end to end over real HTTP, with the sandbox's emulators behind it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.api.openapi import OPERATIONS
from bot.api.routes import ROUTES
from storage.models import AuditEntry, Livestream
from tests.core.test_announcements import FakePublisher

WAIT = {"Prefer": "wait"}


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"]
    return body


async def test_tokens_are_required_and_scoped(api) -> None:
    missing = await api.anonymous.get("/api/livestreams")
    problem(missing, 401)
    assert missing.headers["www-authenticate"].startswith("Bearer")
    forged = await api.anonymous.get(
        "/api/livestreams", headers={"Authorization": "Bearer glv_not-a-real-token"}
    )
    problem(forged, 401)
    assert (await api.read.get("/api/livestreams")).status_code == 200
    refused = await api.read.post("/api/meetings", json={"title": "x", "platforms": ["jitsi"]})
    assert "read-write" in problem(refused, 403)["detail"]
    assert await api.services.tokens.revoke("w", "dashboard", user="U1")
    problem(await api.read.get("/api/livestreams"), 401)
    async with api.services.db.sessions() as session:
        audited = await session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "api GET")
        )
    assert audited == 1  # only the authenticated read; refused calls never reach the audit


async def test_livestream_on_three_platforms_create_start_status_stop_report(api) -> None:
    slack = FakePublisher("slack")
    api.services.announcements.register(slack)
    await api.services.announcements.add_target("w", "slack", "C-announce", user="U1")
    body = {
        "title": "Launch",
        "description": "From the CMS",
        "platforms": ["youtube", "facebook", "twitch"],
        "primary": "facebook",
        "announce_channels": [{"chat": "slack", "channel": "C-extra"}],
    }
    created = await api.write.post("/api/livestreams", json=body)
    assert created.status_code == 201, created.text
    stream = created.json()
    assert created.headers["location"] == f"/api/livestreams/{stream['id']}"
    assert [p["platform"] for p in stream["platforms"]] == ["facebook", "youtube", "twitch"]
    assert [p["primary"] for p in stream["platforms"]] == [True, False, False]
    assert {p["state"] for p in stream["platforms"]} == {"ready"}
    assert sorted(c for c, _ in slack.posts) == ["C-announce", "C-extra"]

    started = await api.write.post(f"/api/livestreams/{stream['id']}/start")
    assert started.status_code == 202
    for _ in range(100):
        now = (await api.read.get(f"/api/livestreams/{stream['id']}")).json()
        if now["status"] == "live" and not any(p["progress"] for p in now["platforms"]):
            break
        await asyncio.sleep(0.05)
    assert {p["state"] for p in now["platforms"]} == {"live"}
    assert {u[2].status for u in slack.updates} == {"live"}

    stopped = await api.write.post(f"/api/livestreams/{stream['id']}/stop", headers=WAIT)
    assert stopped.status_code == 200
    assert {p["state"] for p in stopped.json()["platforms"]} == {"ended"}
    report = (await api.read.get(f"/api/livestreams/{stream['id']}/report")).json()
    assert {p["platform"]: p["state"] for p in report["platforms"]} == {
        "facebook": "ended",
        "youtube": "ended",
        "twitch": "ended",
    }
    assert next(p for p in report["platforms"] if p["platform"] == "youtube")["quota_used"] > 0
    listing = (await api.read.get("/api/livestreams")).json()["items"]
    assert [s["id"] for s in listing] == [stream["id"]]
    again = await api.write.post(f"/api/livestreams/{stream['id']}/stop", headers=WAIT)
    assert again.status_code == 200 and again.json()["status"] == "ended"


async def test_meeting_on_two_platforms_create_get_patch_delete(api) -> None:
    start = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    created = await api.write.post(
        "/api/meetings",
        json={
            "title": "Sync",
            "platforms": ["zoom", "jitsi"],
            "start": start.isoformat(),
            "duration_minutes": 30,
            "timezone": "Europe/Berlin",
        },
    )
    assert created.status_code == 201, created.text
    meeting = created.json()
    assert [p["platform"] for p in meeting["platforms"]] == ["zoom", "jitsi"]
    assert all(p["direct_url"].startswith("https://") for p in meeting["platforms"])
    assert all("/go/" in p["url"] for p in meeting["platforms"])
    assert "zak=" not in created.text  # the host's start link never leaves privately
    got = (await api.read.get(f"/api/meetings/{meeting['id']}")).json()
    assert got["timezone"] == "Europe/Berlin" and got["duration_minutes"] == 30

    patched = await api.write.patch(
        f"/api/meetings/{meeting['id']}", json={"title": "Retro", "duration_minutes": 45}
    )
    assert patched.status_code == 200 and patched.json()["title"] == "Retro"
    zoom = api.services.sandbox.emulators["zoom"]
    remote = next(iter(zoom.meetings.values()))
    assert (remote.topic, remote.duration) == ("Retro", 45)

    cancelled = await api.write.delete(f"/api/meetings/{meeting['id']}")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert zoom.meetings == {}
    problem(await api.write.delete(f"/api/meetings/{meeting['id']}"), 422)


async def test_bad_input_gets_a_problem_and_stores_nothing(api) -> None:
    cases = [
        ({"title": "x", "platforms": ["youtube"], "colour": "red"}, 400),
        ({"title": "", "platforms": ["youtube"]}, 400),
        ({"title": "x", "platforms": []}, 400),
        ({"title": "x", "platforms": ["youtub"]}, 422),
        ({"title": "x", "platforms": ["zoom"]}, 422),
        ({"title": "x", "platforms": ["youtube"], "primary": "twitch"}, 422),
        ({"title": "x", "platforms": ["youtube"], "start": "2020-01-01T10:00:00Z"}, 400),
        ({"title": "x", "platforms": ["youtube"], "settings": {"youtube": {"colour": "r"}}}, 422),
    ]
    for body, status in cases:
        problem(await api.write.post("/api/livestreams", json=body), status)
    problem(await api.write.post("/api/livestreams", content=b"{not json"), 400)
    problem(await api.read.get("/api/livestreams/nosuchid"), 404)
    problem(await api.write.post("/api/livestreams/nosuchid/start"), 404)
    async with api.services.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Livestream)) == 0


async def test_idempotency_key_creates_once_and_refuses_a_different_body(api) -> None:
    body = {"title": "Launch", "platforms": ["youtube"]}
    key = {"Idempotency-Key": "cms-42"}
    first = await api.write.post("/api/livestreams", json=body, headers=key)
    second = await api.write.post("/api/livestreams", json=body, headers=key)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json() and second.headers["idempotent-replayed"] == "true"
    other = await api.write.post("/api/livestreams", json={**body, "title": "Other"}, headers=key)
    problem(other, 422)
    async with api.services.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Livestream)) == 1


async def test_platforms_never_show_a_secret(api) -> None:
    await api.write.post("/api/livestreams", json={"title": "x", "platforms": ["youtube"]})
    listed = await api.read.get("/api/platforms")
    assert listed.status_code == 200
    by_name = {p["platform"]: p for p in listed.json()["items"]}
    assert by_name["youtube"]["status"] == "connected"
    assert by_name["jitsi"]["status"] == "ready"
    assert "token" not in listed.text.lower()


def test_openapi_document_matches_the_routes() -> None:
    served = {(m, "/api" + p) for m, p, _ in ROUTES if p != "/openapi.json"}
    documented = {(m, p) for m, p, *_ in OPERATIONS}
    assert served == documented


async def test_openapi_is_served_without_a_token(api) -> None:
    doc = (await api.anonymous.get("/api/openapi.json")).json()
    assert doc["openapi"] == "3.1.0"
    assert set(doc["paths"]) == {p for _, p, *_ in OPERATIONS}
