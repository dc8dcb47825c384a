"""The relay's RTMP ingest: an asyncio server that accepts one publisher per stream key.

Written from Adobe's Real Time Messaging Protocol specification (H. Parmar, M. Thornburgh,
December 2012): section 5.2, the handshake (C0/S0 version 3, C1/S1 1536 bytes of time, zero
and random, C2/S2 echoing the peer's); section 5.4, protocol control messages (Set Chunk Size,
Acknowledgement, Window Acknowledgement Size, Set Peer Bandwidth); section 7.2, the
NetConnection and NetStream commands (``connect``, ``createStream``, ``publish``,
``deleteStream``) and the ``onStatus`` answers. Command values are AMF0 (see ``amf0``).
The S1 sent is the "simple" handshake (zero version field), which ffmpeg, OBS (librtmp) and
the other encoders accept for publishing.

What an encoder does, in order: handshake; ``connect`` to the app (``live``); ``releaseStream``
and ``FCPublish`` (answered, otherwise ignored); ``createStream`` (stream 1); ``publish`` with
the stream key as the stream name. A key that belongs to no broadcast, or whose broadcast
already has a publisher, is answered ``NetStream.Publish.BadName`` and the connection is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import struct
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.relay import amf0
from bot.relay.chunks import (
    ACK,
    AUDIO,
    COMMAND_AMF0,
    COMMAND_AMF3,
    DATA_AMF0,
    DATA_AMF3,
    SET_CHUNK_SIZE,
    SET_PEER_BANDWIDTH,
    USER_CONTROL,
    VIDEO,
    WINDOW_ACK_SIZE,
    ChunkError,
    ChunkReader,
    ChunkWriter,
    Message,
    control,
)

log = logging.getLogger(__name__)

HANDSHAKE_SIZE = 1536
WINDOW = 2_500_000
OUT_CHUNK_SIZE = 4096
HANDSHAKE_TIMEOUT = 10.0
IDLE_TIMEOUT = 30.0  # an encoder sends many messages a second; silence this long is a dead peer


class Sink(Protocol):
    """Where an accepted publisher's media goes (audio, video, data messages)."""

    def media(self, message: Message) -> None: ...

    def ended(self) -> None: ...


#: (stream key, session) -> a sink to publish into, or the sentence why not
Accept = Callable[[str, "RtmpSession"], Awaitable["Sink | str"]]


