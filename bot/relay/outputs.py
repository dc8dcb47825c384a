"""One ffmpeg per destination, copying the FLV stream golive feeds it to the platform.

Each destination has its own process, its own bounded queue and its own writer task, so a
platform that refuses, drops or stalls never holds up the others: a process that exits is
started again after a growing pause (1 s, 2 s, 4 s … 30 s, reset after a run that stayed up),
and a destination whose queue stops draining for ``stall_seconds`` is treated as dropped and
restarted. Every restart is counted and logged with the reason. ffmpeg runs with ``-c copy``
(no decoding, no encoding) and without ``-re``: it forwards as fast as golive hands it tags,
which is as fast as the encoder sends them.

A (re)started process first gets the FLV header, the metadata, the sequence headers and the
tags since the last key frame (``prelude``, which also says whether it holds a key frame;
until one passes, only headers are forwarded), so the platform decodes from its first frame.

The destination URL holds the platform's stream key: it is passed to ffmpeg only, redacted
from everything ffmpeg prints, and never in a repr, a log line or a status.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.relay.flv import Tag

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Destination:
    """Where one copy goes: a platform's ingest URL with the stream key appended."""

    name: str
    url: str

    def __repr__(self) -> str:
        return f"Destination(name={self.name!r})"

    @classmethod
    def join(cls, name: str, ingest_url: str, key: str | None) -> Destination:
        """``rtmps://host/app/`` + ``key``; a URL that already ends in the key stays as it is."""
        if not key or ingest_url.rstrip("/").endswith("/" + key):
            return cls(name, ingest_url)
        return cls(name, ingest_url.rstrip("/") + "/" + key)

    def redact(self, text: str) -> str:
        parts = urlsplit(self.url)
        secret_path = parts.path.rsplit("/", 1)[-1]
        text = text.replace(self.url, f"the {self.name} ingest")
        if len(secret_path) >= 4:
            text = text.replace(secret_path, "••••")
        return text


@dataclass(frozen=True)
class DestinationStatus:
    name: str
    state: str  # waiting · connecting · connected · reconnecting · ended
    bitrate: int  # bits per second fed over the last few seconds
    reconnects: int
    last_error: str | None
    pid: int | None = None

    @property
    def connected(self) -> bool:
        return self.state == "connected"


@dataclass(frozen=True)
class Backoff:
    first: float = 1.0
    cap: float = 30.0
    #: a run this long (seconds) counts as healthy: the next failure starts from ``first``
    healthy_after: float = 30.0

    def delay(self, attempt: int) -> float:
        base = min(self.cap, self.first * 2 ** max(0, attempt))
        return base * random.uniform(0.9, 1.1)


def ffmpeg_args(executable: str, url: str, ca_file: str | None = None) -> list[str]:
    """The output process: FLV from golive on stdin, copied to ``url``. An ``rtmps://`` URL's
    certificate is always checked against ``ca_file`` (older ffmpeg builds check nothing by
    default, and a static build may not find the system's certificates): a stream key must
    never go to whoever answers in the platform's name."""
    tls = (
        ["-tls_verify", "1", "-ca_file", ca_file]
        if ca_file and url.lower().startswith("rtmps:")
        else []
    )
    return [
        executable,
        "-hide_banner",
        "-nostats",
        "-loglevel",
        "error",
        "-progress",
        "pipe:1",
        "-stats_period",
        "1",
        # probing reads ahead, then sends what it read (never +nobuffer: that drops it)
        "-analyzeduration",
        "1000000",
        "-f",
        "flv",
        "-i",
        "pipe:0",
        "-map",
        "0",
        "-c",
        "copy",
        "-f",
        "flv",
        "-flvflags",
        "no_duration_filesize",
        *tls,
        url,
    ]


