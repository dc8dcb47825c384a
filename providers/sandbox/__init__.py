"""Local emulators of the platforms' APIs, served over real HTTP on 127.0.0.1.

Tests and ``golive console --sandbox`` point the real provider code at these servers through
the ``Endpoints`` each one reports, so nothing in a provider knows it is talking to a fake.
Each emulator cites the documentation it models in its own module docstring. See
``/work/shared/ARCHITECTURE.md`` ("The sandbox").

Usage::

    async with await start_sandbox(["youtube"]) as sandbox:
        endpoints = sandbox.endpoints["youtube"]
        client_id, client_secret = sandbox.clients["youtube"]
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Protocol

from aiohttp import web

from providers.base import Endpoints
from providers.sandbox.facebook import FacebookEmulator
from providers.sandbox.faults import Faults
from providers.sandbox.graph import GraphEmulator
from providers.sandbox.restream import RestreamEmulator
from providers.sandbox.twitch import TwitchEmulator
from providers.sandbox.youtube import YouTubeEmulator
from providers.sandbox.zoom import ZoomEmulator

__all__ = ["EMULATORS", "Emulator", "Faults", "Sandbox", "start_sandbox"]

log = logging.getLogger(__name__)


class Emulator(Protocol):
    """What the sandbox needs from an emulator."""

    faults: Faults

    @property
    def client(self) -> tuple[str, str]: ...

    def app(self) -> web.Application: ...

    def endpoints(self, base_url: str) -> Endpoints: ...


#: platform name -> emulator factory; a new emulator only has to be added here
EMULATORS: dict[str, Callable[[], Emulator]] = {
    "youtube": YouTubeEmulator,
    "zoom": ZoomEmulator,
    "facebook": FacebookEmulator,
    "twitch": TwitchEmulator,
    "restream": RestreamEmulator,
    "teams": GraphEmulator,
}


class Sandbox:
    """Running emulators, their endpoints and the OAuth client each one accepts."""

    def __init__(self) -> None:
        self.endpoints: dict[str, Endpoints] = {}
        self.clients: dict[str, tuple[str, str]] = {}
        self.emulators: dict[str, object] = {}
        #: deployment options an emulator wants (e.g. Zoom's account id for Server-to-Server)
        self.options: dict[str, dict[str, str]] = {}
        #: (method, path) of every request each emulator answered, for tests that assert
        #: which platforms were (and were not) called
        self.requests: dict[str, list[tuple[str, str]]] = {}
        self.urls: dict[str, str] = {}
        self._runners: list[web.AppRunner] = []

    def __repr__(self) -> str:  # clients hold secrets: names only
        return f"Sandbox(platforms={sorted(self.emulators)!r}, urls={self.urls!r})"

    async def _add(self, name: str, emulator: Emulator, host: str) -> None:
        # No access log: query strings can carry codes and access tokens.
        app = emulator.app()
        seen = self.requests.setdefault(name, [])

        @web.middleware
        async def record(request: web.Request, handler):
            seen.append((request.method, request.path))
            return await handler(request)

        app.middlewares.insert(0, record)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        self._runners.append(runner)
        site = web.TCPSite(runner, host, 0)
        await site.start()
        port = runner.addresses[0][1]
        base = f"http://{host}:{port}"
        self.urls[name] = base
        self.endpoints[name] = emulator.endpoints(base)
        self.clients[name] = emulator.client
        self.options[name] = dict(getattr(emulator, "options", {}) or {})
        self.emulators[name] = emulator
        log.info("sandbox: %s emulator on %s", name, base)

    async def close(self) -> None:
        while self._runners:
            await self._runners.pop().cleanup()

    async def __aenter__(self) -> Sandbox:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


async def start_sandbox(
    platforms: Iterable[str] | None = None, *, host: str = "127.0.0.1"
) -> Sandbox:
    """Start the named emulators (all of them by default), each on a port the OS picks."""
    names = list(EMULATORS) if platforms is None else list(dict.fromkeys(platforms))
    unknown = [n for n in names if n not in EMULATORS]
    if unknown:
        raise ValueError(
            f"no sandbox emulator for {', '.join(unknown)}; available: {', '.join(EMULATORS)}"
        )
    sandbox = Sandbox()
    try:
        for name in names:
            await sandbox._add(name, EMULATORS[name](), host)
    except BaseException:
        await sandbox.close()
        raise
    return sandbox
