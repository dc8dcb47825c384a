"""The relay's wire formats on their own: chunk stream, AMF0 and FLV tags."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.relay import amf0
from bot.relay.chunks import (
    SET_CHUNK_SIZE,
    ChunkError,
    ChunkReader,
    ChunkWriter,
    Message,
    control,
)
from bot.relay.flv import AUDIO, HEADER, SCRIPT, VIDEO, StreamState, Tag, read_tags, script_body

messages = st.builds(
    Message,
    type_id=st.sampled_from([8, 9, 18, 20]),
    timestamp=st.integers(0, 0xFFFFFFFF),
    payload=st.binary(max_size=700),
    stream_id=st.integers(0, 3),
    csid=st.sampled_from([3, 4, 6, 63, 64, 319, 320, 65599]),
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(messages, max_size=12),
    st.integers(1, 600),
    st.lists(st.integers(1, 97), min_size=1, max_size=20),
)
def test_any_messages_chunked_at_any_size_parse_back_identically(
    sent: list[Message], size: int, cuts: list[int]
) -> None:
    writer = ChunkWriter(128)
    wire = writer.write(control(SET_CHUNK_SIZE, size))  # announced at 128, then used
    writer.chunk_size = size
    for message in sent:
        wire += writer.write(message)
    reader = ChunkReader()
    got: list[Message] = []
    pos, i = 0, 0
    while pos < len(wire):  # delivered in arbitrary pieces, as TCP does
        step = cuts[i % len(cuts)]
        got.extend(reader.feed(wire[pos : pos + step]))
        pos += step
        i += 1
    assert got[0].type_id == SET_CHUNK_SIZE
    assert got[1:] == sent
    assert reader.chunk_size == size


def test_a_continuing_header_on_an_unknown_chunk_stream_is_refused() -> None:
    with pytest.raises(ChunkError):
        ChunkReader().feed(bytes([0x43]) + b"\x00" * 7)


def test_extended_timestamps_survive() -> None:
    message = Message(9, 0x01000000 + 5, b"v" * 300, 1, 6)
    wire = ChunkWriter(128).write(message)
    assert wire[1:4] == b"\xff\xff\xff"
    assert ChunkReader().feed(wire) == [message]


amf_values = st.recursive(
    st.none()
    | st.booleans()
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | st.just("L" * 70000),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=10,
)


@settings(max_examples=100, deadline=None)
@given(st.lists(amf_values, max_size=5))
def test_amf0_round_trip(values: list) -> None:
    assert amf0.decode_all(amf0.encode(*values)) == values


def test_amf0_reads_what_encoders_send() -> None:
    # connect(1, {app: "live", tcUrl: …}) as ffmpeg writes it
    body = (
        b"\x02\x00\x07connect"
        + b"\x00"
        + struct.pack(">d", 1.0)
        + b"\x03\x00\x03app\x02\x00\x04live\x00\x05tcUrl\x02\x00\x1artmp://127.0.0.1:1935/live"
        + b"\x00\x00\x09"
    )
    assert amf0.decode_all(body) == [
        "connect",
        1.0,
        {"app": "live", "tcUrl": "rtmp://127.0.0.1:1935/live"},
    ]
    ecma = amf0.encode(amf0.EcmaArray({"width": 320.0}))
    assert ecma[0] == amf0.ECMA_ARRAY and amf0.decode_all(ecma) == [{"width": 320.0}]
    with pytest.raises(amf0.AmfError):
        amf0.decode_all(b"\x02\x00\x09abc")


def test_set_data_frame_becomes_on_meta_data() -> None:
    body = script_body(amf0.encode("@setDataFrame", "onMetaData", {"duration": 0.0}))
    assert body is not None
    assert amf0.decode_all(body) == ["onMetaData", {"duration": 0.0}]
    assert script_body(amf0.encode("onCuePoint", {})) is None


def _video(ts: int, key: bool) -> Tag:
    return Tag(VIDEO, ts, bytes([0x17 if key else 0x27, 1]) + b"frame")


def test_a_late_destination_starts_at_the_last_key_frame_with_headers() -> None:
    state = StreamState()
    meta = Tag(SCRIPT, 0, amf0.encode("onMetaData", amf0.EcmaArray({})))
    avc = Tag(VIDEO, 0, b"\x17\x00config")
    aac = Tag(AUDIO, 0, b"\xaf\x00\x12\x10")
    for tag in (meta, avc, aac, _video(0, True), _video(33, False), _video(2000, True)):
        state.remember(tag)
    state.remember(Tag(AUDIO, 2010, b"\xaf\x01sound"))
    state.remember(_video(2033, False))
    start = state.start_tags()
    assert [t.body for t in start[:3]] == [meta.body, avc.body, aac.body]
    assert all(t.timestamp == 2000 for t in start[:3])
    assert [t.timestamp for t in start[3:]] == [2000, 2010, 2033]
    assert start[3].is_keyframe and not avc.is_keyframe and avc.is_sequence_header

    flv = HEADER + b"".join(t.encode() for t in start)
    assert read_tags(flv) == start
    big = Tag(VIDEO, 0x12345678, b"\x27\x01x")
    assert read_tags(HEADER + big.encode())[0].timestamp == 0x12345678
    assert read_tags(HEADER + big.encode()[:-5]) == []  # a file cut off mid-tag
