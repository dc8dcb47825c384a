"""Guild scheduled events in the fake Discord (``/guilds/{guild.id}/scheduled-events``).

Modelled on discord/discord-api-docs resources/guild-scheduled-event.mdx: create (POST) with
``name`` 1-100, ``description`` up to 1000, ``privacy_level`` 2 (GUILD_ONLY, the only value),
``scheduled_start_time`` ISO8601 and not in the past, ``entity_type`` 1-3; an EXTERNAL (3)
event has no ``channel_id`` and requires ``entity_metadata.location`` (1-100) and a
``scheduled_end_time`` after the start. Modify (PATCH) takes the same fields, all optional,
plus ``status``: SCHEDULED (1) may become ACTIVE (2) or CANCELED (4), ACTIVE may become
COMPLETED (3), nothing else; Discord itself makes an external event ACTIVE at its start and
COMPLETED at its end (:meth:`ScheduledEvents.automate`). Get (GET one) returns the event.
Delete answers 204. Every route needs the bot's MANAGE_EVENTS permission (1 << 33) in the
guild, else 403 with code 50013 "Missing Permissions"; an unknown event is 404 with code 10070
"Unknown Guild Scheduled Event". Form errors are the 400 with code 50035 "Invalid Form Body"
and the nested ``errors`` tree."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.discord.rules import FormErrors, as_json, error

MANAGE_EVENTS = 1 << 33
EXTERNAL = 3
GUILD_ONLY = 2
#: status -> the statuses Discord lets it change to
TRANSITIONS = {1: {2, 4}, 2: {3}, 3: set(), 4: set()}


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class ScheduledEvents:
    """The events of every guild of one fake, and its routes."""

    def __init__(self, fake: Any) -> None:
        self.fake = fake
        self.events: dict[int, dict[str, Any]] = {}  # id -> event object
        #: guilds where the bot lacks MANAGE_EVENTS
        self.without_permission: set[int] = set()

    def routes(self, router: web.UrlDispatcher, base: str) -> None:
        path = f"{base}/guilds/{{guild}}/scheduled-events"
        router.add_post(path, self.create)
        router.add_get(path, self.list)
        router.add_get(f"{path}/{{event}}", self.get)
        router.add_patch(f"{path}/{{event}}", self.modify)
        router.add_delete(f"{path}/{{event}}", self.delete)

    def in_guild(self, guild_id: int) -> list[dict[str, Any]]:
        return [e for e in self.events.values() if e["guild_id"] == str(guild_id)]

    # -- checks ----------------------------------------------------------------------------

    def automate(self, now: datetime | None = None) -> None:
        """What Discord does by itself: an external event becomes ACTIVE at its scheduled
        start and COMPLETED at its scheduled end (guild-scheduled-event.mdx, "Status Update
        Automation"). Applied before every request, as time passes."""
        now = now or datetime.now(UTC)
        for event in self.events.values():
            if event["entity_type"] != EXTERNAL:
                continue
            start = _time(event["scheduled_start_time"])
            end = _time(event.get("scheduled_end_time"))
            if event["status"] == 1 and start is not None and start <= now:
                event["status"] = 2
            if event["status"] == 2 and end is not None and end <= now:
                event["status"] = 3

    def _guard(self, request: web.Request) -> tuple[int, web.Response | None]:
        self.automate()
        guild_id = int(request.match_info["guild"])
        if guild_id not in self.fake.guilds:
            return guild_id, error(404, 10004, "Unknown Guild")
        if guild_id in self.without_permission:
            return guild_id, error(403, 50013, "Missing Permissions")
        return guild_id, None

    @staticmethod
    def _check(body: dict[str, Any], current: dict[str, Any] | None) -> web.Response | None:
        """The create rules (``current`` None) or the modify rules against the event as it is."""
        problems = FormErrors()
        merged = {**(current or {}), **body}
        creating = current is None
        name = body.get("name")
        if (creating or "name" in body) and not (isinstance(name, str) and 1 <= len(name) <= 100):
            problems.add(["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        description = body.get("description")
        if description is not None and (
            not isinstance(description, str) or len(description) > 1000
        ):
            problems.add(
                ["description"], "BASE_TYPE_BAD_LENGTH", "Must be 1000 or fewer in length."
            )
        if (creating or "privacy_level" in body) and body.get("privacy_level") != GUILD_ONLY:
            problems.add(["privacy_level"], "BASE_TYPE_CHOICES", "Value must be one of {2}.")
        if creating and body.get("entity_type") not in (1, 2, EXTERNAL):
            problems.add(["entity_type"], "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3}.")
        start = _time(merged.get("scheduled_start_time"))
        if creating or "scheduled_start_time" in body:
            if start is None:
                problems.add(["scheduled_start_time"], "DATE_TIME_TYPE_PARSE", "Invalid date.")
            elif start < datetime.now(UTC):
                problems.add(
                    ["scheduled_start_time"],
                    "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST",
                    "Cannot schedule event in the past.",
                )
        if merged.get("entity_type") == EXTERNAL:
            if merged.get("channel_id") is not None:
                problems.add(["channel_id"], "BASE_TYPE_NULL", "Must be null for EXTERNAL.")
            location = (merged.get("entity_metadata") or {}).get("location")
            if not location:
                problems.add(
                    ["entity_metadata", "location"], "BASE_TYPE_REQUIRED", "This field is required"
                )
            elif not isinstance(location, str) or len(location) > 100:
                problems.add(
                    ["entity_metadata", "location"],
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 100 in length.",
                )
            end = _time(merged.get("scheduled_end_time"))
            if end is None:
                problems.add(["scheduled_end_time"], "BASE_TYPE_REQUIRED", "This field is required")
            elif start is not None and end <= start:
                problems.add(
                    ["scheduled_end_time"],
                    "GUILD_SCHEDULED_EVENT_END_BEFORE_START",
                    "Cannot end before the start.",
                )
        status = body.get("status")
        allowed = set() if current is None else TRANSITIONS.get(int(current["status"]), set())
        if status is not None and status not in allowed:
            problems.add(["status"], "GUILD_SCHEDULED_EVENT_INVALID_STATUS", "Invalid status.")
        return problems.response()

    # -- routes ----------------------------------------------------------------------------

    async def create(self, request: web.Request) -> web.Response:
        guild_id, bad = self._guard(request)
        if bad is not None:
            return bad
        body = await request.json()
        if (bad := self._check(body, None)) is not None:
            return bad
        event_id = self.fake.snowflake()
        event = {
            "id": str(event_id),
            "guild_id": str(guild_id),
            "channel_id": body.get("channel_id"),
            "creator_id": str(self.fake.bot_user["id"]),
            "creator": self.fake.bot_user,
            "name": body["name"],
            "description": body.get("description"),
            "scheduled_start_time": body["scheduled_start_time"],
            "scheduled_end_time": body.get("scheduled_end_time"),
            "privacy_level": body["privacy_level"],
            "status": 1,
            "entity_type": body["entity_type"],
            "entity_id": None,
            "entity_metadata": body.get("entity_metadata"),
            "user_count": 0,
            "image": None,
            "recurrence_rule": None,
        }
        self.events[event_id] = event
        return as_json(event)

    async def list(self, request: web.Request) -> web.Response:
        guild_id, bad = self._guard(request)
        if bad is not None:
            return bad
        return as_json(self.in_guild(guild_id))

    def _event(self, request: web.Request, guild_id: int) -> dict[str, Any] | None:
        event = self.events.get(int(request.match_info["event"]))
        if event is None or event["guild_id"] != str(guild_id):
            return None
        return event

    async def get(self, request: web.Request) -> web.Response:
        guild_id, bad = self._guard(request)
        if bad is not None:
            return bad
        event = self._event(request, guild_id)
        if event is None:
            return error(404, 10070, "Unknown Guild Scheduled Event")
        return as_json(event)

    async def modify(self, request: web.Request) -> web.Response:
        guild_id, bad = self._guard(request)
        if bad is not None:
            return bad
        event = self._event(request, guild_id)
        if event is None:
            return error(404, 10070, "Unknown Guild Scheduled Event")
        body = await request.json()
        if (bad := self._check(body, event)) is not None:
            return bad
        event.update(body)
        return as_json(event)

    async def delete(self, request: web.Request) -> web.Response:
        guild_id, bad = self._guard(request)
        if bad is not None:
            return bad
        event = self._event(request, guild_id)
        if event is None:
            return error(404, 10070, "Unknown Guild Scheduled Event")
        del self.events[int(event["id"])]
        return web.Response(status=204)
