"""The command grammar, parsed once for every chat adapter.

Slack slash commands, Discord options and the console all hand golive the same kind of text
(``"Sunday service" on youtube,facebook at 2026-12-01 18:00 Europe/Berlin record``). Parsing it
here, into small frozen dataclasses, keeps the adapters free of grammar and gives every surface
the same behaviour and the same error sentences. Services receive a typed, already validated
``Command`` and never see raw text, so a half-understood command can never store anything.

Every problem with the text becomes a :class:`CommandError` whose ``message`` is one sentence
naming what was wrong and, where there are some, the valid choices. Nothing else is raised for
bad input.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Literal, cast

__all__ = [
    "BroadcastAction",
    "Command",
    "CommandError",
    "CreateBroadcast",
    "CreateMeeting",
    "Help",
    "ListItems",
    "NotifyAction",
    "OpenForm",
    "Platforms",
    "parse",
]

MAX_TITLE_LENGTH = 100  # YouTube's limit for a broadcast title, the strictest of the platforms
DEFAULT_DURATION_MINUTES = 60
MAX_DURATION_MINUTES = 24 * 60
MAX_ID_LENGTH = 64
HELP_TOPICS = ("golive", "meet", "platforms")
_CLOSE = 0.75  # how alike a typo must be to a valid word before "did you mean" suggests it


class CommandError(ValueError):
    """Bad command text; ``message`` is the one sentence to show the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- the commands -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenForm:
    """``/golive`` or ``/meet`` with nothing after it: open the interactive form."""

    kind: Literal["golive", "meet"]


@dataclass(frozen=True)
class CreateBroadcast:
    title: str
    platforms: tuple[str, ...]
    primary: str
    start: datetime | None
    record: bool
    description: str = ""
    chat_relay: bool = False
    #: per-platform settings from forms and the API, e.g. {"youtube": {"category": "22"}}
    settings: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class BroadcastAction:
    action: Literal["start", "stop", "status", "report"]
    id: str | None


@dataclass(frozen=True)
class BroadcastChange:
    """``/golive cancel ID`` or ``/golive edit ID ["New title"] [at ...]``."""

    action: Literal["cancel", "edit"]
    id: str
    title: str | None = None
    start: datetime | None = None


@dataclass(frozen=True)
class ListItems:
    kind: Literal["golive", "meet"]


@dataclass(frozen=True)
class CreateMeeting:
    title: str
    platforms: tuple[str, ...]
    primary: str
    start: datetime | None
    duration_minutes: int = DEFAULT_DURATION_MINUTES
    record: bool = False
    invitees: tuple[str, ...] = ()
    settings: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class MeetingAction:
    """``/meet cancel ID`` or ``/meet edit ID ["New title"] [at ...] [for 45m]``."""

    action: Literal["cancel", "edit"]
    id: str
    title: str | None = None
    start: datetime | None = None
    duration_minutes: int | None = None


@dataclass(frozen=True)
class Platforms:
    action: Literal["list", "connect", "disconnect"]
    platform: str | None
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class ApiTokenAction:
    """``/platforms api-token create NAME [read|read-write]``, ``list``, ``revoke NAME``."""

    action: Literal["create", "list", "revoke"]
    name: str | None = None
    scope: Literal["read", "read-write"] = "read"


@dataclass(frozen=True)
class NotifyAction:
    """``/platforms notify`` (show), ``… KINDS on|off``, ``… channel CHANNEL``, ``… dm``."""

    action: Literal["show", "kinds", "channel", "dm"]
    kinds: tuple[str, ...] = ()
    on: bool = True
    channel: str | None = None


@dataclass(frozen=True)
class Help:
    topic: str | None


@dataclass(frozen=True)
class ModerationQuery:
    """``/golive moderation help`` (actions per platform), ``/golive moderation [ID]``, or
    ``/golive moderation rules [SETTING VALUE]`` (``change`` holds the setting words)."""

    action: Literal["help", "history", "rules"]
    id: str | None = None
    change: tuple[str, ...] = ()


