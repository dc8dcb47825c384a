"""``/golive moderation rules [SETTING VALUE]``: a workspace's auto-moderation rules as text.

One setting per command, in words an admin types in a chat box; every bad value gets one
sentence naming the valid choices. Patterns (regular expressions) stay in the stored rules'
JSON and are shown, not set, here: a regex typed into chat is too easy to get wrong.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from bot.chat.filters import Rules
from bot.chat.relay import tag

SETTINGS = ("banned", "links", "caps", "flood", "repeat", "platforms", "exempt")
USAGE = (
    "/golive moderation rules [banned WORD,WORD|none] [links any|none|DOMAIN,DOMAIN] "
    "[caps PERCENT|off] [flood N|off] [repeat N|off] [platforms all|NAME,NAME] [exempt yes|no]"
)


class RulesError(ValueError):
    """A setting or value an admin typed that golive cannot use; the message says why."""


def _items(value: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip().lower() for v in value.split(",") if v.strip()))


def _count(name: str, value: str) -> int:
    if value == "off":
        return 0
    if not value.isdigit() or not 1 <= int(value) <= 1000:
        raise RulesError(f"{name} takes a number of lines from 1 to 1000, or off.")
    return int(value)


def change(rules: Rules, words: Sequence[str]) -> Rules:
    """The rules with one setting changed (``words``: the setting and its value)."""
    if len(words) < 2:
        raise RulesError(f"Say a setting and its value: {USAGE}")
    name, value = words[0].lower(), " ".join(words[1:]).strip()
    low = value.lower()
    if name == "banned":
        return dataclasses.replace(rules, banned_words=() if low == "none" else _items(value))
    if name == "links":
        if low == "any":
            return dataclasses.replace(rules, links_allowed=None)
        allowed = () if low == "none" else _items(value)
        return dataclasses.replace(rules, links_allowed=allowed)
    if name == "caps":
        if low == "off":
            return dataclasses.replace(rules, caps_ratio=1.01)
        number = low.removesuffix("%")
        if not number.isdigit() or not 50 <= int(number) <= 100:
            raise RulesError("caps takes a share of capital letters from 50% to 100%, or off.")
        return dataclasses.replace(rules, caps_ratio=int(number) / 100)
    if name == "flood":
        return dataclasses.replace(rules, flood_limit=_count("flood", low) or 10**9)
    if name == "repeat":
        return dataclasses.replace(rules, repeat_limit=_count("repeat", low))
    if name == "platforms":
        if low == "all":
            return dataclasses.replace(rules, platforms=None)
        return dataclasses.replace(rules, platforms=frozenset(_items(value)))
    if name == "exempt":
        if low not in ("yes", "no"):
            raise RulesError("exempt takes yes (owners and moderators skip the rules) or no.")
        return dataclasses.replace(rules, exempt_privileged=low == "yes")
    raise RulesError(
        f"There is no rule setting '{name[:30]}'; the settings are: {', '.join(SETTINGS)}."
    )


def describe(rules: Rules) -> str:
    """The rules as the reply shows them, one setting a line."""
    links = (
        "any"
        if rules.links_allowed is None
        else (", ".join(rules.links_allowed) if rules.links_allowed else "none")
    )
    caps = "off" if rules.caps_ratio > 1 else f"{round(rules.caps_ratio * 100)}%"
    caps += f" of {rules.caps_min_letters}+ letters" if rules.caps_ratio <= 1 else ""
    flood = (
        "off"
        if rules.flood_limit >= 10**9
        else f"more than {rules.flood_limit} lines per author in {rules.flood_window:g} s"
    )
    repeat = (
        "off"
        if not rules.repeat_limit
        else f"the same text {rules.repeat_limit} times in {rules.repeat_window:g} s"
    )
    platforms = (
        "all" if rules.platforms is None else ", ".join(tag(p) for p in sorted(rules.platforms))
    )
    rows = [
        "Chat rules (a caught line is held back and deleted where the platform allows):",
        f"banned: {', '.join(rules.banned_words) or 'none'}",
        f"links: {links}",
        f"caps: {caps}",
        f"flood: {flood}",
        f"repeat: {repeat}",
        f"platforms: {platforms}",
        f"exempt: {'yes' if rules.exempt_privileged else 'no'} (channel owners and moderators)",
    ]
    if rules.patterns:
        rows.append(f"patterns: {len(rules.patterns)} (set in the stored rules)")
    return "\n".join(rows)
