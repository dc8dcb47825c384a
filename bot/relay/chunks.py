"""The RTMP chunk stream: messages split into chunks on the wire, and joined back.

Follows Adobe's Real Time Messaging Protocol specification (H. Parmar, M. Thornburgh,
December 2012), section 5.3: a basic header of one to three bytes (fmt and chunk stream id,
ids 2–63 in one byte, 64–319 in two, up to 65599 in three), then a message header of 11
(fmt 0: absolute timestamp, length, type id, little-endian message stream id), 7 (fmt 1:
timestamp delta, length, type), 3 (fmt 2: delta) or 0 bytes (fmt 3), an extended 32-bit
timestamp when the 24-bit field holds 0xFFFFFF (repeated on fmt 3 chunks of such a message),
and at most the current chunk size of payload. Set Chunk Size (type 1) and Abort (type 2)
change how the following bytes are read, so :class:`ChunkReader` applies them itself.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

SET_CHUNK_SIZE, ABORT, ACK, USER_CONTROL, WINDOW_ACK_SIZE, SET_PEER_BANDWIDTH = 1, 2, 3, 4, 5, 6
AUDIO, VIDEO, DATA_AMF3, COMMAND_AMF3, DATA_AMF0, COMMAND_AMF0 = 8, 9, 15, 17, 18, 20
DEFAULT_CHUNK_SIZE = 128
MAX_MESSAGE = 16 * 1024 * 1024  # no encoder sends a larger frame; a bigger length is an attack
_EXTENDED = 0xFFFFFF


class ChunkError(ValueError):
    """The peer broke the chunk stream rules; the connection cannot continue."""


@dataclass(frozen=True)
class Message:
    type_id: int
    timestamp: int
    payload: bytes
    stream_id: int = 0
    csid: int = 3


@dataclass
class _Inbound:
    timestamp: int = 0
    delta: int = 0
    length: int = 0
    type_id: int = 0
    stream_id: int = 0
    extended: bool = False
    partial: bytearray = field(default_factory=bytearray)


class ChunkReader:
    """Feed it bytes as they arrive; it returns every message completed by them."""

    def __init__(self) -> None:
        self.chunk_size = DEFAULT_CHUNK_SIZE
        self._buffer = bytearray()
        self._streams: dict[int, _Inbound] = {}

    def feed(self, data: bytes) -> list[Message]:
        self._buffer += data
        messages: list[Message] = []
        pos = 0
        while True:
            step = self._chunk(pos)
            if step is None:
                break
            pos, message = step
            if message is not None:
                messages.append(message)
                self._control(message)
        del self._buffer[:pos]
        return messages

    def _control(self, message: Message) -> None:
        if message.stream_id != 0 or len(message.payload) < 4:
            return
        (value,) = struct.unpack_from(">I", message.payload)
        if message.type_id == SET_CHUNK_SIZE:
            size = value & 0x7FFFFFFF
            if size < 1:
                raise ChunkError("chunk size must be at least 1")
            self.chunk_size = min(size, MAX_MESSAGE)
        elif message.type_id == ABORT and value in self._streams:
            self._streams[value].partial.clear()

    def _chunk(self, pos: int) -> tuple[int, Message | None] | None:
        """Parse one whole chunk at ``pos``: (next position, completed message or None)."""
        buf = self._buffer
        if pos >= len(buf):
            return None
        first = buf[pos]
        fmt, csid = first >> 6, first & 0x3F
        pos += 1
        if csid == 0:
            if pos + 1 > len(buf):
                return None
            csid = 64 + buf[pos]
            pos += 1
        elif csid == 1:
            if pos + 2 > len(buf):
                return None
            csid = 64 + buf[pos] + buf[pos + 1] * 256
            pos += 2
        size = (11, 7, 3, 0)[fmt]
        if pos + size > len(buf):
            return None
        known = self._streams.get(csid)
        if known is None and fmt != 0:
            raise ChunkError(f"chunk stream {csid} starts without a full (type 0) header")
        state = known or _Inbound()
        timestamp, delta, length = state.timestamp, state.delta, state.length
        type_id, stream_id, extended = state.type_id, state.stream_id, state.extended
        if fmt <= 2:
            stamp = int.from_bytes(buf[pos : pos + 3], "big")
            extended = stamp == _EXTENDED
            if fmt <= 1:
                length = int.from_bytes(buf[pos + 3 : pos + 6], "big")
                type_id = buf[pos + 6]
                if length > MAX_MESSAGE:
                    raise ChunkError(f"a message of {length} bytes is larger than allowed")
            if fmt == 0:
                (stream_id,) = struct.unpack_from("<I", buf, pos + 7)
            pos += size
        if extended:
            if pos + 4 > len(buf):
                return None
            (stamp,) = struct.unpack_from(">I", buf, pos)
            pos += 4
        starting = not state.partial
        if fmt == 0:
            timestamp = delta = stamp
        elif fmt <= 2:
            delta = stamp
        if starting and fmt != 0:
            timestamp = (timestamp + delta) & 0xFFFFFFFF
        take = min(self.chunk_size, length - len(state.partial))
        if pos + take > len(buf):
            return None
        state.partial += buf[pos : pos + take]
        pos += take
        state.timestamp, state.delta, state.length = timestamp, delta, length
        state.type_id, state.stream_id, state.extended = type_id, stream_id, extended
        self._streams[csid] = state
        if len(state.partial) < length:
            return pos, None
        payload = bytes(state.partial)
        state.partial.clear()
        return pos, Message(type_id, timestamp, payload, stream_id, csid)


@dataclass
class _Outbound:
    timestamp: int
    length: int
    type_id: int
    stream_id: int
    delta: int


class ChunkWriter:
    """Chunks messages for the peer, with the shortest header each chunk stream allows."""

    def __init__(self, chunk_size: int = DEFAULT_CHUNK_SIZE) -> None:
        self.chunk_size = chunk_size
        self._streams: dict[int, _Outbound] = {}

    def write(self, message: Message) -> bytes:
        csid, ts, length = message.csid, message.timestamp, len(message.payload)
        last = self._streams.get(csid)
        if last is None or message.stream_id != last.stream_id or ts < last.timestamp:
            fmt, field_value = 0, ts
        elif length != last.length or message.type_id != last.type_id:
            fmt, field_value = 1, ts - last.timestamp
        elif ts - last.timestamp != last.delta:
            fmt, field_value = 2, ts - last.timestamp
        else:
            fmt, field_value = 3, last.delta
        delta = ts if fmt == 0 else ts - last.timestamp  # type: ignore[union-attr]
        self._streams[csid] = _Outbound(ts, length, message.type_id, message.stream_id, delta)
        extended = field_value >= _EXTENDED
        stamp = _EXTENDED if extended else field_value
        header = bytearray(_basic(fmt, csid))
        if fmt <= 2:
            header += stamp.to_bytes(3, "big")
        if fmt <= 1:
            header += length.to_bytes(3, "big") + bytes([message.type_id])
        if fmt == 0:
            header += struct.pack("<I", message.stream_id)
        tail = struct.pack(">I", field_value) if extended else b""
        out = bytearray(header + tail)
        payload = message.payload
        out += payload[: self.chunk_size]
        for start in range(self.chunk_size, length, self.chunk_size):
            out += _basic(3, csid) + tail + payload[start : start + self.chunk_size]
        return bytes(out)


def _basic(fmt: int, csid: int) -> bytes:
    if csid < 2 or csid > 65599:
        raise ValueError(f"chunk stream id {csid} is out of range")
    if csid < 64:
        return bytes([(fmt << 6) | csid])
    if csid < 320:
        return bytes([fmt << 6, csid - 64])
    rest = csid - 64
    return bytes([(fmt << 6) | 1, rest & 0xFF, rest >> 8])


def control(type_id: int, value: int, extra: bytes = b"") -> Message:
    """A protocol control message (chunk stream 2, message stream 0)."""
    return Message(type_id, 0, struct.pack(">I", value) + extra, 0, 2)