Command = (
    OpenForm
    | CreateBroadcast
    | BroadcastAction
    | BroadcastChange
    | ListItems
    | CreateMeeting
    | MeetingAction
    | Platforms
    | ApiTokenAction
    | NotifyAction
    | Help
    | ModerationQuery
)

# --- entry point --------------------------------------------------------------------------------


def parse(
    command: str,
    text: str,
    *,
    now: datetime,
    default_tz: str = "UTC",
    livestream_platforms: Sequence[str],
    meeting_platforms: Sequence[str],
) -> Command:
    """Turn the text after ``/golive``, ``/meet`` or ``/platforms`` into a :data:`Command`.

    ``now`` (timezone-aware) is the moment against which past start times are rejected;
    ``default_tz`` applies to times written without a zone.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    ctx = _Context(
        now=now,
        default_tz=default_tz,
        live=_names(livestream_platforms),
        meeting=_names(meeting_platforms),
    )
    name = command.strip().lstrip("/").strip().lower()
    if name == "golive":
        return _parse_golive(text, ctx)
    if name == "meet":
        return _parse_meet(text, ctx)
    if name == "platforms":
        return _parse_platforms(text, ctx)
    if name == "help":
        return _parse_help(text.split())
    raise CommandError(
        f"Unknown command '/{_show(name)}'. Choose from: /golive, /meet, /platforms, help."
    )


# --- shared state and helpers -------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    now: datetime
    default_tz: str
    live: tuple[str, ...]
    meeting: tuple[str, ...]


def _names(platforms: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p.strip().lower() for p in platforms if p.strip()))


def _show(word: str, limit: int = 40) -> str:
    """A user's word made safe to echo back in one line."""
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in word)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def _choices(options: Iterable[str]) -> str:
    return ", ".join(sorted(options))


def _did_you_mean(word: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=_CLOSE)
    return f" (did you mean {close[0]}?)" if close else ""


def _parse_help(words: list[str]) -> Help:
    if not words:
        return Help(None)
    if len(words) > 1:
        raise CommandError(
            f"Ask for help on one topic at a time. Choose from: {', '.join(HELP_TOPICS)}."
        )
    topic = words[0].lower().lstrip("/")
    if topic not in HELP_TOPICS:
        raise CommandError(
            f"There is no help topic '{_show(words[0])}'. Choose from: {', '.join(HELP_TOPICS)}."
        )
    return Help(topic)


# --- /golive and /meet --------------------------------------------------------------------------

_GOLIVE_ACTIONS = ("start", "stop", "status", "report")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]*")


def _parse_golive(text: str, ctx: _Context) -> Command:
    stripped = text.strip()
    if not stripped:
        return OpenForm("golive")
    if _opens_quote(stripped):
        return _parse_create("golive", stripped, ctx)
    words = stripped.split()
    first = words[0].lower()
    if first == "help":
        return _parse_help(words[1:]) if len(words) > 1 else Help("golive")
    if first == "list":
        _no_more(words, 1, "/golive list")
        return ListItems("golive")
    if first == "moderation" and len(words) > 1 and words[1].lower() == "rules":
        return ModerationQuery("rules", None, tuple(words[2:]))
    if first == "moderation":
        _no_more(words, 3, "/golive moderation [help|rules|ID]")
        if len(words) == 1:
            return ModerationQuery("history")
        if words[1].lower() == "help":
            _no_more(words, 2, "/golive moderation help")
            return ModerationQuery("help")
        _no_more(words, 2, "/golive moderation ID")
        return ModerationQuery("history", _broadcast_id(words[1]))
    if first in _GOLIVE_ACTIONS:
        action = cast(Literal["start", "stop", "status", "report"], first)
        if len(words) == 1:
            return BroadcastAction(action, None)
        _no_more(words, 2, f"/golive {first} ID")
        return BroadcastAction(action, _broadcast_id(words[1]))
    if first == "cancel":
        if len(words) < 2:
            raise CommandError("Say which broadcast: /golive cancel ID (see /golive list).")
        _no_more(words, 2, "/golive cancel ID")
        return BroadcastChange("cancel", _broadcast_id(words[1]))
    if first == "edit":
        return _parse_golive_edit(stripped[len(words[0]) :].strip(), ctx)
    raise CommandError(
        f"Unknown /golive action '{_show(words[0])}'. Choose from: "
        f"{', '.join((*_GOLIVE_ACTIONS, 'edit', 'cancel', 'list', 'help'))}, or a title in quotes, "
        f'e.g. /golive "Sunday service" on youtube.'
    )


