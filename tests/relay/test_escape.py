"""Hostile chat text is relayed inert: no ping, no mention, no forged link or formatting."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.slack.chatlines import line_text
from bot.chat import escape
from bot.chat.relay import Batch, DiscordRelayTarget
from tests.relay.helpers import line

HOSTILE = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "@channel",
    "@here",
    "@everyone",
    "<@U123>",
    "<@U123|ana>",
    "<#C123>",
    "<!subteam^S1>",
    "<https://evil.example|golive: connect YouTube>",
    "[golive](https://evil.example)",
    "*bold*",
    "_it_",
    "~s~",
    "`code`",
    "```",
    "> quote",
    "&lt;!channel&gt;",
    "&",
    "\n",
    "\r\n",
    "\x00",
    "\x1b[31m",
    "\u202e",
    "\u2028",
    "<@&987>",
    "<t:1:R>",
    "||spoiler||",
    "# heading",
]
texts = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=8)), max_size=12).map("".join)

_ENTITY = re.compile(r"&(amp|lt|gt);")


def _no_controls(out: str) -> None:
    for ch in out:
        assert unicodedata.category(ch) not in {"Cc", "Zl", "Zp"}, repr(ch)
        assert ch not in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


@settings(max_examples=400, deadline=None)
@given(texts)
def test_slack_text_is_inert(text: str) -> None:
    out = escape.slack(text)
    _no_controls(out)
    assert "<" not in out and ">" not in out
    assert "&" not in _ENTITY.sub("", out)  # every & is one of the three escapes
    assert not re.search(r"@(channel|here|everyone)", out, re.I)
    assert "](" not in out
    for mark in "*_~`":  # formatting marks never touch a word
        assert not re.search(rf"{re.escape(mark)}[^\u200b]", out)
        assert not re.search(rf"[^\u200b]{re.escape(mark)}", out)
    # the whole relayed line: our tag is the only formatting
    rendered = line_text(line(1, text=text, author=text or "x"))
    assert rendered.startswith("*YouTube* ")
    assert "<" not in rendered and "\n" not in rendered


@settings(max_examples=400, deadline=None)
@given(texts)
def test_discord_text_is_inert(text: str) -> None:
    out = escape.discord(text)
    _no_controls(out)
    assert re.search(r"(?<!\\)<", out) is None  # every < escaped
    assert re.search(r"@(?!\u200b)", out) is None  # no @ can start a mention
    assert re.search(r"(?<!\\)[*_~`|\[\]()>]", out) is None  # every markdown mark escaped
    payload = DiscordRelayTarget(send=None).payload(Batch((line(1, text=text),)))  # type: ignore[arg-type]
    assert payload["allowed_mentions"] == {"parse": []}
    assert len(payload["content"]) <= 2000


def test_plain_text_survives() -> None:
    assert escape.slack("hello from Berlin, 3 < 4 & 5 > 2") == (
        "hello from Berlin, 3 &lt; 4 &amp; 5 &gt; 2"
    )
    assert escape.clean("a\nb\x00c\u202ed") == "a bcd"
