"""What Discord's REST API rejects, for the fake: form-body rules and its error JSON.

From discord/discord-api-docs: reference.mdx (error ``{code, message, errors}``, code 50035
"Invalid Form Body" with nested ``_errors``), resources/message.mdx (content 2000, 10 embeds,
embed limits and the 6000-character total), components/reference.mdx (at most 5 action rows
of 5 buttons; a link button, style 5, has a url and no custom_id; other styles need a
custom_id; label 80, url 512; a string select, type 3, fills its action row alone, has a
``custom_id`` of 1-100, 1-25 options of label and value 1-100 each, description 100,
placeholder 150, ``min_values`` 0-25 and ``max_values`` 1-25; custom ids are unique within a
message) and interactions/application-commands.mdx (names 1-32
lowercase, descriptions 1-100, 25 options with required ones first, 25 choices, no
autocomplete together with choices).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

_NAME = re.compile(r"^[-_\w]{1,32}$")
_EMBED_LIMITS = {"title": 256, "description": 4096, "footer.text": 2048, "author.name": 256}


def now() -> str:
    return datetime.now(UTC).isoformat()


def as_json(body: Any, status: int = 200) -> web.Response:
    """Discord answers ``Content-Type: application/json`` with no charset (discord.py checks)."""
    return web.Response(
        body=json.dumps(body).encode(), status=status, headers={"Content-Type": "application/json"}
    )


def error(status: int, code: int, message: str, errors: dict | None = None) -> web.Response:
    body: dict[str, Any] = {"message": message, "code": code}
    if errors:
        body["errors"] = errors
    return as_json(body, status=status)


class FormErrors:
    """Discord's nested ``errors`` object: path segments down to ``_errors`` lists."""

    def __init__(self) -> None:
        self.tree: dict[str, Any] = {}

    def add(self, path: list[str | int], code: str, message: str) -> None:
        node = self.tree
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def response(self) -> web.Response | None:
        if not self.tree:
            return None
        return error(400, 50035, "Invalid Form Body", self.tree)