class Output:
    """A destination's process, queue and restarts."""

    def __init__(
        self,
        destination: Destination,
        executable: str,
        prelude: Callable[[], tuple[bytes, bool]],
        *,
        backoff: Backoff | None = None,
        stall_seconds: float = 5.0,
        on_reconnect: Callable[[Destination, int, str], None] | None = None,
        ca_file: str | None = None,
    ) -> None:
        self.destination = destination
        self._executable = executable
        self._ca_file = ca_file
        self._prelude = prelude
        self._backoff = backoff or Backoff()
        self._stall = stall_seconds
        self._on_reconnect = on_reconnect
        self._queue: collections.deque[tuple[float, bytes | None]] = collections.deque()
        self._wake = asyncio.Event()
        self._synced = False
        self._closing = False
        self._process: asyncio.subprocess.Process | None = None
        self._task: asyncio.Task | None = None
        self._state = "waiting"
        self._reconnects = 0
        self._last_error: str | None = None
        self._sent: collections.deque[tuple[float, int]] = collections.deque()
        self._last_progress = 0.0
        self._errors: collections.deque[str] = collections.deque(maxlen=5)

    def __repr__(self) -> str:
        return f"Output({self.destination.name!r}, state={self._state!r})"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"relay-{self.destination.name}")

    def feed(self, data: bytes, tag: Tag) -> None:
        """Queue one encoded tag; never blocks. Until a key frame only headers pass."""
        if self._closing or self._process is None:
            return
        if not self._synced:
            if tag.is_keyframe:
                self._synced = True
            elif not (tag.is_sequence_header or tag.kind == 18):
                return
        self._queue.append((time.monotonic(), data))
        self._wake.set()

    async def close(self, wait: float = 5.0) -> None:
        """End cleanly: what is queued is sent, stdin is closed, ffmpeg finishes the stream."""
        self._closing = True
        self._queue.append((time.monotonic(), None))
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), wait)
            except TimeoutError:
                self._kill()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await self._task
        self._state = "ended"

    def status(self) -> DestinationStatus:
        now = time.monotonic()
        while self._sent and self._sent[0][0] < now - 5:
            self._sent.popleft()
        window = min(5.0, max(1.0, now - self._sent[0][0])) if self._sent else 5.0
        bitrate = int(sum(n for _, n in self._sent) * 8 / window)
        state = self._state
        if state == "connected" and now - self._last_progress > 5:
            state = "connecting"
        return DestinationStatus(
            self.destination.name,
            state,
            bitrate if state == "connected" else 0,
            self._reconnects,
            self._last_error,
            self.pid,
        )

    # -- the process loop -------------------------------------------------------------------

    async def _run(self) -> None:
        attempt = 0
        while not self._closing:
            began = time.monotonic()
            reason = await self._one_run()
            if self._closing:
                break
            if time.monotonic() - began >= self._backoff.healthy_after:
                attempt = 0
            self._reconnects += 1
            self._last_error = reason
            self._state = "reconnecting"
            pause = self._backoff.delay(attempt)
            attempt += 1
            log.warning(
                "relay: %s dropped (%s); reconnect #%d in %.1f s",
                self.destination.name,
                reason,
                self._reconnects,
                pause,
            )
            if self._on_reconnect is not None:
                self._on_reconnect(self.destination, self._reconnects, reason)
            await self._sleep(pause)
        self._state = "ended"

    async def _sleep(self, seconds: float) -> None:
        """A pause that a close interrupts."""
        deadline = time.monotonic() + seconds
        while not self._closing and time.monotonic() < deadline:
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), deadline - time.monotonic())

    async def _one_run(self) -> str:
        """Run ffmpeg until it exits, stalls or golive closes it; returns why it ended."""
        self._state = "connecting"
        self._errors.clear()
        try:
            process = await asyncio.create_subprocess_exec(
                *ffmpeg_args(self._executable, self.destination.url, self._ca_file),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            return f"ffmpeg could not start: {exc.strerror or exc}"
        self._process = process
        self._queue = collections.deque(
            item for item in self._queue if item[1] is None
        )  # a new process starts from the prelude, not from stale tags
        prelude, self._synced = self._prelude()
        self._queue.appendleft((time.monotonic(), prelude))
        self._wake.set()
        readers = [
            asyncio.create_task(self._progress(process)),
            asyncio.create_task(self._stderr(process)),
        ]
        writer = asyncio.create_task(self._write(process))
        stalled = False
        try:
            done, _ = await asyncio.wait(
                [writer, asyncio.create_task(process.wait())],
                return_when=asyncio.FIRST_COMPLETED,
            )
            if writer in done:
                stalled = writer.result() == "stalled"
                if stalled:
                    self._kill()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 10 if self._closing else 2)
            self._kill()
            await process.wait()
        finally:
            writer.cancel()
            for task in readers:
                with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(task, 1)
            self._process = None
            self._synced = False
        if stalled:
            return f"the destination stopped taking data for {self._stall:g} s"
        error = self.destination.redact(" ".join(self._errors)) if self._errors else ""
        return error or f"ffmpeg exited with code {process.returncode}"

    def _kill(self) -> None:
        process = self._process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()

    async def _write(self, process: asyncio.subprocess.Process) -> str:
        stdin = process.stdin
        assert stdin is not None
        while True:
            if not self._queue:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), self._stall)
                except TimeoutError:
                    continue
            queued_at, data = self._queue[0]
            if data is None:
                with contextlib.suppress(ConnectionError, OSError):
                    stdin.close()
                    await stdin.wait_closed()
                return "closed"
            if time.monotonic() - queued_at > self._stall:
                return "stalled"
            self._queue.popleft()
            try:
                stdin.write(data)
                await asyncio.wait_for(stdin.drain(), self._stall)
            except TimeoutError:
                return "stalled"
            except (ConnectionError, OSError):
                return "exited"
            self._sent.append((time.monotonic(), len(data)))

    async def _progress(self, process: asyncio.subprocess.Process) -> None:
        """``-progress`` blocks: a block with bytes written means the platform takes the stream."""
        assert process.stdout is not None
        async for raw in process.stdout:
            line = raw.decode(errors="replace").strip()
            if line.startswith("total_size=") and line[11:].isdigit() and int(line[11:]) > 0:
                self._last_progress = time.monotonic()
                if self._state == "connecting":
                    log.info("relay: %s connected", self.destination.name)
                self._state = "connected"

    async def _stderr(self, process: asyncio.subprocess.Process) -> None:
        assert process.stderr is not None
        async for raw in process.stderr:
            line = raw.decode(errors="replace").strip()
            if line:
                self._errors.append(line[:300])
