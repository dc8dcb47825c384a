"""One broadcast in the relay: its encoder session, its destinations and the grace period.

The encoder's tags are stamped once (with the session offset), remembered in a
:class:`~bot.relay.flv.StreamState` and handed to every destination's :class:`Output`.
While the broadcast is started, destinations run whenever an encoder publishes. When the
encoder drops, the destinations keep running for ``grace`` seconds; an encoder back within
that time continues into the same processes, its timestamps shifted to go on from the last
one sent plus the time it was away, so each platform sees one continuous stream. After the
grace period the outputs are ended cleanly and start afresh when an encoder publishes again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.relay.chunks import DATA_AMF0, Message
from bot.relay.flv import HEADER, SCRIPT, StreamState, Tag, script_body
from bot.relay.outputs import Backoff, Destination, DestinationStatus, Output

log = logging.getLogger(__name__)

ALREADY_PUBLISHING = "this stream key is already publishing"


@dataclass(frozen=True)
class EncoderStatus:
    state: str  # publishing · away (within the grace period) · waiting
    peer: str | None
    sessions: int


class _Publishing:
    """The sink of one encoder session: messages of an ended session are ignored."""

    def __init__(self, channel: Channel, number: int) -> None:
        self._channel = channel
        self._number = number

    def media(self, message: Message) -> None:
        if self._channel.session_number == self._number:
            self._channel.media(message)

    def ended(self) -> None:
        if self._channel.session_number == self._number:
            self._channel.encoder_left()


class Channel:
    def __init__(
        self,
        stream_id: str,
        executable: str,
        *,
        grace: float = 10.0,
        backoff: Backoff | None = None,
        stall_seconds: float = 5.0,
        on_reconnect: Callable[[str, Destination, int, str], None] | None = None,
        ca_file: str | None = None,
    ) -> None:
        self.stream_id = stream_id
        self._executable = executable
        self._ca_file = ca_file
        self._grace = grace
        self._backoff = backoff
        self._stall = stall_seconds
        self._on_reconnect = on_reconnect
        self.session_number = 0
        self.publisher: object | None = None
        self.peer: str | None = None
        self.state = StreamState()
        self.outputs: dict[str, Output] = {}
        self.destinations: list[Destination] | None = None  # None: the broadcast is not started
        self._offset = 0
        self._last_ts = 0
        self._last_wall = 0.0
        self._resuming = False
        self._grace_task: asyncio.Task | None = None
        self._closers: set[asyncio.Task] = set()

    def __repr__(self) -> str:
        return f"Channel({self.stream_id!r}, outputs={list(self.outputs)})"

    # -- the encoder side -------------------------------------------------------------------

    def attach(self, session: object, peer: str) -> _Publishing | str:
        if self.publisher is not None:
            return ALREADY_PUBLISHING
        self.session_number += 1
        self.publisher = session
        self.peer = peer
        if self._grace_task is not None:  # back within the grace period: same outputs
            self._grace_task.cancel()
            self._grace_task = None
            self._resuming = True
            log.info("relay: encoder of %s is back; outputs continue", self.stream_id)
        else:
            self.state = StreamState()
            self._offset = self._last_ts = 0
            self._resuming = False
            self._start_outputs()
        return _Publishing(self, self.session_number)

    def encoder_left(self) -> None:
        self.publisher = None
        self._last_wall = time.monotonic()
        if self.outputs:
            log.info(
                "relay: encoder of %s left; waiting %.0f s for it", self.stream_id, self._grace
            )
            self._grace_task = asyncio.create_task(self._grace_over())
        else:
            self.state = StreamState()

    async def _grace_over(self) -> None:
        await asyncio.sleep(self._grace)
        self._grace_task = None
        log.info("relay: encoder of %s did not come back; outputs end", self.stream_id)
        await self._close_outputs()
        self.state = StreamState()

    def media(self, message: Message) -> None:
        if self._resuming:
            gap = int((time.monotonic() - self._last_wall) * 1000)
            self._offset = self._last_ts + max(1, gap) - message.timestamp
            self._resuming = False
        ts = max(0, message.timestamp + self._offset)
        if message.type_id == DATA_AMF0:
            body = script_body(message.payload)
            if body is None:
                return
            tag = Tag(SCRIPT, ts, body)
            fresh = self.state.metadata is None
            self.state.remember(tag)
            if not fresh:
                return  # mid-stream metadata changes nothing a copying destination needs
        else:
            tag = Tag(message.type_id, ts, message.payload)
            if tag.is_sequence_header:
                known = self.state.video_header if tag.kind == 9 else self.state.audio_header
                if known is not None and known.body == tag.body:
                    return  # the same decoder setup again (an encoder reconnecting)
            self.state.remember(tag)
            self._last_ts = max(self._last_ts, ts)
        self._last_wall = time.monotonic()
        data = tag.encode()
        for output in self.outputs.values():
            output.feed(data, tag)

    def prelude(self) -> tuple[bytes, bool]:
        tags = self.state.start_tags()
        synced = any(t.is_keyframe for t in tags)
        return HEADER + b"".join(t.encode() for t in tags), synced

    # -- the destination side ---------------------------------------------------------------

    def start(self, destinations: list[Destination]) -> None:
        """The broadcast started: send to ``destinations`` whenever an encoder publishes."""
        self.destinations = list(destinations)
        if self.publisher is not None or self._grace_task is not None:
            self._start_outputs()

    def _start_outputs(self) -> None:
        for destination in self.destinations or []:
            if destination.name in self.outputs:
                continue
            output = Output(
                destination,
                self._executable,
                self.prelude,
                backoff=self._backoff,
                stall_seconds=self._stall,
                on_reconnect=self._reconnected,
                ca_file=self._ca_file,
            )
            self.outputs[destination.name] = output
            output.start()

    def _reconnected(self, destination: Destination, count: int, reason: str) -> None:
        if self._on_reconnect is not None:
            self._on_reconnect(self.stream_id, destination, count, reason)

    async def _close_outputs(self) -> None:
        outputs, self.outputs = list(self.outputs.values()), {}
        await asyncio.gather(*(o.close() for o in outputs))

    async def stop(self) -> None:
        """The broadcast ended: every output finishes cleanly and the encoder is let go."""
        self.destinations = None
        if self._grace_task is not None:
            self._grace_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._grace_task
            self._grace_task = None
        await self._close_outputs()
        publisher, self.publisher = self.publisher, None
        self.session_number += 1
        close = getattr(publisher, "close", None)
        if close is not None:
            close()

    def status(self) -> tuple[EncoderStatus, list[DestinationStatus]]:
        if self.publisher is not None:
            encoder = EncoderStatus("publishing", self.peer, self.session_number)
        elif self._grace_task is not None:
            encoder = EncoderStatus("away", self.peer, self.session_number)
        else:
            encoder = EncoderStatus("waiting", None, self.session_number)
        rows = []
        for destination in self.destinations or []:
            output = self.outputs.get(destination.name)
            if output is not None:
                rows.append(output.status())
            else:
                rows.append(DestinationStatus(destination.name, "waiting", 0, 0, None))
        return encoder, rows
