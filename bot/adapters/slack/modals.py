"""The ``/golive`` and ``/meet`` forms (Slack modals) and reading a submitted one.

A submission is checked here and every problem is returned per field, so Slack shows it next
to the field (``response_action: errors``) and nothing is stored. What passes becomes the same
typed command the grammar produces, so a form and a typed command behave the same.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot import commands as c
from bot.adapters.slack.blocks import Block, cut, mrkdwn, plain
from bot.messages import display
from providers.base import Kind

FORM = "golive_form"
STREAM_KEY = "golive_stream_key"


def _option(value: str, text: str) -> dict[str, Any]:
    return {"text": plain(text, 75), "value": value}


def _input(block_id: str, label: str, element: dict[str, Any], *, optional=False, hint=None):
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def form(
    kind: str,
    ready: list[str],
    unconnected: list[tuple[str, str]],
    *,
    channel: str | None,
    timezone: str,
) -> dict[str, Any]:
    """``ready``: platforms usable now; ``unconnected``: (platform, how to connect it)."""
    meeting = kind == "meet"
    blocks: list[Block] = [
        _input(
            "title",
            "Title",
            {"type": "plain_text_input", "action_id": "value", "max_length": c.MAX_TITLE_LENGTH},
        ),
    ]
    if not meeting:
        blocks.append(
            _input(
                "description",
                "Description",
                {"type": "plain_text_input", "action_id": "value", "multiline": True},
                optional=True,
            )
        )
    if ready:
        options = [_option(p, display(p)) for p in ready[:10]]
        blocks.append(
            _input(
                "platforms",
                "Platforms",
                {"type": "checkboxes", "action_id": "value", "options": options},
            )
        )
        blocks.append(
            _input(
                "primary",
                "Primary platform",
                {"type": "static_select", "action_id": "value", "options": options},
                optional=True,
                hint="Its link comes first and is highlighted; default: the first one ticked.",
            )
        )
    else:
        blocks.append({"type": "section", "text": mrkdwn("No platform is connected yet.")})
    if unconnected:
        lines = "\n".join(f"• {display(p)}: {how}" for p, how in unconnected)
        blocks.append({"type": "context", "elements": [mrkdwn(f"Not connected:\n{lines}")]})
    blocks.append(
        _input(
            "start",
            "Start",
            {"type": "datetimepicker", "action_id": "value"},
            optional=True,
            hint="Leave empty to start now.",
        )
    )
    blocks.append(
        _input(
            "timezone",
            "Time zone",
            {"type": "plain_text_input", "action_id": "value", "initial_value": timezone},
            hint="An IANA name such as Europe/Berlin; the announcement shows times in it.",
        )
    )
    if meeting:
        blocks.append(
            _input(
                "duration",
                "Duration (minutes)",
                {
                    "type": "number_input",
                    "action_id": "value",
                    "is_decimal_allowed": False,
                    "initial_value": str(c.DEFAULT_DURATION_MINUTES),
                },
            )
        )
    options = [_option("record", "Record")]
    if not meeting:
        options.append(_option("relay", "Relay live chat into a thread"))
    blocks.append(
        _input(
            "options",
            "Options",
            {"type": "checkboxes", "action_id": "value", "options": options},
            optional=True,
        )
    )
    blocks.append(
        _input(
            "channels",
            "Also announce in",
            {
                "type": "multi_conversations_select",
                "action_id": "value",
                "filter": {"include": ["public", "private"], "exclude_bot_users": True},
            },
            optional=True,
        )
    )
    noun = "meeting" if meeting else "broadcast"
    return {
        "type": "modal",
        "callback_id": FORM,
        "title": plain(f"New {noun}", 24),
        "submit": plain("Create", 24),
        "close": plain("Cancel", 24),
        "private_metadata": json.dumps({"kind": kind, "channel": channel}),
        "blocks": blocks,
    }


def _value(values: dict[str, Any], block: str) -> dict[str, Any]:
    return (values.get(block) or {}).get("value") or {}


def read(
    view: dict[str, Any], now: datetime | None = None
) -> tuple[c.Command | None, dict[str, str], dict[str, Any]]:
    """(command, errors by block id, metadata with ``channel``, ``channels`` and ``relay``)."""
    meta = json.loads(view.get("private_metadata") or "{}")
    kind = meta.get("kind", "golive")
    values = (view.get("state") or {}).get("values") or {}
    errors: dict[str, str] = {}
    now = now or datetime.now(UTC)

    title = (_value(values, "title").get("value") or "").strip()
    if not title:
        errors["title"] = "Give it a title."
    elif len(title) > c.MAX_TITLE_LENGTH:
        errors["title"] = f"Keep the title to {c.MAX_TITLE_LENGTH} characters."
    chosen = tuple(o["value"] for o in _value(values, "platforms").get("selected_options") or [])
    if "platforms" in values and not chosen:
        errors["platforms"] = "Tick at least one platform."
    elif "platforms" not in values:
        errors["title"] = errors.get("title") or "Connect a platform first: /platforms."
    primary_option = _value(values, "primary").get("selected_option")
    primary = primary_option["value"] if primary_option else (chosen[0] if chosen else "")
    if chosen and primary not in chosen:
        errors["primary"] = (
            f"The primary platform must be one of those ticked: {', '.join(chosen)}."
        )
    zone = (_value(values, "timezone").get("value") or "UTC").strip()
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        errors["timezone"] = f"'{cut(zone, 40)}' is not a time zone such as Europe/Berlin or UTC."
    start = None
    picked = _value(values, "start").get("selected_date_time")
    if picked:
        start = datetime.fromtimestamp(int(picked), UTC)
        if start <= now:
            errors["start"] = "That time is in the past: pick a later one, or leave it empty."
    duration = c.DEFAULT_DURATION_MINUTES
    if kind == "meet":
        raw = _value(values, "duration").get("value") or str(c.DEFAULT_DURATION_MINUTES)
        try:
            duration = int(raw)
        except ValueError:
            duration = 0
        if not 1 <= duration <= c.MAX_DURATION_MINUTES:
            errors["duration"] = f"Between 1 and {c.MAX_DURATION_MINUTES} minutes."
    options = {o["value"] for o in _value(values, "options").get("selected_options") or []}
    meta["channels"] = list(_value(values, "channels").get("selected_conversations") or [])
    meta["relay"] = "relay" in options
    meta["timezone"] = zone
    if errors:
        return None, errors, meta
    record = "record" in options
    if kind == "meet":
        command: c.Command = c.CreateMeeting(
            title=title,
            platforms=chosen,
            primary=primary,
            start=start,
            duration_minutes=duration,
            record=record,
        )
    else:
        description = (_value(values, "description").get("value") or "").strip()
        command = c.CreateBroadcast(
            title=title,
            platforms=chosen,
            primary=primary,
            start=start,
            record=record,
            description=description,
        )
    return command, {}, meta


def form_kind(kind: str) -> Kind:
    return Kind.MEETING if kind == "meet" else Kind.LIVESTREAM


def stream_key(platform: str, example_args: tuple[str, ...]) -> dict[str, Any]:
    """Key-based platforms (Instagram, custom RTMP): the ingest URL and key, stored encrypted."""
    examples = example_args or ("rtmps://example.com/live", "stream-key")
    blocks = [
        _input(
            f"arg{i}",
            ("Stream URL", "Stream key")[i] if i < 2 else f"Setting {i + 1}",
            {
                "type": "plain_text_input",
                "action_id": "value",
                "placeholder": plain(cut(example, 150), 150),
            },
            optional=i >= 2,
        )
        for i, example in enumerate(examples)
    ]
    return {
        "type": "modal",
        "callback_id": STREAM_KEY,
        "title": plain(cut(f"Connect {display(platform)}", 24), 24),
        "submit": plain("Connect", 24),
        "close": plain("Cancel", 24),
        "private_metadata": json.dumps({"platform": platform, "count": len(examples)}),
        "blocks": blocks,
    }


def read_stream_key(view: dict[str, Any]) -> tuple[str, list[str]]:
    meta = json.loads(view.get("private_metadata") or "{}")
    values = (view.get("state") or {}).get("values") or {}
    args = []
    for i in range(int(meta.get("count", 0))):
        value = (_value(values, f"arg{i}").get("value") or "").strip()
        if value:
            args.append(value)
    return meta.get("platform", ""), args