def check_command(command: dict, path: list, problems: FormErrors) -> None:
    name = command.get("name", "")
    if not _NAME.match(name) or name != name.lower():
        problems.add([*path, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Invalid name")
    if not 1 <= len(command.get("description", "")) <= 100:
        problems.add([*path, "description"], "BASE_TYPE_BAD_LENGTH", "Must be 1-100 long.")
    options = command.get("options", [])
    if len(options) > 25:
        problems.add([*path, "options"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer.")
    seen_optional = False
    for j, option in enumerate(options):
        where = [*path, "options", j]
        if not _NAME.match(option.get("name", "")):
            problems.add([*where, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Invalid name")
        if not 1 <= len(option.get("description", "")) <= 100:
            problems.add([*where, "description"], "BASE_TYPE_BAD_LENGTH", "Must be 1-100.")
        if option.get("type") not in range(1, 12):
            problems.add([*where, "type"], "BASE_TYPE_CHOICES", "Not a valid option type.")
        if option.get("required"):
            if seen_optional:
                problems.add(
                    [*where, "required"],
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            seen_optional = True
        if option.get("autocomplete") and option.get("choices"):
            problems.add(
                [*where, "autocomplete"],
                "AUTOCOMPLETE_AND_CHOICES",
                "Autocomplete cannot be set with choices",
            )
        if len(option.get("choices") or []) > 25:
            problems.add([*where, "choices"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer.")


def check_message(body: dict, *, creating: bool) -> web.Response | None:
    problems = FormErrors()
    content = body.get("content") or ""
    if len(content) > 2000:
        problems.add(["content"], "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        problems.add(["embeds"], "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    total = 0
    for i, card in enumerate(embeds):
        for key, limit in _EMBED_LIMITS.items():
            head, _, tail = key.partition(".")
            value = (card.get(head) or {}).get(tail) if tail else card.get(head)
            total += len(value or "")
            if value and len(value) > limit:
                problems.add(["embeds", i, *key.split(".")], "BASE_TYPE_MAX_LENGTH", "Too long")
        fields = card.get("fields") or []
        if len(fields) > 25:
            problems.add(["embeds", i, "fields"], "BASE_TYPE_MAX_LENGTH", "25 or fewer.")
        for j, item in enumerate(fields):
            total += len(item.get("name", "")) + len(item.get("value", ""))
            if not item.get("name") or len(item["name"]) > 256:
                problems.add(["embeds", i, "fields", j, "name"], "BASE_TYPE_BAD_LENGTH", "1-256")
            if not item.get("value") or len(item["value"]) > 1024:
                problems.add(["embeds", i, "fields", j, "value"], "BASE_TYPE_BAD_LENGTH", "1-1024")
    if total > 6000:
        problems.add(["embeds"], "MESSAGE_EMBEDS_TOO_LONG", "Embed size exceeds 6000")
    rows = body.get("components") or []
    if len(rows) > 5:
        problems.add(["components"], "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
    for i, row in enumerate(rows):
        if row.get("type") != 1:
            problems.add(["components", i, "type"], "UNION_TYPE_CHOICES", "Not an action row")
            continue
        items = row.get("components") or []
        if not 1 <= len(items) <= 5:
            problems.add(["components", i, "components"], "BASE_TYPE_BAD_LENGTH", "1-5 items")
        if any(item.get("type") == 3 for item in items) and len(items) > 1:
            problems.add(
                ["components", i, "components"],
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "The specified component exceeds the maximum width",
            )
        for j, button in enumerate(items):
            where = ["components", i, "components", j]
            check_button(button, where, problems)
            check_select(button, where, problems)
    ids = [item.get("custom_id") for row in rows for item in (row.get("components") or [])]
    ids = [i for i in ids if i is not None]
    if len(ids) != len(set(ids)):
        problems.add(["components"], "COMPONENT_CUSTOM_ID_DUPLICATED", "Custom id is duplicated")
    if creating and not (content or embeds or rows):
        return error(400, 50006, "Cannot send an empty message")
    return problems.response()


def check_button(button: dict, where: list, problems: FormErrors) -> None:
    if button.get("type") != 2:
        return
    style = button.get("style")
    if len(button.get("label") or "") > 80:
        problems.add([*where, "label"], "BASE_TYPE_MAX_LENGTH", "Must be 80 or fewer.")
    if style == 5:
        url = button.get("url") or ""
        if not url.startswith(("http://", "https://", "discord://")) or len(url) > 512:
            problems.add([*where, "url"], "URL_TYPE_INVALID_URL", "Not a well formed URL.")
        if "custom_id" in button:
            problems.add(
                [*where, "custom_id"],
                "COMPONENT_LINK_BUTTON_CUSTOM_ID",
                "A link button cannot have a custom_id",
            )
    elif style in (1, 2, 3, 4):
        if not 1 <= len(button.get("custom_id") or "") <= 100:
            problems.add([*where, "custom_id"], "BASE_TYPE_REQUIRED", "This field is required")
    else:
        problems.add([*where, "style"], "BASE_TYPE_CHOICES", "Value must be one of 1..6.")


def check_select(select: dict, where: list, problems: FormErrors) -> None:
    if select.get("type") != 3:
        return
    if not 1 <= len(select.get("custom_id") or "") <= 100:
        problems.add([*where, "custom_id"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100.")
    if len(select.get("placeholder") or "") > 150:
        problems.add([*where, "placeholder"], "BASE_TYPE_MAX_LENGTH", "Must be 150 or fewer.")
    options = select.get("options") or []
    if not 1 <= len(options) <= 25:
        problems.add([*where, "options"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 25.")
    low, high = select.get("min_values", 1), select.get("max_values", 1)
    if not 0 <= low <= 25 or not 1 <= high <= 25 or low > high or high > len(options):
        problems.add([*where, "max_values"], "BASE_TYPE_BAD_INT", "Invalid min/max values")
    values = []
    for k, option in enumerate(options):
        spot = [*where, "options", k]
        for key in ("label", "value"):
            if not 1 <= len(option.get(key) or "") <= 100:
                problems.add([*spot, key], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100.")
        if len(option.get("description") or "") > 100:
            problems.add([*spot, "description"], "BASE_TYPE_MAX_LENGTH", "100 or fewer.")
        values.append(option.get("value"))
    if len(values) != len(set(values)):
        problems.add([*where, "options"], "SELECT_COMPONENT_OPTION_VALUE_DUPLICATED", "Duplicated")
