"""Make chat text inert before it is shown in Slack or Discord.

Chat comes from strangers on five platforms; golive shows it in a workspace where a ping reaches
everyone. So text is cleaned the same way for every line: control and bidirectional-override
characters removed (they could fake a new line or flip what a reader sees), newlines flattened
(a line cannot forge the next line's platform tag), then escaped for the chat it goes to.

Slack (docs.slack.dev "Formatting text for app surfaces", escaping): ``&``, ``<`` and ``>`` are
the only control characters of mrkdwn; escaping them stops ``<!channel>``, ``<@U123>``,
``<!subteam^...>`` and ``<url|label>`` links. Every ``@`` is followed by a zero-width space
(no bare ``@channel``/``@here``/``@everyone``/``@name`` can ping; relay posts also send
``link_names=false`` and ``parse=none``), and
the formatting marks ``* _ ~ `` `` are separated from their words the same way so chat cannot
bold, strike or code-format itself into looking like golive's own lines.

Discord (discord.com/developers/docs/reference "Message Formatting", and "Allowed Mentions"):
markdown characters are backslash-escaped, ``<`` is escaped so ``<@id>``, ``<@&role>``, ``<#chan>``
and ``<t:...>`` do not render, every ``@`` is followed by a zero-width space, and
every relay post carries ``allowed_mentions: {"parse": []}`` as the second lock.
"""

from __future__ import annotations

import re
import unicodedata

ZWSP = "\u200b"
_BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_WHITESPACE = re.compile(r"[\s\u2028\u2029]+")
_SLACK_MARKS = re.compile(r"([*_~`])")
_SLACK_LINK = re.compile(r"\]\(")
_DISCORD_MARKS = re.compile(r"([\\*_~`|>#\-\[\]()!:])")


def clean(text: str, limit: int = 600) -> str:
    """One line of visible text: controls and bidi overrides gone, whitespace collapsed."""
    kept = []
    for ch in text:
        if ch in _BIDI:
            continue
        category = unicodedata.category(ch)
        if category == "Cc":
            kept.append(" " if ch in "\t\n\r\x0b\x0c" else "")
        elif category in {"Zl", "Zp"}:
            kept.append(" ")
        else:
            kept.append(ch)
    line = _WHITESPACE.sub(" ", "".join(kept)).strip()
    if len(line) > limit:
        line = line[: limit - 1] + "…"
    return line


def slack(text: str, limit: int = 600) -> str:
    """Chat text for a Slack mrkdwn field."""
    line = clean(text, limit)
    line = line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    line = line.replace("@", "@" + ZWSP)
    line = _SLACK_LINK.sub("]" + ZWSP + "(", line)
    return _SLACK_MARKS.sub(ZWSP + r"\1" + ZWSP, line)


def discord(text: str, limit: int = 600) -> str:
    """Chat text for Discord message content."""
    line = clean(text, limit)
    line = _DISCORD_MARKS.sub(r"\\\1", line)
    line = line.replace("<", "\\<")
    return line.replace("@", "@" + ZWSP)
