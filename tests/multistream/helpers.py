"""Real ffmpeg processes on 127.0.0.1: a test-pattern encoder, and listeners as platforms."""

from __future__ import annotations

import asyncio
import itertools
import re
import socket
import time
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg

from bot.relay.flv import VIDEO, read_tags

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listening(port: int) -> bool:
    """Whether something listens on ``port`` (read from /proc: a probe would be accepted)."""
    wanted = f":{port:04X} "
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[1].endswith(wanted.strip()) and fields[3] == "0A":
                return True
    return False


async def wait_listening(port: int, wait: float = 5.0) -> None:
    deadline = time.monotonic() + wait
    while not listening(port):
        if time.monotonic() > deadline:
            raise AssertionError(f"nothing listens on {port}")
        await asyncio.sleep(0.05)


async def encoder(url: str, seconds: float) -> asyncio.subprocess.Process:
    """A live test pattern (``-re``), x264 with a key frame every 2 s, AAC, to ``url``."""
    return await asyncio.create_subprocess_exec(
        FFMPEG,
        "-hide_banner",
        "-loglevel",
        "error",
        "-re",
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=320x240:rate=30",
        "-f",
        "lavfi",
        "-i",
        "sine",
        "-t",
        str(seconds),
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-g",
        "60",
        "-c:a",
        "aac",
        "-f",
        "flv",
        url,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


@dataclass
class Listener:
    """A stand-in platform: accepts one RTMP publish and records it to a file."""

    port: int
    path: Path
    process: asyncio.subprocess.Process

    @property
    def ingest(self) -> str:
        return f"rtmp://127.0.0.1:{self.port}/live"

    @classmethod
    async def start(cls, port: int, path: Path) -> Listener:
        process = await asyncio.create_subprocess_exec(
            FFMPEG,
            "-hide_banner",
            "-loglevel",
            "quiet",
            "-y",
            "-listen",
            "1",
            "-i",
            f"rtmp://127.0.0.1:{port}/live/x",
            "-c",
            "copy",
            str(path),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        listener = cls(port, path, process)
        await wait_listening(port)
        return listener

    async def finished(self, wait: float = 10.0) -> int:
        try:
            return await asyncio.wait_for(self.process.wait(), wait)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise AssertionError(f"the listener on {self.port} did not finish") from None


def video_times(path: Path) -> list[float]:
    """Video frame times (s) in the file, sequence headers left out."""
    tags = read_tags(path.read_bytes())
    return [t.timestamp / 1000 for t in tags if t.kind == VIDEO and not t.is_sequence_header]


def largest_gap(times: list[float]) -> float:
    return max((b - a for a, b in itertools.pairwise(times)), default=0.0)


async def decodes(path: Path) -> tuple[bool, int]:
    """(ffmpeg decodes the whole file without an error, frames decoded)."""
    process = await asyncio.create_subprocess_exec(
        FFMPEG,
        "-hide_banner",
        "-nostdin",
        "-v",
        "error",
        "-stats",
        "-i",
        str(path),
        "-map",
        "0:v",
        "-f",
        "null",
        "-",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await process.communicate()
    text = err.decode(errors="replace")
    frames = [int(n) for n in re.findall(r"frame=\s*(\d+)", text)]
    problems = [
        line for line in text.replace("\r", "\n").splitlines() if line and "frame=" not in line
    ]
    return process.returncode == 0 and not problems, frames[-1] if frames else 0
