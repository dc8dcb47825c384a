"""What a platform answers when golive asks for the recording of something that ended.

Recordings take a while after the end (YouTube processes the video, Zoom the cloud
recording), so a lookup has three outcomes: the recordings (:class:`Found`), "ask again
later" (:class:`Processing`) and "there will be none" (:class:`NoRecording`: recording was
off, the platform failed or deleted it). Only links members may click are returned; a
download URL that needs an access token never leaves the provider.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from providers.base import BroadcastHandle, MeetingHandle


@dataclass(frozen=True)
class Recording:
    url: str  # https, openable by a member in a browser
    kind: str  # "video", "share", "play", "meeting chat"
    label: str = ""
    #: the platform asks for a passcode before playing it (Zoom); the passcode is a secret
    passcode_required: bool = False


@dataclass(frozen=True)
class Found:
    recordings: tuple[Recording, ...]


@dataclass(frozen=True)
class Processing:
    reason: str


@dataclass(frozen=True)
class NoRecording:
    reason: str


Lookup = Found | Processing | NoRecording


@runtime_checkable
class BroadcastRecordings(Protocol):
    async def find_recordings(self, handle: BroadcastHandle) -> Lookup: ...


@runtime_checkable
class MeetingRecordings(Protocol):
    async def find_meeting_recordings(self, handle: MeetingHandle) -> Lookup: ...
