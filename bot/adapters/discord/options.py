"""Typed slash-command options turned into golive's one command grammar.

Discord hands golive separate values (title, platforms, primary, start, duration, record);
``bot.commands`` understands one line of text. Writing that line here keeps every rule and
every error sentence in the grammar: Discord is just another way of typing it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.commands import CommandError

#: opening quote -> closing quote; the grammar accepts each pair (bot/commands.py ``_QUOTES``)
_QUOTE_PAIRS = (('"', '"'), ("«", "»"), ("‘", "’"))


def quote(title: str) -> str:
    """The title in quotes the grammar will split back out, whatever the title contains."""
    title = " ".join(title.split())
    for opening, closing in _QUOTE_PAIRS:
        closers = {'"': '"“”', "«": "»", "‘": "’‘'"}[opening]
        if not any(ch in title for ch in closers):
            return f"{opening}{title}{closing}"
    raise CommandError('The title mixes too many kinds of quotes: drop the " or » characters.')


@dataclass(frozen=True)
class CreateOptions:
    title: str | None = None
    platforms: str | None = None
    primary: str | None = None
    at: str | None = None
    duration: int | None = None  # minutes, meetings only
    record: bool = False
    invite: str | None = None  # meetings only: mentions or names after "with"
    chat: bool = False  # broadcasts only: relay the platforms' live chat

    def given(self) -> bool:
        return any(
            (self.title, self.platforms, self.primary, self.at, self.duration, self.invite)
        ) or bool(self.record or self.chat)


def platform_list(value: str) -> str:
    """``"YouTube, jitsi"`` -> ``"youtube,jitsi"`` (the grammar wants one comma-separated word)."""
    names = [part.strip().lower() for part in value.replace(" ", ",").split(",")]
    return ",".join(name for name in names if name)


def create_text(kind: str, options: CreateOptions) -> str:
    if not options.title:
        example = "Sunday service" if kind == "golive" else "Team sync"
        raise CommandError(
            f"Give the title (title: {example}), or run /{kind} with no options for the form."
        )
    parts = [quote(options.title)]
    if options.platforms:
        parts.append(f"on {platform_list(options.platforms)}")
    if options.primary:
        parts.append(f"primary {options.primary.strip().lower()}")
    if options.at:
        parts.append(f"at {' '.join(options.at.split())}")
    if options.duration is not None:
        parts.append(f"for {options.duration}m")
    if options.record:
        parts.append("record")
    if options.chat:
        parts.append("chat")
    if options.invite:
        parts.append(f"with {' '.join(options.invite.split())}")
    return " ".join(parts)


def action_text(action: str, item_id: str | None, details: str | None = None) -> str:
    """``action id`` or ``action details`` (e.g. ``moderation rules banned scamcoin``): never
    both, so an id can never end up inside a rule's value."""
    item = item_id.strip() if item_id else ""
    more = " ".join(details.split()) if details else ""
    if item and more:
        raise CommandError(f"Give either id: or details: for {action}, not both.")
    return " ".join(part for part in (action, item or more) if part)


def edit_text(item_id: str | None, options: CreateOptions, kind: str = "meet") -> str:
    if not item_id:
        what = "meeting" if kind == "meet" else "broadcast"
        raise CommandError(f"Say which {what} to edit (id: …, see /{kind} action: list).")
    parts = ["edit", item_id.strip()]
    if options.title:
        parts.append(quote(options.title))
    if options.at:
        parts.append(f"at {' '.join(options.at.split())}")
    if options.duration is not None:
        parts.append(f"for {options.duration}m")
    return " ".join(parts)


def complete_list(current: str, choices: list[str], limit: int = 25) -> list[str]:
    """Autocomplete for a comma-separated list: keep what is typed, suggest the next name."""
    typed = [part.strip().lower() for part in current.split(",")]
    done, partial = typed[:-1], typed[-1] if typed else ""
    done = [name for name in done if name]
    prefix = ",".join(done) + ("," if done else "")
    out = [prefix + name for name in choices if name.startswith(partial) and name not in done]
    if done and not partial:
        out.insert(0, ",".join(done))
    return out[:limit]
