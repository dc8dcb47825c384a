"""RTMPS destinations: the relay's output speaks TLS and checks the platform's certificate.

ffmpeg cannot listen on ``rtmps://``, so the stand-in platform is a TLS front (Python's ssl,
a certificate for 127.0.0.1 signed by a throw-away authority) that hands the decrypted RTMP
to an ``ffmpeg -listen`` recorder, as a platform's TLS terminator would. With the authority
trusted (``GOLIVE_RELAY_CA_FILE``) the stream arrives whole; with the default bundle the same
destination is refused, the key never sent, and the status says why.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bot.relay.outputs import Destination, ffmpeg_args
from bot.services.context import Services
from tests.multistream.helpers import Listener, decodes, encoder, free_port, video_times
from tests.multistream.scenario import new_broadcast

SECONDS = 4


def authority_and_certificate(tmp: Path) -> tuple[Path, Path, Path]:
    """(authority PEM, server certificate PEM, server key PEM) for 127.0.0.1."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "golive test authority")])
    authority = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = tmp / "ca.pem", tmp / "server.pem", tmp / "server.key"
    paths[0].write_bytes(authority.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


class TlsFront:
    """Terminates TLS on ``port`` and pipes each connection to a plain RTMP listener."""

    def __init__(self, certificate: Path, key: Path, upstream: int) -> None:
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(certificate, key)
        self.upstream = upstream
        self.port = free_port()
        self.sessions: list[str] = []  # the TLS version of each connection that got through
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> TlsFront:
        self.server = await asyncio.start_server(
            self._handle, "127.0.0.1", self.port, ssl=self.context
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.server.wait_closed(), 5)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.sessions.append(writer.get_extra_info("ssl_object").version())
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream)

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except (ConnectionError, ssl.SSLError):
                pass
            finally:
                sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


def test_only_rtmps_outputs_check_certificates() -> None:
    secure = ffmpeg_args("ffmpeg", "rtmps://a.rtmps.youtube.com/live2/k", "/certs.pem")
    assert secure[-5:] == ["-tls_verify", "1", "-ca_file", "/certs.pem", secure[-1]]
    plain = ffmpeg_args("ffmpeg", "rtmp://live.example.org/app/k", "/certs.pem")
    assert "-tls_verify" not in plain and "-ca_file" not in plain


async def test_an_rtmps_destination_with_a_trusted_certificate_gets_the_stream(
    relayed: Services, tmp_path: Path
) -> None:
    authority, certificate, key = authority_and_certificate(tmp_path)
    relayed.settings.relay_ca_file = str(authority)
    listener = await Listener.start(free_port(), tmp_path / "secure.flv")
    async with TlsFront(certificate, key, listener.port) as front:
        stream_id, stream_key, _ = await new_broadcast(relayed)
        ingest = f"rtmps://127.0.0.1:{front.port}/live"
        await relayed.relay.begin("w", "U1", stream_id, [Destination.join("secure", ingest, "x")])
        sender = await encoder(f"{relayed.relay.address}/{stream_key}", SECONDS)
        assert await sender.wait() == 0
        await asyncio.sleep(0.5)
        _, rows = relayed.relay.status(stream_id)
        assert rows[0].reconnects == 0 and rows[0].last_error is None
        await relayed.relay.end(stream_id)
        assert await listener.finished() == 0
    assert front.sessions and set(front.sessions) <= {"TLSv1.2", "TLSv1.3"}
    times = video_times(listener.path)
    assert abs((times[-1] - times[0]) - SECONDS) <= 1.0
    ok, frames = await decodes(listener.path)
    assert ok and frames >= (SECONDS - 1) * 30


async def test_an_untrusted_certificate_is_refused_and_nothing_is_sent(
    relayed: Services, tmp_path: Path
) -> None:
    _, certificate, key = authority_and_certificate(tmp_path)  # default bundle: not trusted
    listener = await Listener.start(free_port(), tmp_path / "never.flv")
    async with TlsFront(certificate, key, listener.port) as front:
        stream_id, stream_key, _ = await new_broadcast(relayed)
        ingest = f"rtmps://127.0.0.1:{front.port}/live"
        spoofed = Destination.join("spoofed", ingest, "live-sk-9f3a")
        await relayed.relay.begin("w", "U1", stream_id, [spoofed])
        sender = await encoder(f"{relayed.relay.address}/{stream_key}", SECONDS)
        assert await sender.wait() == 0
        _, rows = relayed.relay.status(stream_id)
        assert rows[0].state != "connected"
        assert rows[0].reconnects >= 1
        assert rows[0].last_error and "certificate verify failed" in rows[0].last_error
        assert "live-sk-9f3a" not in rows[0].last_error
        assert all("live-sk-9f3a" not in line for line in relayed.relay.status_lines(stream_id))
        await relayed.relay.end(stream_id)
    assert front.sessions == []  # no handshake completed: the key never left golive
    listener.process.kill()
    await listener.process.wait()
    assert not listener.path.exists() or listener.path.stat().st_size == 0
