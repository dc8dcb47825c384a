"""Which ffmpeg the relay runs: ``GOLIVE_FFMPEG`` when set, else the one imageio-ffmpeg ships.

The imageio-ffmpeg wheel carries a static ffmpeg build (with RTMP, RTMPS through OpenSSL,
libx264 and AAC), so a pip install is enough; a system ffmpeg can be used instead.
"""

from __future__ import annotations

import shutil
from pathlib import Path


class FfmpegMissing(ValueError):
    """No usable ffmpeg: the message says what to set (a configuration problem)."""


def ffmpeg_path(configured: str | None = None) -> str:
    if configured:
        found = shutil.which(configured)
        if found is None:
            raise FfmpegMissing(f"GOLIVE_FFMPEG is set to {configured!r}, which is not runnable")
        return found
    try:
        import imageio_ffmpeg
    except ImportError:  # pragma: no cover - a dependency of golive
        raise FfmpegMissing("install imageio-ffmpeg, or set GOLIVE_FFMPEG") from None
    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as exc:
        raise FfmpegMissing(f"no ffmpeg found ({exc}); set GOLIVE_FFMPEG") from None


def ca_file_path(configured: str | None = None) -> str:
    if configured:
        if not Path(configured).is_file():
            raise FfmpegMissing(
                f"GOLIVE_RELAY_CA_FILE is set to {configured!r}, which is not a file"
            )
        return configured
    import certifi

    return certifi.where()
