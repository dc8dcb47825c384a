"""golive's built-in multistream relay: one RTMP ingest in, a copy to every platform out.

``rtmp`` speaks the ingest side (handshake, chunk stream, commands), ``flv`` turns its media
messages into FLV tags and remembers what a newly connected destination needs to decode,
``outputs`` runs one ffmpeg per destination (``-c copy``: no re-encoding), ``channel`` joins
one encoder session to its destinations for one broadcast, and ``service`` ties it to golive
(stream keys in the vault, start/stop with the broadcast, status and metrics). See
docs/relay.md and docs/decisions/0006-built-in-rtmp-relay.md.
"""