def _parse_meet(text: str, ctx: _Context) -> Command:
    stripped = text.strip()
    if not stripped:
        return OpenForm("meet")
    if _opens_quote(stripped):
        return _parse_create("meet", stripped, ctx)
    words = stripped.split()
    first = words[0].lower()
    if first == "help":
        return _parse_help(words[1:]) if len(words) > 1 else Help("meet")
    if first == "list":
        _no_more(words, 1, "/meet list")
        return ListItems("meet")
    if first == "cancel":
        if len(words) < 2:
            raise CommandError("Say which meeting: /meet cancel ID (see /meet list).")
        _no_more(words, 2, "/meet cancel ID")
        return MeetingAction("cancel", _broadcast_id(words[1], "meeting"))
    if first == "edit":
        return _parse_meet_edit(stripped[len(words[0]) :].strip(), ctx)
    raise CommandError(
        f"Unknown /meet action '{_show(words[0])}'. Choose from: list, edit, cancel, help, "
        f'or a title in quotes, e.g. /meet "Team sync" on zoom.'
    )


def _parse_meet_edit(text: str, ctx: _Context) -> MeetingAction:
    usage = '/meet edit ID ["New title"] [at 2026-12-24 18:00] [for 45m]'
    if not text:
        raise CommandError(f"Say which meeting and what changes: {usage}.")
    meeting_id, _, rest = text.partition(" ")
    meeting_id = _broadcast_id(meeting_id, "meeting")
    rest = rest.strip()
    title = None
    if rest and _opens_quote(rest):
        raw, rest = _split_title(rest, "meet")
        title = _check_title(raw, "meet")
    words = rest.split()
    start: datetime | None = None
    duration: int | None = None
    i = 0
    while i < len(words):
        key = words[i].lower()
        if key not in ("at", "for") or (key == "at" and start) or (key == "for" and duration):
            raise CommandError(f"Unexpected word '{_show(words[i])}': write {usage}.")
        j = i + 1
        while j < len(words) and words[j].lower() not in ("at", "for"):
            j += 1
        values = words[i + 1 : j]
        if key == "at":
            start, used = _parse_at(values, ctx)
        else:
            if not values:
                raise CommandError("Say how long after 'for', e.g. for 45m, for 90 or for 1h30m.")
            duration, used = _parse_duration(values[0]), 1
        i += 1 + used
    if title is None and start is None and duration is None:
        raise CommandError(f"Nothing to change: {usage}.")
    return MeetingAction("edit", meeting_id, title, start, duration)


def _parse_golive_edit(text: str, ctx: _Context) -> BroadcastChange:
    usage = '/golive edit ID ["New title"] [at 2026-12-24 18:00]'
    if not text:
        raise CommandError(f"Say which broadcast and what changes: {usage}.")
    stream_id, _, rest = text.partition(" ")
    stream_id = _broadcast_id(stream_id)
    rest = rest.strip()
    title = None
    if rest and _opens_quote(rest):
        raw, rest = _split_title(rest, "golive")
        title = _check_title(raw, "golive")
    words = rest.split()
    start: datetime | None = None
    if words:
        if words[0].lower() != "at":
            raise CommandError(f"Unexpected word '{_show(words[0])}': write {usage}.")
        start, used = _parse_at(words[1:], ctx)
        _no_more(words, 1 + used, usage)
    if title is None and start is None:
        raise CommandError(f"Nothing to change: {usage}.")
    return BroadcastChange("edit", stream_id, title, start)


def _no_more(words: list[str], allowed: int, usage: str) -> None:
    if len(words) > allowed:
        raise CommandError(f"Unexpected '{_show(words[allowed])}' at the end: write just {usage}.")


