"""Property: retried API calls with idempotency keys change the state exactly once each."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from storage.models import Livestream

WAIT = {"Prefer": "wait"}


@dataclass(frozen=True)
class Call:
    action: str  # create, start, stop, delete
    target: int  # which created broadcast (modulo how many exist)
    key: str
    retries: int


calls = st.lists(
    st.builds(
        Call,
        st.sampled_from(["create", "start", "stop", "delete"]),
        st.integers(0, 3),
        st.one_of(st.sampled_from(["k1", "k2"]), st.text("abcdef0123", min_size=6, max_size=12)),
        st.integers(0, 2),
    ),
    min_size=1,
    max_size=6,
)

#: what one distinct call does to a broadcast's status in the model
TRANSITIONS = {
    ("start", "created"): "live",
    ("stop", "created"): "ended",
    ("stop", "live"): "ended",
    ("delete", "created"): "cancelled",
    ("delete", "live"): "cancelled",
}


RUNS = iter(range(1_000_000))


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(sequence=calls)
async def test_retries_with_keys_apply_each_distinct_call_once(api, sequence: list[Call]) -> None:
    run = next(RUNS)
    model: dict[str, str] = {}  # broadcast id -> status
    seen: dict[str, tuple] = {}  # key -> (request, first answer)
    created: list[str] = []
    for call in sequence:
        key = f"r{run}-{call.key}"
        if call.action == "create":
            method, path, body = (
                "POST",
                "/api/livestreams",
                {
                    "title": f"Run {run}",
                    "platforms": ["twitch"],
                },
            )
        else:
            if not created:
                continue
            target = created[call.target % len(created)]
            body = None
            method, path = (
                ("DELETE", f"/api/livestreams/{target}")
                if call.action == "delete"
                else ("POST", f"/api/livestreams/{target}/{call.action}")
            )
        answers = []
        for _ in range(1 + call.retries):
            response = await api.write.request(
                method, path, json=body, headers={"Idempotency-Key": key, **WAIT}
            )
            answers.append((response.status_code, response.json()))
        request = (method, path, repr(body))
        if key in seen:
            before, first = seen[key]
            expected = first if before == request else None
            for status, answer in answers:
                if expected is None:  # the key was used for another request: refused
                    assert status == 422 and answer["title"] == "Idempotency-Key reused"
                else:
                    assert (status, answer) == expected
            continue  # nothing may change either way
        seen[key] = (request, answers[0])
        first = answers[0]
        assert all(a == first for a in answers), "a retry answered differently"
        if call.action == "create" and first[0] == 201:
            created.append(first[1]["id"])
            model[first[1]["id"]] = "created"
        elif call.action != "create":
            target_status = model[target]
            new = TRANSITIONS.get((call.action, target_status))
            if new:
                model[target] = new
    async with api.services.db.sessions() as session:
        ids = list(model)
        rows = (await session.execute(select(Livestream).where(Livestream.id.in_(ids)))).scalars()
        stored = {r.id: r.status for r in rows}
        count = await session.scalar(
            select(func.count()).select_from(Livestream).where(Livestream.title == f"Run {run}")
        )
    assert stored == model
    assert count == len(created)
