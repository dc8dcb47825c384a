"""Auto-moderation rules: each catches what it should, exempts whom it should."""

from __future__ import annotations

from datetime import timedelta

from bot.chat.filters import Filter, Rules
from tests.relay.helpers import T0, line


def at(seconds: float):
    return T0 + timedelta(seconds=seconds)


def check(rules: Rules, text: str, **kw):
    return Filter(rules).check(line(1, text=text, **kw))


def test_each_rule_names_itself() -> None:
    rules = Rules(
        banned_words=("spam",), patterns=(r"free\s+v-?bucks",), links_allowed=("golive.dev",)
    )
    assert check(rules, "buy SPAM now").rule == "banned_word"
    assert check(rules, "spammer is fine") is None  # whole words only
    assert check(rules, "get FREE vbucks").rule == "pattern"
    assert check(rules, "see https://evil.example.com/x").rule == "link"
    assert check(rules, "docs at https://docs.golive.dev/chat") is None
    assert check(Rules(), "https://anything.example.com") is None  # no allow-list: links ok
    assert check(rules, "THIS IS ALL CAPS SHOUTING").rule == "caps"
    assert check(rules, "OK LOL") is None  # too short to judge
    repeated = Rules(patterns=(r"(.)\1{9,}",), banned_words=("spam",))
    assert check(repeated, "looooooooooool").rule == "pattern"  # backreference kept apart
    assert check(repeated, "lol spam").rule == "banned_word"


def test_repeats_and_floods_per_author() -> None:
    f = Filter(Rules(repeat_limit=3, flood_limit=4, flood_window=10))
    said = [
        f.check(line(i, text="same", author="a", at=T0 + timedelta(seconds=i))) for i in range(3)
    ]
    assert [v.rule if v else None for v in said] == [None, None, "repeat"]
    f = Filter(Rules(flood_limit=4, flood_window=10))
    out = [
        f.check(line(i, text=f"t{i}", author="b", at=T0 + timedelta(seconds=i))) for i in range(6)
    ]
    assert [v.rule if v else None for v in out] == [None] * 4 + ["flood", "flood"]
    # another author is not affected, and the window forgets
    assert f.check(line(9, text="x", author="c", at=T0 + timedelta(seconds=5))) is None
    assert f.check(line(10, text="y", author="b", at=T0 + timedelta(seconds=60))) is None


def test_owner_and_moderators_exempt_and_platform_switch() -> None:
    rules = Rules(banned_words=("spam",))
    assert check(rules, "spam", badges=frozenset({"moderator"})) is None
    assert check(rules, "spam", badges=frozenset({"owner"})) is None
    assert check(rules, "spam", badges=frozenset({"subscriber"})).rule == "banned_word"
    strict = Rules(banned_words=("spam",), exempt_privileged=False)
    assert check(strict, "spam", badges=frozenset({"owner"})).rule == "banned_word"
    youtube_only = Rules(banned_words=("spam",), platforms=frozenset({"youtube"}))
    assert check(youtube_only, "spam", platform="twitch") is None
    assert check(youtube_only, "spam", platform="youtube").rule == "banned_word"


def test_rules_round_trip_json() -> None:
    rules = Rules(banned_words=("a",), links_allowed=("x.com",), platforms=frozenset({"twitch"}))
    assert Rules.from_json(rules.to_json()) == rules