def _broadcast_id(word: str, noun: str = "broadcast") -> str:
    candidate = word.removeprefix("#")
    if len(candidate) > MAX_ID_LENGTH or not _ID.fullmatch(candidate):
        listing = "/golive list" if noun == "broadcast" else "/meet list"
        raise CommandError(
            f"'{_show(word)}' is not a {noun} ID: IDs are letters, digits, '-' or '_' "
            f"(see {listing})."
        )
    return candidate


# Opening quote -> the characters accepted as its closing quote. Autocorrect on macOS, iOS and
# in Slack turns straight quotes into curly ones, not always in matching pairs.
_QUOTES: dict[str, str] = {
    '"': '"“”',
    "“": '”“"',
    "”": '”“"',
    "„": '“”"',
    "«": "»",
    "'": "'’‘",
    "‘": "’‘'",
    "’": "’‘'",
}


def _opens_quote(text: str) -> bool:
    return text[0] in _QUOTES


def _split_title(text: str, kind: str) -> tuple[str, str]:
    """Split ``"Title" rest`` into the title and the rest.

    The closing quote is the first closing character followed by whitespace or the end, so
    apostrophes inside a single-quoted title (``'Ana's party'``) survive.
    """
    closers = _QUOTES[text[0]]
    body = text[1:]
    end = -1
    for i, ch in enumerate(body):
        if ch in closers and (i + 1 == len(body) or body[i + 1].isspace()):
            end = i
            break
    if end < 0:
        end = next((i for i, ch in enumerate(body) if ch in closers), -1)
    if end < 0:
        raise CommandError(
            f"The title's quote is never closed: end it with a matching quote, "
            f'e.g. /{kind} "{_example_title(kind)}" on {_example_platform(kind)}.'
        )
    return body[:end], body[end + 1 :]


def _example_title(kind: str) -> str:
    return "Sunday service" if kind == "golive" else "Team sync"


def _example_platform(kind: str) -> str:
    return "youtube" if kind == "golive" else "zoom"


def check_title(raw: str, kind: Literal["golive", "meet"]) -> str:
    """The title rules of the chat grammar, for forms and the API (raises CommandError)."""
    return _check_title(raw, kind)


