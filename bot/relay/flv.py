"""RTMP media messages as FLV tags, and what a destination needs to start decoding.

FLV is Adobe's "Video File Format Specification, Version 10.1", annex E: a 9-byte header
(``FLV``, version 1, flags 0x04 audio | 0x01 video, header size 9), then a 4-byte previous
tag size, then tags of an 11-byte header (type 8 audio, 9 video, 18 script data; 24-bit
size; 24-bit timestamp plus an 8-bit extension holding the upper bits; stream id 0), the
body, and the tag's own size. RTMP audio/video/data messages carry exactly those bodies, so
a message becomes a tag by adding the header. In a video body the first byte holds the
frame type (1 = key frame) and codec (7 = AVC), the second the AVC packet type (0 = the
sequence header with the decoder configuration); in an AAC audio body (sound format 10) the
second byte 0 marks the AudioSpecificConfig. Enhanced RTMP (the "ex header" bit 0x80 of the
first byte, used for HEVC and AV1) keeps the frame type in bits 4–6 and the packet type
(0 = sequence start) in the low four bits.

:class:`StreamState` remembers the script data (``onMetaData``, with the ``@setDataFrame``
wrapper RTMP adds removed), the sequence headers and the tags since the last key frame, so a
destination that joins late, or reconnects, starts on a key frame with its decoder
configured.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from bot.relay import amf0

AUDIO, VIDEO, SCRIPT = 8, 9, 18
HEADER = b"FLV\x01\x05\x00\x00\x00\x09" + b"\x00\x00\x00\x00"
MAX_GOP_BYTES = 32 * 1024 * 1024  # ~40 s at 6 Mbit/s: an encoder with no key frames is broken


@dataclass(frozen=True)
class Tag:
    kind: int
    timestamp: int
    body: bytes

    def encode(self, timestamp: int | None = None) -> bytes:
        ts = self.timestamp if timestamp is None else timestamp
        ts &= 0xFFFFFFFF
        size = len(self.body)
        head = (
            bytes([self.kind])
            + size.to_bytes(3, "big")
            + (ts & 0xFFFFFF).to_bytes(3, "big")
            + bytes([ts >> 24])
            + b"\x00\x00\x00"
        )
        return head + self.body + struct.pack(">I", size + 11)

    @property
    def is_keyframe(self) -> bool:
        if self.kind != VIDEO or not self.body:
            return False
        first = self.body[0]
        frame = (first >> 4) & (0x07 if first & 0x80 else 0x0F)
        return frame == 1 and not self.is_sequence_header

    @property
    def is_sequence_header(self) -> bool:
        body = self.body
        if self.kind == VIDEO and body:
            if body[0] & 0x80:
                return body[0] & 0x0F == 0
            return len(body) > 1 and body[0] & 0x0F in (7, 12) and body[1] == 0
        if self.kind == AUDIO and body:
            if body[0] >> 4 == 9:  # enhanced audio
                return body[0] & 0x0F == 0
            return len(body) > 1 and body[0] >> 4 == 10 and body[1] == 0
        return False


def script_body(payload: bytes) -> bytes | None:
    """``@setDataFrame onMetaData {…}`` from RTMP as the FLV ``onMetaData {…}`` body."""
    try:
        values = amf0.decode_all(payload)
    except amf0.AmfError:
        return None
    if values and values[0] == "@setDataFrame":
        values = values[1:]
    if len(values) < 2 or values[0] != "onMetaData" or not isinstance(values[1], dict):
        return None
    meta = amf0.EcmaArray(values[1])
    return amf0.encode("onMetaData", meta)


@dataclass
class StreamState:
    """What a destination needs before live tags: metadata, decoder setup, the current GOP."""

    metadata: Tag | None = None
    video_header: Tag | None = None
    audio_header: Tag | None = None
    gop: list[Tag] = field(default_factory=list)
    gop_bytes: int = 0
    has_video: bool = False

    def remember(self, tag: Tag) -> None:
        if tag.kind == SCRIPT:
            self.metadata = tag
        elif tag.is_sequence_header:
            if tag.kind == VIDEO:
                self.video_header = tag
            else:
                self.audio_header = tag
        elif tag.kind == VIDEO:
            self.has_video = True
            if tag.is_keyframe:
                self.gop = [tag]
                self.gop_bytes = len(tag.body)
            elif self.gop:
                self._append(tag)
        elif self.gop or not self.has_video:
            self._append(tag)

    def _append(self, tag: Tag) -> None:
        self.gop.append(tag)
        self.gop_bytes += len(tag.body)
        if self.gop_bytes > MAX_GOP_BYTES:
            self.gop, self.gop_bytes = [], 0

    def start_tags(self) -> list[Tag]:
        """Metadata and sequence headers (stamped with the GOP's first time), then the GOP."""
        first = self.gop[0].timestamp if self.gop else 0
        heads = [t for t in (self.metadata, self.video_header, self.audio_header) if t]
        return [Tag(t.kind, first, t.body) for t in heads] + list(self.gop)


def read_tags(data: bytes) -> list[Tag]:
    """The tags of an FLV file (stops at a truncated tag, as a file cut off by a crash ends)."""
    if data[:3] != b"FLV":
        raise ValueError("not an FLV file")
    (offset,) = struct.unpack_from(">I", data, 5)
    pos = offset + 4
    tags = []
    while pos + 11 <= len(data):
        kind = data[pos]
        size = int.from_bytes(data[pos + 1 : pos + 4], "big")
        ts = int.from_bytes(data[pos + 4 : pos + 7], "big") | (data[pos + 7] << 24)
        end = pos + 11 + size
        if end + 4 > len(data):
            break
        tags.append(Tag(kind, ts, data[pos + 11 : end]))
        pos = end + 4
    return tags
