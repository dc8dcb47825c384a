"""Every sentence golive says to users about failures, in one place.

Each one says what went wrong in the user's words and what to do next; none ever carries a
secret (platform errors only keep the platform's own ``message``).
"""

from __future__ import annotations

from providers import provider_class
from providers.errors import (
    AuthExpired,
    InvalidRequest,
    NotConnected,
    NotSupported,
    PlatformError,
    RateLimited,
    Unavailable,
)


def display(platform: str) -> str:
    try:
        return provider_class(platform).display_name
    except KeyError:
        return platform


def explain(error: BaseException) -> str:
    """One sentence for a failure, with the next step."""
    if not isinstance(error, PlatformError):
        return "Something unexpected went wrong; the details are in golive's log."
    name = display(error.platform)
    said = error.message.rstrip(".")
    if isinstance(error, NotConnected):
        return f"{name} is not connected: run /platforms connect {error.platform}."
    if isinstance(error, AuthExpired):
        return (
            f"{name} no longer accepts golive's sign-in ({said}): "
            f"reconnect with /platforms connect {error.platform}."
        )
    if isinstance(error, RateLimited):
        wait = f" in {int(error.retry_after) + 1} s" if error.retry_after else " in a few minutes"
        return f"{name} asked golive to slow down ({said}): try again{wait}."
    if isinstance(error, Unavailable):
        return f"{name} is not answering right now ({said}): try again shortly."
    if isinstance(error, NotSupported):
        return f"{name} cannot do this through its API ({said})."
    if isinstance(error, InvalidRequest):
        return f"{name} refused the request: {said}."
    return f"{name} failed: {said}."