def _check_title(raw: str, kind: str) -> str:
    title = raw.strip()
    if not title:
        raise CommandError(
            f"The title is missing: write it in quotes, "
            f'e.g. /{kind} "{_example_title(kind)}" on {_example_platform(kind)}.'
        )
    if any(unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") for ch in title):
        raise CommandError(
            "The title contains a line break or another control character: "
            "keep it to one line of plain text."
        )
    if len(title) > MAX_TITLE_LENGTH:
        raise CommandError(
            f"The title is {len(title)} characters long: keep it to {MAX_TITLE_LENGTH} "
            "or fewer (YouTube's limit)."
        )
    return title


_KEYWORDS_BOTH = ("on", "primary", "at", "record")
_KEYWORDS_MEET_ONLY = ("for", "with")
#: ``chat`` turns the live chat relay on (a flag, like ``record``)
_KEYWORDS_GOLIVE_ONLY = ("chat",)
_FLAGS = ("record", "chat")


def _parse_create(kind: Literal["golive", "meet"], text: str, ctx: _Context) -> Command:
    raw_title, rest = _split_title(text, kind)
    title = _check_title(raw_title, kind)
    keywords = _KEYWORDS_BOTH + (_KEYWORDS_MEET_ONLY if kind == "meet" else _KEYWORDS_GOLIVE_ONLY)
    chosen_names, other_names = (
        (ctx.live, ctx.meeting) if kind == "golive" else (ctx.meeting, ctx.live)
    )

    words = rest.split()
    seen: set[str] = set()
    platforms: tuple[str, ...] | None = None
    primary: str | None = None
    start: datetime | None = None
    duration = DEFAULT_DURATION_MINUTES
    record = chat = False
    invitees: tuple[str, ...] = ()
    every_keyword = _KEYWORDS_BOTH + _KEYWORDS_MEET_ONLY + _KEYWORDS_GOLIVE_ONLY

    i = 0
    while i < len(words):
        word = words[i]
        key = word.lower()
        if key not in keywords:
            unused = tuple(k for k in keywords if k not in seen or k in _FLAGS)
            raise _unexpected(word, kind, unused, after_platforms=platforms is not None)
        if key in seen and key not in _FLAGS:
            raise CommandError(f"'{key}' appears twice: say it once.")
        seen.add(key)
        i += 1
        # The words belonging to this keyword run up to the next keyword.
        j = i
        while j < len(words) and words[j].lower() not in every_keyword:
            j += 1
        values = words[i:j]
        if key == "on":
            platforms, used = _platform_list(values, kind, chosen_names, other_names, keywords)
            i += used
        elif key == "primary":
            if not values:
                raise CommandError(
                    "Name the primary platform after 'primary', e.g. primary "
                    f"{_example_platform(kind)}."
                )
            primary = values[0].strip(",").lower()
            i += 1
        elif key == "at":
            start, used = _parse_at(values, ctx)
            i += used
        elif key == "for":
            if not values:
                raise CommandError("Say how long after 'for', e.g. for 45m, for 90 or for 1h30m.")
            duration = _parse_duration(values[0])
            i += 1
        elif key == "with":
            invitees = _parse_invitees(values)
            i = j
        elif key == "chat":
            chat = True
        else:  # record
            record = True

    if platforms is None:
        raise CommandError(
            f"Say where with 'on', e.g. on {_example_platform(kind)}. "
            f"Choose from: {_available(chosen_names)}."
        )
    if primary is None:
        primary = platforms[0]
    elif primary not in platforms:
        raise CommandError(
            f"The primary platform '{_show(primary)}' is not one of the chosen platforms: "
            f"{', '.join(platforms)}."
        )
    if kind == "golive":
        return CreateBroadcast(
            title=title,
            platforms=platforms,
            primary=primary,
            start=start,
            record=record,
            chat_relay=chat,
        )
    return CreateMeeting(
        title=title,
        platforms=platforms,
        primary=primary,
        start=start,
        duration_minutes=duration,
        record=record,
        invitees=invitees,
    )


def _unexpected(
    word: str, kind: str, keywords: tuple[str, ...], *, after_platforms: bool
) -> CommandError:
    key = word.lower()
    if kind == "golive" and key in _KEYWORDS_MEET_ONLY:
        return CommandError(
            f"'{key}' only works with /meet; /golive takes: "
            f"{', '.join(_KEYWORDS_BOTH + _KEYWORDS_GOLIVE_ONLY)}."
        )
    if kind == "meet" and key in _KEYWORDS_GOLIVE_ONLY:
        return CommandError("'chat' only works with /golive: meetings have no live chat relay.")
    where = "After the title" if not after_platforms else "After the platforms"
    return CommandError(
        f"Unexpected word '{_show(word)}'. {where} you can write: {', '.join(keywords)}"
        f"{_did_you_mean(key, keywords)}."
    )


def _available(names: Sequence[str]) -> str:
    return _choices(names) if names else "none (no platform of this kind is set up)"


def _platform_list(
    values: list[str],
    kind: str,
    chosen_names: Sequence[str],
    other_names: Sequence[str],
    keywords: Sequence[str],
) -> tuple[tuple[str, ...], int]:
    """The platforms after ``on`` and how many words they took.

    Platforms may be separated by commas, spaces or both. A space-separated word that is no
    platform and looks like none ends the list, so it is reported as an unexpected word.
    """
    known = (*chosen_names, *other_names)
    names: list[str] = []
    used = 0
    for k, value in enumerate(values):
        pieces = [piece.lower() for piece in value.split(",") if piece]
        continues = k == 0 or "," in value or values[k - 1].endswith(",")
        looks_like_platform = all(p in known for p in pieces) or (
            bool(difflib.get_close_matches(value.lower(), known, n=1, cutoff=_CLOSE))
            and not difflib.get_close_matches(value.lower(), keywords, n=1, cutoff=_CLOSE)
        )
        if not (continues or looks_like_platform):
            break
        names.extend(pieces)
        used = k + 1
    if not names:
        raise CommandError(
            f"Name at least one platform after 'on'. Choose from: {_available(chosen_names)}."
        )
    for name in names:
        if name in chosen_names:
            continue
        if name in other_names:
            if kind == "golive":
                raise CommandError(
                    f"'{_show(name)}' is a meeting platform: use /meet for it, or choose from: "
                    f"{_available(chosen_names)}."
                )
            raise CommandError(
                f"'{_show(name)}' is a livestream platform: use /golive for it, or choose from: "
                f"{_available(chosen_names)}."
            )
        raise CommandError(
            f"Unknown platform '{_show(name)}'. Choose from: {_available(chosen_names)}"
            f"{_did_you_mean(name, chosen_names)}."
        )
    return tuple(dict.fromkeys(names)), used


# --- times --------------------------------------------------------------------------------------

_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_DATETIME = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})[Tt]([0-9]{1,2}):([0-9]{2})")
_OFFSET = re.compile(r"(?:UTC|GMT)?([+-])([0-9]{1,2})(?::?([0-9]{2}))?", re.IGNORECASE)
_TIME_USAGE = (
    "write it as YYYY-MM-DD HH:MM with an optional zone, e.g. at 2026-12-01 18:00 Europe/Berlin"
)


