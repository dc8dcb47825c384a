"""The command grammar: every form, every error sentence, and properties over arbitrary text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.commands import (
    BroadcastAction,
    Command,
    CommandError,
    CreateBroadcast,
    CreateMeeting,
    Help,
    ListItems,
    OpenForm,
    Platforms,
    parse,
)

LIVE = ("youtube", "facebook", "instagram", "restream", "twitch", "rtmp")
MEET = ("zoom", "teams", "jitsi")
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
LIVE_CHOICES = "facebook, instagram, restream, rtmp, twitch, youtube"
MEET_CHOICES = "jitsi, teams, zoom"
ALL_CHOICES = "facebook, instagram, jitsi, restream, rtmp, teams, twitch, youtube, zoom"


def run(command: str, text: str, *, now: datetime = NOW, default_tz: str = "UTC") -> Command:
    return parse(
        command,
        text,
        now=now,
        default_tz=default_tz,
        livestream_platforms=LIVE,
        meeting_platforms=MEET,
    )


def error(command: str, text: str, **kwargs: object) -> str:
    with pytest.raises(CommandError) as caught:
        run(command, text, **kwargs)  # type: ignore[arg-type]
    message = caught.value.message
    assert str(caught.value) == message
    return message


# --- forms ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "text", "expected"),
    [
        ("golive", "", OpenForm("golive")),
        ("/golive", "   ", OpenForm("golive")),
        ("meet", "", OpenForm("meet")),
        ("/GoLive", "list", ListItems("golive")),
        ("golive", "  LIST ", ListItems("golive")),
        ("meet", "list", ListItems("meet")),
        ("golive", "start", BroadcastAction("start", None)),
        ("golive", "Stop abc-123", BroadcastAction("stop", "abc-123")),
        ("golive", "status #42", BroadcastAction("status", "42")),
        ("golive", "report b_7.x:1", BroadcastAction("report", "b_7.x:1")),
        ("golive", "help", Help("golive")),
        ("golive", "help meet", Help("meet")),
        ("meet", "help", Help("meet")),
        ("platforms", "help", Help("platforms")),
        ("help", "", Help(None)),
        ("/help", "Platforms", Help("platforms")),
        ("platforms", "", Platforms("list", None, ())),
        ("/platforms", "list", Platforms("list", None, ())),
        ("platforms", "connect YouTube", Platforms("connect", "youtube", ())),
        ("platforms", "disconnect zoom", Platforms("disconnect", "zoom", ())),
        (
            "platforms",
            "connect instagram rtmps://live-upload.instagram.com:443/rtmp/ IGLive-Key",
            Platforms(
                "connect",
                "instagram",
                ("rtmps://live-upload.instagram.com:443/rtmp/", "IGLive-Key"),
            ),
        ),
    ],
)
def test_simple_forms(command: str, text: str, expected: Command) -> None:
    assert run(command, text) == expected


def test_full_broadcast() -> None:
    cmd = run(
        "/golive",
        '"Sunday service" on youtube,facebook primary facebook '
        "at 2026-12-01 18:00 Europe/Berlin record",
    )
    assert cmd == CreateBroadcast(
        title="Sunday service",
        platforms=("youtube", "facebook"),
        primary="facebook",
        start=datetime(2026, 12, 1, 18, 0, tzinfo=BERLIN),
        record=True,
    )
    assert cmd.description == ""


def test_chat_turns_the_relay_on() -> None:
    on = run("/golive", '"Q&A" on youtube,twitch chat record')
    assert isinstance(on, CreateBroadcast) and on.chat_relay and on.record
    off = run("/golive", '"Q&A" on youtube')
    assert isinstance(off, CreateBroadcast) and not off.chat_relay
    assert error("/meet", '"Sync" on jitsi chat') == (
        "'chat' only works with /golive: meetings have no live chat relay."
    )


def test_moderation_rules_keeps_the_setting_words() -> None:
    from bot.commands import ModerationQuery

    assert run("/golive", "moderation rules") == ModerationQuery("rules")
    assert run("/golive", "moderation rules links golive.dev,youtube.com") == ModerationQuery(
        "rules", None, ("links", "golive.dev,youtube.com")
    )


def test_broadcast_defaults() -> None:
    cmd = run("golive", '"Talk" on youtube')
    assert cmd == CreateBroadcast("Talk", ("youtube",), "youtube", None, False)


def test_commands_are_frozen() -> None:
    cmd = run("golive", '"Talk" on youtube')
    assert isinstance(cmd, CreateBroadcast)
    with pytest.raises(AttributeError):
        cmd.title = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    "text",
    [
        '"Talk" on youtube, facebook',
        '"Talk" on youtube,facebook',
        '"Talk" on youtube facebook',
        '"Talk" on YouTube ,Facebook,',
        '"Talk" on youtube,facebook,YOUTUBE',
        '"Talk"   ON  youtube\tfacebook  ',
        "\u201cTalk\u201d on youtube,facebook",
        "\u201dTalk\u201d on youtube,facebook",
        "\u201eTalk\u201c on youtube,facebook",
        "'Talk' on youtube,facebook",
        "\u2018Talk\u2019 on youtube,facebook",
        '"  Talk  " on youtube facebook',
        '"Talk"on youtube facebook',
    ],
)
def test_quotes_and_platform_lists(text: str) -> None:
    cmd = run("golive", text)
    assert isinstance(cmd, CreateBroadcast)
    assert cmd.title == "Talk"
    assert cmd.platforms == ("youtube", "facebook")
    assert cmd.primary == "youtube"


def test_apostrophe_inside_single_quotes() -> None:
    cmd = run("golive", "'Ana's party' on youtube")
    assert isinstance(cmd, CreateBroadcast)
    assert cmd.title == "Ana's party"


def test_keywords_in_any_order() -> None:
    cmd = run("golive", '"T" on twitch youtube RECORD at 2026-12-01 18:00 PRIMARY youtube')
    assert cmd == CreateBroadcast(
        "T", ("twitch", "youtube"), "youtube", datetime(2026, 12, 1, 18, 0, tzinfo=UTC), True
    )
    assert run("golive", '"T" record at 2026-12-01 18:00 on twitch') == CreateBroadcast(
        "T", ("twitch",), "twitch", datetime(2026, 12, 1, 18, 0, tzinfo=UTC), True
    )


def test_full_meeting() -> None:
    cmd = run(
        "meet",
        '"Team sync" on zoom,jitsi primary jitsi at 2026-07-01 09:30 Europe/Berlin '
        "for 45m record with @ana <@U123> <@U456|ben> <@789>, <@!42> @ana",
    )
    assert cmd == CreateMeeting(
        title="Team sync",
        platforms=("zoom", "jitsi"),
        primary="jitsi",
        start=datetime(2026, 7, 1, 9, 30, tzinfo=BERLIN),
        duration_minutes=45,
        record=True,
        invitees=("@ana", "<@U123>", "<@U456|ben>", "<@789>", "<@!42>"),
    )


def test_meeting_defaults() -> None:
    assert run("meet", '"Sync" on teams') == CreateMeeting(
        "Sync", ("teams",), "teams", None, 60, False, ()
    )


@pytest.mark.parametrize(
    ("word", "minutes"),
    [
        ("45m", 45),
        ("45", 45),
        ("1h", 60),
        ("1h30m", 90),
        ("2H", 120),
        ("90min", 90),
        ("1", 1),
        ("1440", 1440),
        ("24h", 1440),
        ("0h5m", 5),
    ],
)
def test_durations(word: str, minutes: int) -> None:
    cmd = run("meet", f'"Sync" on zoom for {word}')
    assert isinstance(cmd, CreateMeeting)
    assert cmd.duration_minutes == minutes


# --- times ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("2026-12-01 18:00", datetime(2026, 12, 1, 18, 0, tzinfo=UTC)),
        ("2026-12-01T18:00", datetime(2026, 12, 1, 18, 0, tzinfo=UTC)),
        ("2026-12-1 8:05", datetime(2026, 12, 1, 8, 5, tzinfo=UTC)),
        ("2026-12-01 18:00 UTC", datetime(2026, 12, 1, 18, 0, tzinfo=UTC)),
        ("2026-12-01 18:00 Z", datetime(2026, 12, 1, 18, 0, tzinfo=UTC)),
        ("2026-12-01 18:00 Europe/Berlin", datetime(2026, 12, 1, 18, 0, tzinfo=BERLIN)),
        ("2026-12-01 18:00 europe/berlin", datetime(2026, 12, 1, 18, 0, tzinfo=BERLIN)),
        (
            "2026-12-01 18:00 +01:00",
            datetime(2026, 12, 1, 18, 0, tzinfo=timezone(timedelta(hours=1))),
        ),
        (
            "2026-12-01 18:00 -0530",
            datetime(2026, 12, 1, 18, 0, tzinfo=timezone(-timedelta(hours=5, minutes=30))),
        ),
        (
            "2026-12-01 18:00 UTC+2",
            datetime(2026, 12, 1, 18, 0, tzinfo=timezone(timedelta(hours=2))),
        ),
        ("13:00", datetime(2026, 6, 1, 13, 0, tzinfo=UTC)),
        ("12:00", NOW),
    ],
)
def test_times(words: str, expected: datetime) -> None:
    cmd = run("golive", f'"T" on youtube at {words}')
    assert isinstance(cmd, CreateBroadcast)
    assert cmd.start == expected
    assert cmd.start is not None and cmd.start.tzinfo is not None


def test_default_zone_applies_without_a_zone() -> None:
    cmd = run("golive", '"T" on youtube at 2026-12-01 18:00', default_tz="Europe/Berlin")
    assert isinstance(cmd, CreateBroadcast)
    assert cmd.start == datetime(2026, 12, 1, 18, 0, tzinfo=BERLIN)


def test_time_only_is_today_in_the_zone() -> None:
    # 12:00 UTC is 14:00 in Berlin: 15:00 Berlin today is still ahead.
    cmd = run("golive", '"T" on youtube at 15:00 Europe/Berlin')
    assert isinstance(cmd, CreateBroadcast)
    assert cmd.start == datetime(2026, 6, 1, 15, 0, tzinfo=BERLIN)


# --- error sentences ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "text", "expected"),
    [
        ("foo", "", "Unknown command '/foo'. Choose from: /golive, /meet, /platforms, help."),
        (
            "golive",
            '""',
            'The title is missing: write it in quotes, e.g. /golive "Sunday service" on youtube.',
        ),
        (
            "golive",
            '"   " on youtube',
            'The title is missing: write it in quotes, e.g. /golive "Sunday service" on youtube.',
        ),
        (
            "meet",
            "\u201c\u201d on zoom",
            'The title is missing: write it in quotes, e.g. /meet "Team sync" on zoom.',
        ),
        (
            "golive",
            '"Sunday service on youtube',
            "The title's quote is never closed: end it with a matching quote, "
            'e.g. /golive "Sunday service" on youtube.',
        ),
        (
            "golive",
            '"a\nb" on youtube',
            "The title contains a line break or another control character: "
            "keep it to one line of plain text.",
        ),
        (
            "golive",
            '"' + "x" * 101 + '" on youtube',
            "The title is 101 characters long: keep it to 100 or fewer (YouTube's limit).",
        ),
        (
            "golive",
            "Sunday service on youtube",
            "Unknown /golive action 'Sunday'. Choose from: start, stop, status, report, edit, "
            'cancel, list, help, or a title in quotes, e.g. /golive "Sunday service" on youtube.',
        ),
        (
            "meet",
            "start",
            "Unknown /meet action 'start'. Choose from: list, edit, cancel, help, "
            "or a title in quotes, "
            'e.g. /meet "Team sync" on zoom.',
        ),
        (
            "golive",
            "list all",
            "Unexpected 'all' at the end: write just /golive list.",
        ),
        (
            "golive",
            "stop 1 2",
            "Unexpected '2' at the end: write just /golive stop ID.",
        ),
        (
            "golive",
            "status $$$",
            "'$$$' is not a broadcast ID: IDs are letters, digits, '-' or '_' (see /golive list).",
        ),
        (
            "golive",
            '"T"',
            f"Say where with 'on', e.g. on youtube. Choose from: {LIVE_CHOICES}.",
        ),
        (
            "meet",
            '"T" record',
            f"Say where with 'on', e.g. on zoom. Choose from: {MEET_CHOICES}.",
        ),
        (
            "golive",
            '"T" on',
            f"Name at least one platform after 'on'. Choose from: {LIVE_CHOICES}.",
        ),
        (
            "golive",
            '"T" on youtub',
            f"Unknown platform 'youtub'. Choose from: {LIVE_CHOICES} (did you mean youtube?).",
        ),
        (
            "golive",
            '"T" on youtube, myspace',
            f"Unknown platform 'myspace'. Choose from: {LIVE_CHOICES}.",
        ),
        (
            "golive",
            '"T" on youtube facebok',
            f"Unknown platform 'facebok'. Choose from: {LIVE_CHOICES} (did you mean facebook?).",
        ),
        (
            "golive",
            '"T" on youtube,zoom',
            f"'zoom' is a meeting platform: use /meet for it, or choose from: {LIVE_CHOICES}.",
        ),
        (
            "meet",
            '"T" on youtube',
            f"'youtube' is a livestream platform: use /golive for it, or choose from: "
            f"{MEET_CHOICES}.",
        ),
        (
            "golive",
            '"T" on youtube primary facebook',
            "The primary platform 'facebook' is not one of the chosen platforms: youtube.",
        ),
        (
            "golive",
            '"T" on youtube primary',
            "Name the primary platform after 'primary', e.g. primary youtube.",
        ),
        (
            "golive",
            '"T" on youtube primary youtube primary youtube',
            "'primary' appears twice: say it once.",
        ),
        (
            "golive",
            '"T" on youtube tomorrow',
            "Unexpected word 'tomorrow'. After the platforms you can write: "
            "primary, at, record, chat.",
        ),
        (
            "golive",
            '"T" on youtube recrod',
            "Unexpected word 'recrod'. After the platforms you can write: "
            "primary, at, record, chat (did you mean record?).",
        ),
        (
            "golive",
            '"T" soon on youtube',
            "Unexpected word 'soon'. After the title you can write: on, primary, at, record, chat.",
        ),
        (
            "golive",
            '"T" on youtube with @ana',
            "'with' only works with /meet; /golive takes: on, primary, at, record, chat.",
        ),
        (
            "meet",
            '"T" on zoom soon',
            "Unexpected word 'soon'. After the platforms you can write: primary, at, record, "
            "for, with.",
        ),
        (
            "golive",
            '"T" on youtube at',
            "Say when after 'at': write it as YYYY-MM-DD HH:MM with an optional zone, "
            "e.g. at 2026-12-01 18:00 Europe/Berlin.",
        ),
        (
            "golive",
            '"T" on youtube at noon',
            "'noon' is not a time: write it as YYYY-MM-DD HH:MM with an optional zone, "
            "e.g. at 2026-12-01 18:00 Europe/Berlin.",
        ),
        (
            "golive",
            '"T" on youtube at 2026-12-01',
            "The date 2026-12-01 needs a time after it: write it as YYYY-MM-DD HH:MM with an "
            "optional zone, e.g. at 2026-12-01 18:00 Europe/Berlin.",
        ),
        (
            "golive",
            '"T" on youtube at 2026-02-30 18:00',
            "There is no date 2026-02-30: write it as YYYY-MM-DD HH:MM with an optional zone, "
            "e.g. at 2026-12-01 18:00 Europe/Berlin.",
        ),
        (
            "golive",
            '"T" on youtube at 2026-12-01 24:00',
            "There is no time of day 24:00: write it as YYYY-MM-DD HH:MM with an optional zone, "
            "e.g. at 2026-12-01 18:00 Europe/Berlin.",
        ),
        (
            "golive",
            '"T" on youtube at 2026-12-01 18:00 Europe/Berln',
            "Unknown time zone 'Europe/Berln': use a name like Europe/Berlin, UTC, or an offset "
            "like +01:00 (did you mean Europe/Berlin?).",
        ),
        (
            "golive",
            '"T" on youtube at 2026-12-01 18:00 Mars/Olympus',
            "Unknown time zone 'Mars/Olympus': use a name like Europe/Berlin, UTC, or an offset "
            "like +01:00.",
        ),
        (
            "golive",
            '"T" on youtube at 2026-12-01 18:00 +15:00',
            "'+15:00' is not a UTC offset: offsets run from -14:00 to +14:00.",
        ),
        (
            "golive",
            '"T" on youtube at 2026-03-29 02:30 Europe/Berlin',
            "2026-03-29 02:30 Europe/Berlin does not exist: the clocks change then; "
            "pick another time.",
        ),
        (
            "golive",
            '"T" on youtube at 2020-01-01 10:00',
            "That time is in the past: 2020-01-01 10:00 UTC (it is now 2026-06-01 12:00 there); "
            "pick a later time or leave 'at' out to start now.",
        ),
        (
            "golive",
            '"T" on youtube at 11:59',
            "That time is in the past: 2026-06-01 11:59 UTC (it is now 2026-06-01 12:00 there); "
            "pick a later time or leave 'at' out to start now.",
        ),
        (
            "golive",
            '"T" on youtube at 13:00 Europe/Berlin',
            "That time is in the past: 2026-06-01 13:00 Europe/Berlin (it is now 2026-06-01 "
            "14:00 there); pick a later time or leave 'at' out to start now.",
        ),
        (
            "golive",
            '"T" on youtube at 9999-12-31 23:59 -14:00',
            "9999-12-31 23:59 UTC-14:00 is too far away: write it as YYYY-MM-DD HH:MM with an "
            "optional zone, e.g. at 2026-12-01 18:00 Europe/Berlin.",
        ),
        (
            "meet",
            '"T" on zoom for',
            "Say how long after 'for', e.g. for 45m, for 90 or for 1h30m.",
        ),
        (
            "meet",
            '"T" on zoom for a while',
            "'a' is not a duration: write minutes or hours, e.g. for 45m, for 90, for 1h "
            "or for 1h30m.",
        ),
        (
            "meet",
            '"T" on zoom for 0',
            "A meeting lasts from 1 minute to 1440 minutes (24 hours); '0' is outside that.",
        ),
        (
            "meet",
            '"T" on zoom for 24h1m',
            "A meeting lasts from 1 minute to 1440 minutes (24 hours); '24h1m' is outside that.",
        ),
        (
            "meet",
            '"T" on zoom with',
            "Name at least one person after 'with', e.g. with @ana @ben.",
        ),
        (
            "meet",
            '"T" on zoom with @ana bob',
            "'bob' is not a person: after 'with' write @name or mention them, e.g. with @ana @ben.",
        ),
        (
            "platforms",
            "conect youtube",
            "Unknown /platforms action 'conect'. Choose from: list, connect, disconnect, "
            "api-token, notify, "
            "help "
            "(did you mean connect?).",
        ),
        (
            "platforms",
            "connect",
            "Name the platform to connect, e.g. /platforms connect youtube. "
            f"Choose from: {ALL_CHOICES}.",
        ),
        (
            "platforms",
            "disconnect youtub",
            f"Unknown platform 'youtub'. Choose from: {ALL_CHOICES} (did you mean youtube?).",
        ),
        (
            "platforms",
            "disconnect youtube now",
            "Unexpected 'now' at the end: write just /platforms disconnect youtube.",
        ),
        (
            "platforms",
            "list all",
            "Unexpected 'all' at the end: write just /platforms list.",
        ),
        (
            "help",
            "cooking",
            "There is no help topic 'cooking'. Choose from: golive, meet, platforms.",
        ),
        (
            "golive",
            "help meet platforms",
            "Ask for help on one topic at a time. Choose from: golive, meet, platforms.",
        ),
    ],
)
def test_error_sentences(command: str, text: str, expected: str) -> None:
    assert error(command, text) == expected


def test_bad_default_zone_is_explained() -> None:
    message = error("golive", '"T" on youtube at 2026-12-01 18:00', default_tz="Nowhere/Land")
    assert message.startswith("golive's default time zone 'Nowhere/Land' is unknown")


def test_no_platforms_of_a_kind() -> None:
    with pytest.raises(CommandError) as caught:
        parse("meet", '"T"', now=NOW, livestream_platforms=LIVE, meeting_platforms=())
    assert caught.value.message == (
        "Say where with 'on', e.g. on zoom. Choose from: none (no platform of this kind is set up)."
    )


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse(
            "golive",
            "",
            now=datetime(2026, 1, 1),
            livestream_platforms=LIVE,
            meeting_platforms=MEET,
        )


def test_error_echo_is_one_printable_line() -> None:
    message = error("golive", "\x1b[31mred")
    assert "\x1b" not in message
    assert message.startswith("Unknown /golive action '?[31mred'")


# --- properties -----------------------------------------------------------------------------

VOCABULARY = [
    "on", "primary", "at", "for", "with", "record", "list", "start", "stop", "status",
    "report", "help", "connect", "disconnect", *LIVE, *MEET, ",", '"', "“", "”", "'", "@ana",
    "<@U1|ana>", "2026-12-01", "18:00", "2026-12-01T18:00", "Europe/Berlin", "UTC", "+01:00",
    "45m", "1h30m", "0", "99999", "9999-12-31", "23:59", "-14:00", "0000-01-01", "\x00", "",
]  # fmt: skip

grammar_like = st.lists(
    st.one_of(st.sampled_from(VOCABULARY), st.text(max_size=8)), max_size=12
).map(" ".join)
commands = st.sampled_from(["golive", "/meet", "platforms", "help", "/nope", ""])
aware_nows = st.datetimes(
    min_value=datetime(1, 1, 2),
    max_value=datetime(9999, 12, 30),
    timezones=st.sampled_from(
        [UTC, BERLIN, timezone(timedelta(hours=-14)), timezone(timedelta(hours=14))]
    ),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(command=commands, text=st.one_of(st.text(), grammar_like), now=aware_nows)
def test_only_command_errors_escape(command: str, text: str, now: datetime) -> None:
    try:
        result = parse(command, text, now=now, livestream_platforms=LIVE, meeting_platforms=MEET)
    except CommandError as exc:
        assert exc.message
        assert "\n" not in exc.message
    else:
        assert isinstance(
            result,
            OpenForm
            | CreateBroadcast
            | BroadcastAction
            | ListItems
            | CreateMeeting
            | Platforms
            | Help,
        )


SAFE_TITLE = st.text(
    alphabet=st.characters(
        categories=["L", "N", "Zs"], include_characters="-_.,!?&()#:;/+", exclude_characters="\x85"
    ),
    min_size=1,
    max_size=100,
).filter(lambda t: t.strip() != "")


@st.composite
def chosen(draw: st.DrawFn, names: tuple[str, ...]) -> tuple[list[str], str]:
    platforms = draw(
        st.permutations(names).flatmap(lambda p: st.integers(1, len(p)).map(lambda n: list(p[:n])))
    )
    return platforms, draw(st.sampled_from(platforms))


separators = st.sampled_from([",", ", ", " ", " ,", " , ", "\t"])
quotes = st.sampled_from([('"', '"'), ("\u201c", "\u201d"), ("'", "'")])


@settings(max_examples=200, deadline=None)
@given(
    kind=st.sampled_from(["golive", "meet"]),
    data=st.data(),
    title=SAFE_TITLE,
    quote=quotes,
    upper=st.booleans(),
)
def test_round_trip(
    kind: str, data: st.DataObject, title: str, quote: tuple[str, str], upper: bool
) -> None:
    platforms, primary = data.draw(chosen(LIVE if kind == "golive" else MEET))
    assume(not (quote[0] == "'" and "'" in title))
    shown = [p.upper() if upper else p for p in platforms]
    listed = shown[0] + "".join(data.draw(separators) + p for p in shown[1:])
    text = f"{quote[0]}{title}{quote[1]} on {listed} primary {primary}"
    cmd = run(kind, text)
    assert isinstance(cmd, CreateBroadcast if kind == "golive" else CreateMeeting)
    assert cmd.title == title.strip()
    assert cmd.platforms == tuple(platforms)
    assert cmd.primary == primary


FIXED_ZONES = {
    "UTC": UTC,
    "+05:30": timezone(timedelta(hours=5, minutes=30)),
    "-03:00": timezone(-timedelta(hours=3)),
}
DST_ZONES = ["Europe/Berlin", "America/New_York", "Australia/Sydney"]


@settings(max_examples=200, deadline=None)
@given(
    now=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
    ),
    zone_name=st.sampled_from([*FIXED_ZONES, *DST_ZONES]),
    minutes=st.integers(-2 * 525600, 2 * 525600).filter(lambda m: m != 0),
)
def test_past_rejected_future_accepted(now: datetime, zone_name: str, minutes: int) -> None:
    zone = FIXED_ZONES.get(zone_name) or ZoneInfo(zone_name)
    if zone_name in DST_ZONES:
        assume(abs(minutes) > 120)  # keep clear of repeated or skipped wall-clock hours
    whole_minute = now.replace(second=0, microsecond=0)
    target = (whole_minute + timedelta(minutes=minutes)).astimezone(zone)
    text = f'"T" on youtube at {target:%Y-%m-%d %H:%M} {zone_name}'
    if minutes < 0:
        message = error("golive", text, now=now)
        assert message.startswith(f"That time is in the past: {target:%Y-%m-%d %H:%M} ")
    else:
        cmd = run("golive", text, now=now)
        assert isinstance(cmd, CreateBroadcast)
        assert cmd.start is not None and cmd.start >= now
        if target.fold == 0:
            assert cmd.start == target
