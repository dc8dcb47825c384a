"""The relay inside golive: stream keys, the ingest server, and outputs per started broadcast.

``RelayService`` lives on :class:`~bot.services.context.Services`. When ``GOLIVE_RELAY_PORT``
is set, ``golive serve`` starts its RTMP ingest; every broadcast gets its own unguessable
stream key (``secrets.token_urlsafe``, 192 bits), stored encrypted by the vault and looked up
by its SHA-256, shown only in the admins' private ingest lines and new for every broadcast.
``/golive start`` hands the relay the platforms' ingest addresses before the platforms are
asked to go live (YouTube waits for the stream to arrive), ``/golive stop`` ends the outputs
after the platforms have been ended.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.messages import display
from bot.relay.channel import Channel, EncoderStatus
from bot.relay.ffmpeg import ca_file_path, ffmpeg_path
from bot.relay.outputs import Backoff, Destination, DestinationStatus
from bot.relay.rtmp import RtmpServer, RtmpSession, Sink
from storage.models import Livestream

if TYPE_CHECKING:
    from bot.services.context import Services

log = logging.getLogger(__name__)

CLOSED = ("ended", "cancelled")


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class RelayService:
    def __init__(self, services: Services, *, backoff: Backoff | None = None) -> None:
        self.services = services
        self.backoff = backoff
        self.stall_seconds = 5.0
        self.server: RtmpServer | None = None
        self.channels: dict[str, Channel] = {}
        self._executable: str | None = None
        self.refused = 0

    def __repr__(self) -> str:
        return f"RelayService(enabled={self.enabled}, channels={len(self.channels)})"

    @property
    def enabled(self) -> bool:
        return self.services.settings.relay_port is not None

    @property
    def address(self) -> str:
        """The ingest address encoders are given (the key goes in the stream key field)."""
        settings = self.services.settings
        if self.server is not None and settings.relay_public_url is None:
            host = settings.relay_url.rsplit(":", 1)[0]
            return f"{host}:{self.server.port}/live"
        return settings.relay_url

    @property
    def executable(self) -> str:
        if self._executable is None:
            self._executable = ffmpeg_path(self.services.settings.ffmpeg)
        return self._executable

    @property
    def ca_file(self) -> str:
        """The certificates RTMPS destinations are checked against: ``GOLIVE_RELAY_CA_FILE``,
        else the Mozilla bundle certifi ships (the one golive's HTTPS calls trust)."""
        return ca_file_path(self.services.settings.relay_ca_file)

    async def start(self) -> None:
        """Listen for encoders (``golive serve``, and the console when a port is set)."""
        if not self.enabled or self.server is not None:
            return
        settings = self.services.settings
        _ = self.executable  # a missing ffmpeg is said at start-up, not at the first broadcast
        _ = self.ca_file  # and so is a missing certificate file
        assert settings.relay_port is not None
        server = RtmpServer(settings.relay_host, settings.relay_port, self.accept)
        try:
            await server.start()
        except OSError as exc:
            raise ValueError(
                f"GOLIVE_RELAY_PORT {settings.relay_port}: the relay cannot listen there "
                f"({exc.strerror or exc})"
            ) from None
        self.server = server

    async def close(self) -> None:
        await asyncio.gather(*(c.stop() for c in self.channels.values()))
        self.channels.clear()
        if self.server is not None:
            await self.server.close()
            self.server = None

    # -- keys -----------------------------------------------------------------------------

    async def key(self, stream_id: str, user: str) -> str:
        """The broadcast's stream key, made on first use; for admins' private lines only."""
        vault = self.services.vault
        async with self.services.db.transaction() as session:
            stream = await session.get(Livestream, stream_id)
            assert stream is not None
            if stream.relay_key_enc:
                return vault.decrypt(
                    session,
                    stream.relay_key_enc,
                    what="relay_key",
                    operation="show ingest",
                    actor=user,
                )
            key = secrets.token_urlsafe(24)
            stream.relay_key_enc = vault.encrypt(key)
            stream.relay_key_hash = key_hash(key)
            return key

    async def accept(self, key: str, session: RtmpSession) -> Sink | str:
        """A publish: the key must belong to an open broadcast that has no publisher yet."""
        async with self.services.db.sessions() as db:
            query = select(Livestream).where(Livestream.relay_key_hash == key_hash(key))
            stream = (await db.execute(query)).scalars().first()
        if stream is None or stream.status in CLOSED:
            self._refuse("unknown_key")
            return "this stream key belongs to no open broadcast"
        channel = self._channel(stream.id)
        outcome = channel.attach(session, session.peer)
        if isinstance(outcome, str):
            self._refuse("already_publishing")
        return outcome

    def _refuse(self, reason: str) -> None:
        self.refused += 1
        self.services.metrics.relay_refused.labels(reason).inc()

    def _channel(self, stream_id: str) -> Channel:
        channel = self.channels.get(stream_id)
        if channel is None:
            channel = Channel(
                stream_id,
                self.executable,
                grace=self.services.settings.relay_grace_seconds,
                backoff=self.backoff,
                stall_seconds=self.stall_seconds,
                on_reconnect=self._reconnected,
                ca_file=self.ca_file,
            )
            self.channels[stream_id] = channel
        return channel

    def _reconnected(self, stream_id: str, destination: Destination, count: int, reason: str):
        self.services.metrics.relay_reconnects.labels(destination.name).inc()

    # -- the broadcast's life ----------------------------------------------------------------

    async def destinations(self, workspace: str, stream_id: str, user: str) -> list[Destination]:
        """Every platform output of the broadcast's ingest plan (aggregators carry the rest)."""
        plan = await self.services.livestreams.direct_plan(workspace, stream_id, user)
        return [Destination.join(p, url, key) for p, url, key in plan.outputs if url]

    async def begin(
        self,
        workspace: str,
        user: str,
        stream_id: str,
        destinations: list[Destination] | None = None,
    ) -> list[Destination]:
        """The broadcast starts: send to its platforms as soon as (or while) the encoder sends."""
        if destinations is None:
            destinations = await self.destinations(workspace, stream_id, user)
        self._channel(stream_id).start(destinations)
        log.info("relay: %s sends to %s", stream_id, ", ".join(d.name for d in destinations))
        return destinations

    async def end(self, stream_id: str) -> None:
        channel = self.channels.pop(stream_id, None)
        if channel is not None:
            await channel.stop()

    def status(self, stream_id: str) -> tuple[EncoderStatus, list[DestinationStatus]] | None:
        channel = self.channels.get(stream_id)
        return channel.status() if channel is not None else None

    def status_lines(self, stream_id: str) -> list[str]:
        """``Relay: encoder publishing`` then one line per destination, for people."""
        found = self.status(stream_id)
        if found is None:
            return []
        encoder, rows = found
        said = {
            "publishing": "encoder sending",
            "away": "encoder away (waiting for it to come back)",
            "waiting": "waiting for the encoder",
        }[encoder.state]
        lines = [f"Relay: {said}"]
        lines.extend(f"  {destination_line(row)}" for row in rows)
        return lines

    def sample_metrics(self) -> None:
        """Refresh the per-destination gauges (called when /metrics is scraped)."""
        metrics = self.services.metrics
        metrics.relay_connected.clear()
        metrics.relay_bitrate.clear()
        publishing = 0
        for stream_id, channel in self.channels.items():
            encoder, rows = channel.status()
            publishing += encoder.state == "publishing"
            for row in rows:
                metrics.relay_connected.labels(stream_id, row.name).set(int(row.connected))
                metrics.relay_bitrate.labels(stream_id, row.name).set(row.bitrate)
        metrics.relay_encoders.set(publishing)


def destination_line(row: DestinationStatus) -> str:
    """``YouTube: connected · 6.1 Mbit/s · 2 reconnects · last error: …``."""
    parts = [f"{display(row.name)}: {row.state}"]
    if row.connected:
        parts.append(f"{row.bitrate / 1e6:.1f} Mbit/s")
    if row.reconnects:
        parts.append(f"{row.reconnects} reconnect{'s' * (row.reconnects != 1)}")
    if row.last_error:
        parts.append(f"last error: {row.last_error[:200]}")
    return " · ".join(parts)