def _parse_at(values: list[str], ctx: _Context) -> tuple[datetime, int]:
    """Parse the words after ``at``; return the aware start time and how many words it used."""
    if not values:
        raise CommandError(f"Say when after 'at': {_TIME_USAGE}.")
    first = values[0]
    used = 1
    day: date | None
    if m := _DATETIME.fullmatch(first):
        year, month, dom, hour, minute = (int(g) for g in m.groups())
        day = _make_date(year, month, dom, first)
    elif m := _DATE.fullmatch(first):
        year, month, dom = (int(g) for g in m.groups())
        day = _make_date(year, month, dom, first)
        if len(values) < 2 or not (t := _TIME.fullmatch(values[1])):
            raise CommandError(f"The date {_show(first)} needs a time after it: {_TIME_USAGE}.")
        hour, minute = int(t.group(1)), int(t.group(2))
        used = 2
    elif m := _TIME.fullmatch(first):
        hour, minute = int(m.group(1)), int(m.group(2))
        day = None
    else:
        raise CommandError(f"'{_show(first)}' is not a time: {_TIME_USAGE}.")
    if hour > 23 or minute > 59:
        raise CommandError(f"There is no time of day {hour:02d}:{minute:02d}: {_TIME_USAGE}.")

    zone_word = values[used] if len(values) > used else None
    if zone_word is not None:
        zone, zone_name = _zone(zone_word)
        used += 1
    else:
        zone, zone_name = _default_zone(ctx.default_tz)
    if day is None:
        day = _local_now(ctx.now, zone).date()

    start = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
    shown = f"{start:%Y-%m-%d %H:%M} {zone_name}"
    try:
        round_trip = start.astimezone(UTC).astimezone(zone)
    except (OverflowError, ValueError):
        raise CommandError(f"{shown} is too far away: {_TIME_USAGE}.") from None
    if round_trip.replace(tzinfo=None) != start.replace(tzinfo=None):
        raise CommandError(f"{shown} does not exist: the clocks change then; pick another time.")
    if start < ctx.now:
        now_shown = f"{_local_now(ctx.now, zone):%Y-%m-%d %H:%M}"
        raise CommandError(
            f"That time is in the past: {shown} (it is now {now_shown} there); "
            "pick a later time or leave 'at' out to start now."
        )
    return start, used


def _local_now(now: datetime, zone: tzinfo) -> datetime:
    try:
        return now.astimezone(zone)
    except (OverflowError, ValueError):
        raise CommandError(
            "That time cannot be placed on golive's clock: write a full date and time, "
            "e.g. at 2026-12-01 18:00 Europe/Berlin."
        ) from None


