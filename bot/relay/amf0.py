"""AMF0, the value encoding of RTMP commands and of FLV script data.

Follows Adobe's "Action Message Format -- AMF 0" specification (2006): number (0x00, IEEE
754 double, big-endian), boolean (0x01), string (0x02, u16 length), object (0x03, name/value
pairs ended by an empty name and the object-end marker 0x09), null (0x05), undefined
(0x06), ECMA array (0x08, u32 count then pairs), strict array (0x0A), date (0x0B) and long
string (0x0C). Only what encoders send is decoded; anything else is an :class:`AmfError`.
"""

from __future__ import annotations

import struct
from typing import Any

NUMBER, BOOLEAN, STRING, OBJECT, NULL, UNDEFINED = 0x00, 0x01, 0x02, 0x03, 0x05, 0x06
ECMA_ARRAY, OBJECT_END, STRICT_ARRAY, DATE, LONG_STRING = 0x08, 0x09, 0x0A, 0x0B, 0x0C


class AmfError(ValueError):
    """The bytes are not AMF0 this module understands."""


class EcmaArray(dict):
    """A dict encoded as an ECMA array (onMetaData) rather than as an object."""


def decode_all(data: bytes) -> list[Any]:
    """Every value in ``data`` (a command message is a sequence of values)."""
    values = []
    pos = 0
    while pos < len(data):
        value, pos = decode(data, pos)
        values.append(value)
    return values


def decode(data: bytes, pos: int = 0) -> tuple[Any, int]:
    try:
        return _decode(data, pos)
    except (IndexError, struct.error, UnicodeDecodeError) as exc:
        raise AmfError(f"truncated or malformed AMF0 at byte {pos}") from exc


def _decode(data: bytes, pos: int) -> tuple[Any, int]:
    marker = data[pos]
    pos += 1
    if marker == NUMBER:
        return struct.unpack_from(">d", data, pos)[0], pos + 8
    if marker == BOOLEAN:
        return data[pos] != 0, pos + 1
    if marker == STRING:
        return _string(data, pos)
    if marker == LONG_STRING:
        (size,) = struct.unpack_from(">I", data, pos)
        end = pos + 4 + size
        if end > len(data):
            raise AmfError("long string runs past the end")
        return data[pos + 4 : end].decode(), end
    if marker in (NULL, UNDEFINED):
        return None, pos
    if marker == OBJECT:
        return _pairs(data, pos, {})
    if marker == ECMA_ARRAY:
        return _pairs(data, pos + 4, EcmaArray())
    if marker == STRICT_ARRAY:
        (count,) = struct.unpack_from(">I", data, pos)
        pos += 4
        items = []
        for _ in range(count):
            item, pos = _decode(data, pos)
            items.append(item)
        return items, pos
    if marker == DATE:
        return struct.unpack_from(">d", data, pos)[0], pos + 10
    raise AmfError(f"AMF0 marker 0x{marker:02x} is not supported")


def _string(data: bytes, pos: int) -> tuple[str, int]:
    (size,) = struct.unpack_from(">H", data, pos)
    end = pos + 2 + size
    if end > len(data):
        raise AmfError("string runs past the end")
    return data[pos + 2 : end].decode(), end


def _pairs(data: bytes, pos: int, into: dict) -> tuple[dict, int]:
    while True:
        if data[pos : pos + 3] == b"\x00\x00\x09":
            return into, pos + 3
        name, pos = _string(data, pos)
        into[name], pos = _decode(data, pos)


def encode(*values: Any) -> bytes:
    return b"".join(_encode(v) for v in values)


def _encode(value: Any) -> bytes:
    if value is None:
        return bytes([NULL])
    if isinstance(value, bool):
        return bytes([BOOLEAN, 1 if value else 0])
    if isinstance(value, int | float):
        return bytes([NUMBER]) + struct.pack(">d", float(value))
    if isinstance(value, str):
        raw = value.encode()
        if len(raw) > 0xFFFF:
            return bytes([LONG_STRING]) + struct.pack(">I", len(raw)) + raw
        return bytes([STRING]) + struct.pack(">H", len(raw)) + raw
    if isinstance(value, EcmaArray):
        return bytes([ECMA_ARRAY]) + struct.pack(">I", len(value)) + _body(value)
    if isinstance(value, dict):
        return bytes([OBJECT]) + _body(value)
    if isinstance(value, list | tuple):
        return (
            bytes([STRICT_ARRAY])
            + struct.pack(">I", len(value))
            + b"".join(_encode(v) for v in value)
        )
    raise AmfError(f"cannot encode {type(value).__name__} as AMF0")


def _body(pairs: dict) -> bytes:
    out = bytearray()
    for name, value in pairs.items():
        raw = str(name).encode()
        out += struct.pack(">H", len(raw)) + raw + _encode(value)
    return bytes(out) + b"\x00\x00\x09"