class RtmpSession:
    """One encoder connection."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: RtmpServer
    ):
        self._reader = reader
        self._writer = writer
        self._server = server
        self._chunks = ChunkReader()
        self._out = ChunkWriter()
        self._sink: Sink | None = None
        self._received = 0
        self._acked = 0
        self._window = 0
        self.app: str | None = None
        peer = writer.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else "unknown"
        self.closing = False

    def __repr__(self) -> str:
        return f"RtmpSession(peer={self.peer!r}, publishing={self._sink is not None})"

    async def run(self) -> None:
        try:
            await asyncio.wait_for(self._handshake(), HANDSHAKE_TIMEOUT)
            while not self.closing:
                data = await asyncio.wait_for(self._reader.read(65536), IDLE_TIMEOUT)
                if not data:
                    break
                self._received += len(data)
                for message in self._chunks.feed(data):
                    await self._handle(message)
                await self._acknowledge()
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError) as exc:
            log.info("relay: encoder %s disconnected (%s)", self.peer, type(exc).__name__)
        except (ChunkError, amf0.AmfError) as exc:
            log.warning("relay: closed %s, it broke the protocol: %s", self.peer, exc)
        finally:
            self._end_publishing()
            self._writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await self._writer.wait_closed()

    def close(self) -> None:
        """Drop the connection (golive stopping, or the broadcast ended)."""
        self.closing = True
        self._writer.close()

    async def _handshake(self) -> None:
        c0c1 = await self._reader.readexactly(1 + HANDSHAKE_SIZE)
        if c0c1[0] != 3:
            raise ChunkError(f"RTMP version {c0c1[0]} is not 3 (RTMPE is not supported)")
        c1 = c0c1[1:]
        now = int(time.monotonic() * 1000) & 0xFFFFFFFF
        s1 = struct.pack(">II", now, 0) + os.urandom(HANDSHAKE_SIZE - 8)
        s2 = c1[:4] + struct.pack(">I", now) + c1[8:]
        self._writer.write(b"\x03" + s1 + s2)
        await self._writer.drain()
        await self._reader.readexactly(HANDSHAKE_SIZE)  # C2: echoes S1; nothing to check

    async def _send(self, *messages: Message) -> None:
        for message in messages:
            self._writer.write(self._out.write(message))
        await self._writer.drain()

    async def _acknowledge(self) -> None:
        if self._window and self._received - self._acked >= self._window:
            self._acked = self._received
            await self._send(control(ACK, self._received & 0xFFFFFFFF))

    async def _handle(self, message: Message) -> None:
        kind = message.type_id
        if kind == WINDOW_ACK_SIZE and len(message.payload) >= 4:
            (self._window,) = struct.unpack_from(">I", message.payload)
        elif kind in (COMMAND_AMF0, COMMAND_AMF3):
            payload = message.payload[1:] if kind == COMMAND_AMF3 else message.payload
            await self._command(amf0.decode_all(payload), message.stream_id)
        elif kind in (AUDIO, VIDEO, DATA_AMF0, DATA_AMF3) and self._sink is not None:
            if kind == DATA_AMF3:
                message = Message(DATA_AMF0, message.timestamp, message.payload[1:], 1, 4)
            self._sink.media(message)

    async def _command(self, values: list, stream_id: int) -> None:
        if not values or not isinstance(values[0], str):
            return
        name = values[0]
        txn = values[1] if len(values) > 1 else 0
        args = values[3:]
        if name == "connect":
            await self._connect(txn, values[2] if len(values) > 2 else None)
        elif name == "createStream":
            await self._result(txn, None, 1)
        elif name in ("releaseStream", "FCPublish"):
            await self._result(txn, None, None)
        elif name == "publish":
            key = str(args[0]) if args else ""
            await self._publish(key.split("?", 1)[0], stream_id or 1)
        elif name in ("FCUnpublish", "deleteStream", "closeStream"):
            self._end_publishing()

    async def _result(self, txn, *values) -> None:
        await self._send(Message(COMMAND_AMF0, 0, amf0.encode("_result", txn, *values), 0, 3))

    async def _connect(self, txn, command: object) -> None:
        app = command.get("app") if isinstance(command, dict) else None
        self.app = str(app or "").strip("/")
        if self.app != self._server.app:
            log.warning("relay: refused %s: it connected to app %r", self.peer, self.app)
            await self._send(
                Message(
                    COMMAND_AMF0,
                    0,
                    amf0.encode(
                        "_error",
                        txn,
                        None,
                        _status(
                            "error",
                            "NetConnection.Connect.Rejected",
                            f"the application is /{self._server.app}",
                        ),
                    ),
                    0,
                    3,
                )
            )
            self.close()
            return
        await self._send(
            control(WINDOW_ACK_SIZE, WINDOW),
            control(SET_PEER_BANDWIDTH, WINDOW, b"\x02"),
            control(SET_CHUNK_SIZE, OUT_CHUNK_SIZE),
        )
        self._out.chunk_size = OUT_CHUNK_SIZE
        status = _status("status", "NetConnection.Connect.Success", "Connection succeeded.")
        status["objectEncoding"] = 0
        await self._result(txn, {"fmsVer": "FMS/3,0,1,123", "capabilities": 31}, status)

    async def _publish(self, key: str, stream_id: int) -> None:
        if self._sink is not None:
            return  # one publish per connection
        outcome = await self._server.accept(key, self) if key else "no stream key was given"
        if isinstance(outcome, str):
            log.warning("relay: refused a publish from %s: %s", self.peer, outcome)
            await self._on_status(stream_id, "error", "NetStream.Publish.BadName", outcome)
            self.close()
            return
        self._sink = outcome
        begin = Message(USER_CONTROL, 0, struct.pack(">HI", 0, stream_id), 0, 2)
        await self._send(begin)
        await self._on_status(stream_id, "status", "NetStream.Publish.Start", "Publishing.")
        log.info("relay: %s is publishing", self.peer)

    async def _on_status(self, stream_id: int, level: str, code: str, text: str) -> None:
        body = amf0.encode("onStatus", 0, None, _status(level, code, text))
        await self._send(Message(COMMAND_AMF0, 0, body, stream_id, 5))

    def _end_publishing(self) -> None:
        sink, self._sink = self._sink, None
        if sink is not None:
            sink.ended()


def _status(level: str, code: str, description: str) -> dict:
    return {"level": level, "code": code, "description": description}


class RtmpServer:
    """Listens for encoders; ``accept`` decides about each publish."""

    def __init__(self, host: str, port: int, accept: Accept, app: str = "live") -> None:
        self.host = host
        self.port = port
        self.app = app
        self.accept = accept
        self._server: asyncio.Server | None = None
        self._sessions: set[RtmpSession] = set()
        self._tasks: set[asyncio.Task] = set()

    def __repr__(self) -> str:
        return f"RtmpServer(host={self.host!r}, port={self.port!r})"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._connected, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("relay: RTMP ingest listening on %s:%s", self.host, self.port)

    async def _connected(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        session = RtmpSession(reader, writer, self)
        self._sessions.add(session)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await session.run()
        finally:
            self._sessions.discard(session)
            if task is not None:
                self._tasks.discard(task)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for session in list(self._sessions):
            session.close()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)
        if self._server is not None:
            await self._server.wait_closed()