def _make_date(year: int, month: int, day: int, word: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise CommandError(f"There is no date {_show(word)}: {_TIME_USAGE}.") from None


@functools.cache
def _zone_names() -> dict[str, str]:
    """Lower-cased IANA zone name -> its canonical spelling, so zones are case-insensitive."""
    try:
        return {name.lower(): name for name in zoneinfo.available_timezones()}
    except (OSError, ValueError):
        return {}


def _zone(word: str) -> tuple[tzinfo, str]:
    """A user's zone word: UTC, an offset like +01:00 or UTC+1, or an IANA name."""
    if word.upper() in ("UTC", "Z", "GMT"):
        return UTC, "UTC"
    if m := _OFFSET.fullmatch(word):
        sign, hours, minutes = m.group(1), int(m.group(2)), int(m.group(3) or 0)
        if hours > 14 or minutes > 59 or (hours == 14 and minutes):
            raise CommandError(
                f"'{_show(word)}' is not a UTC offset: offsets run from -14:00 to +14:00."
            )
        delta = timedelta(hours=hours, minutes=minutes)
        offset = timezone(-delta if sign == "-" else delta)
        return offset, f"UTC{sign}{hours:02d}:{minutes:02d}"
    names = _zone_names()
    canonical = names.get(word.lower())
    if canonical is None and not names:
        canonical = word  # no zone list on this system: let zoneinfo decide
    if canonical is not None:
        try:
            return zoneinfo.ZoneInfo(canonical), canonical
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            pass
    hint = ""
    close = difflib.get_close_matches(word.lower(), list(names), n=1, cutoff=0.6)
    if close:
        hint = f" (did you mean {names[close[0]]}?)"
    raise CommandError(
        f"Unknown time zone '{_show(word)}': use a name like Europe/Berlin, UTC, "
        f"or an offset like +01:00{hint}."
    )


def _default_zone(name: str) -> tuple[tzinfo, str]:
    try:
        return _zone(name)
    except CommandError:
        raise CommandError(
            f"golive's default time zone '{_show(name)}' is unknown: add a zone after the time, "
            "e.g. at 2026-12-01 18:00 Europe/Berlin, or ask an admin to fix the setting."
        ) from None


# --- meetings -----------------------------------------------------------------------------------

_DURATION = re.compile(r"(?:([0-9]{1,4})h)?(?:([0-9]{1,5})m(?:in)?)?|([0-9]{1,5})", re.IGNORECASE)


def _parse_duration(word: str) -> int:
    m = _DURATION.fullmatch(word.strip(","))
    if not m or not any(m.groups()):
        raise CommandError(
            f"'{_show(word)}' is not a duration: write minutes or hours, "
            "e.g. for 45m, for 90, for 1h or for 1h30m."
        )
    hours, minutes, bare = m.groups()
    total = int(bare) if bare else int(hours or 0) * 60 + int(minutes or 0)
    if not 1 <= total <= MAX_DURATION_MINUTES:
        raise CommandError(
            f"A meeting lasts from 1 minute to {MAX_DURATION_MINUTES} minutes (24 hours); "
            f"'{_show(word)}' is outside that."
        )
    return total


# @name, Slack <@U123> / <@U123|ana>, Discord <@123> / <@!123>
_MENTION = re.compile(r"@[^\s@<>,]+|<@!?[A-Za-z0-9]+(?:\|[^\s<>|]+)?>")


def _parse_invitees(values: list[str]) -> tuple[str, ...]:
    people = [piece for value in values for piece in value.split(",") if piece]
    if not people:
        raise CommandError("Name at least one person after 'with', e.g. with @ana @ben.")
    for person in people:
        if not _MENTION.fullmatch(person):
            raise CommandError(
                f"'{_show(person)}' is not a person: after 'with' write @name or mention them, "
                "e.g. with @ana @ben."
            )
    return tuple(dict.fromkeys(people))


# --- /platforms ---------------------------------------------------------------------------------

_PLATFORM_ACTIONS = ("list", "connect", "disconnect", "api-token", "notify", "help")
NOTIFY_KINDS = ("expired", "broken", "refresh")
_NOTIFY_USAGE = (
    "/platforms notify · /platforms notify expired,broken,refresh on|off · "
    "/platforms notify channel #channel · /platforms notify dm"
)
#: a channel as Slack (<#C0123|name>) or Discord (<#123>) writes it, or its bare id
_CHANNEL = re.compile(r"<#([A-Z0-9]+)(?:\|[^>]*)?>|([CG][A-Z0-9]{6,})|(\d{15,22})")


def _parse_notify(words: list[str]) -> NotifyAction:
    if not words:
        return NotifyAction("show")
    first = words[0].lower()
    if first == "dm":
        _no_more(words, 1, "/platforms notify dm")
        return NotifyAction("dm")
    if first == "channel":
        if len(words) < 2:
            raise CommandError(
                "Name the channel for notices, e.g. /platforms notify channel #ops "
                "(mention it so it becomes a link), or /platforms notify dm."
            )
        _no_more(words, 2, "/platforms notify channel #channel")
        found = _CHANNEL.fullmatch(words[1])
        if not found:
            raise CommandError(
                f"'{_show(words[1])}' is not a channel: mention it (type # and pick it), "
                "e.g. /platforms notify channel #ops."
            )
        return NotifyAction("channel", channel=next(g for g in found.groups() if g))
    kinds = [k.strip().lower() for k in first.split(",") if k.strip()]
    chosen = NOTIFY_KINDS if kinds == ["all"] else tuple(kinds)
    unknown = [k for k in chosen if k not in NOTIFY_KINDS]
    if unknown or not chosen:
        raise CommandError(
            f"Unknown notice '{_show(unknown[0] if unknown else first)}'. Choose from: "
            f"{', '.join(NOTIFY_KINDS)} or all (then on or off), channel, dm: {_NOTIFY_USAGE}."
        )
    if len(words) < 2 or words[1].lower() not in ("on", "off"):
        raise CommandError(f"Say on or off after the notices, e.g. /platforms notify {first} off.")
    _no_more(words, 2, f"/platforms notify {first} {words[1].lower()}")
    return NotifyAction("kinds", tuple(dict.fromkeys(chosen)), words[1].lower() == "on")


def _parse_api_token(words: list[str]) -> ApiTokenAction:
    usage = "/platforms api-token create NAME [read|read-write] · list · revoke NAME"
    action = words[0].lower() if words else ""
    if action == "list":
        _no_more(words, 1, "/platforms api-token list")
        return ApiTokenAction("list")
    if action not in ("create", "revoke") or len(words) < 2:
        raise CommandError(f"Say what to do with API tokens: {usage}.")
    if action == "revoke":
        _no_more(words, 2, "/platforms api-token revoke NAME")
        return ApiTokenAction("revoke", words[1])
    _no_more(words, 3, "/platforms api-token create NAME [read|read-write]")
    scope = words[2].lower() if len(words) > 2 else "read"
    if scope not in ("read", "read-write"):
        raise CommandError(f"'{_show(words[2])}' is not a scope: choose read or read-write.")
    return ApiTokenAction("create", words[1], cast(Literal["read", "read-write"], scope))


def _parse_platforms(text: str, ctx: _Context) -> Command:
    words = text.split()
    if not words:
        return Platforms("list", None, ())
    action = words[0].lower()
    if action == "help":
        return _parse_help(words[1:]) if len(words) > 1 else Help("platforms")
    if action == "list":
        _no_more(words, 1, "/platforms list")
        return Platforms("list", None, ())
    if action == "api-token":
        return _parse_api_token(words[1:])
    if action == "notify":
        return _parse_notify(words[1:])
    if action not in ("connect", "disconnect"):
        raise CommandError(
            f"Unknown /platforms action '{_show(words[0])}'. Choose from: "
            f"{', '.join(_PLATFORM_ACTIONS)}{_did_you_mean(action, _PLATFORM_ACTIONS)}."
        )
    every = tuple(dict.fromkeys((*ctx.live, *ctx.meeting)))
    if len(words) < 2:
        raise CommandError(
            f"Name the platform to {action}, e.g. /platforms {action} youtube. "
            f"Choose from: {_available(every)}."
        )
    platform = words[1].lower()
    if platform not in every:
        raise CommandError(
            f"Unknown platform '{_show(words[1])}'. Choose from: {_available(every)}"
            f"{_did_you_mean(platform, every)}."
        )
    if action == "disconnect":
        _no_more(words, 2, f"/platforms disconnect {platform}")
        return Platforms("disconnect", platform, ())
    return Platforms("connect", platform, tuple(words[2:]))
