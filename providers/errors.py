"""The one error tree every platform's failures are mapped into.

Services and views only ever see these classes, so they can say one clear sentence and what to
do next without knowing which platform answered::

    PlatformError                 any failure talking to a platform; keeps the platform's words
    ├── AuthExpired               token expired or revoked: reconnect (or refresh once)
    ├── RateLimited               429 / quota: carries ``retry_after`` seconds when known
    ├── Unavailable               5xx, timeouts, connection refused: transient, retried
    ├── InvalidRequest            the platform rejected what we sent (4xx other than the above)
    ├── NotSupported              the platform has no API for this operation
    └── NotConnected              golive holds no usable connection for this platform

Messages never contain credentials: the http layer only copies the platform's own ``message``
and ``code`` fields out of its error JSON.
"""

from __future__ import annotations


class PlatformError(Exception):
    """A platform refused or failed an operation."""

    transient = False

    def __init__(
        self,
        platform: str,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(f"{platform}: {message}")
        self.platform = platform
        self.message = message
        self.code = code
        self.status = status

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(platform={self.platform!r}, code={self.code!r}, "
            f"status={self.status!r}, message={self.message!r})"
        )


class AuthExpired(PlatformError):
    """The stored token no longer works; a refresh may help once, then the admin reconnects."""


class RateLimited(PlatformError):
    """The platform asked us to slow down."""

    transient = True

    def __init__(self, platform: str, message: str, *, retry_after: float | None = None, **kw):
        super().__init__(platform, message, **kw)
        self.retry_after = retry_after


class Unavailable(PlatformError):
    """The platform did not answer usefully; trying again later may work."""

    transient = True


class InvalidRequest(PlatformError):
    """The platform rejected the request itself; retrying the same request will not help."""


class NotSupported(PlatformError):
    """The platform offers no API for the operation asked of it."""


class NotConnected(PlatformError):
    """No connection is stored (or it was disconnected) for this platform."""
