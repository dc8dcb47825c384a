"""Fault injection shared by every emulator in :mod:`providers.sandbox`.

Reliability tests need platforms that misbehave on demand, the way the real ones do now and
then: slow answers, 5xx bursts, bursts of 429, access tokens that die early and refresh tokens
that were revoked. Each emulator holds one :class:`Faults` and renders the fault in its own
platform's error shape (see ``/work/shared/platforms.md``, "Cross-cutting notes for fake
servers"); this module only decides *whether* a request is hit.

Randomness comes from a seedable :class:`random.Random` so a failing reliability test can be
replayed with the same sequence of faults.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field


@dataclass
class Faults:
    """Which faults an emulator injects; tests mutate the fields while the server runs."""

    #: probability (0..1) that an API request answers 500 in the platform's error shape
    error_rate: float = 0.0
    #: seconds added before each API request is handled
    latency: float = 0.0
    #: every access token answers 401 as if it had expired
    expire_tokens: bool = False
    #: the token endpoint answers ``invalid_grant`` to refresh requests
    refuse_refresh: bool = False
    #: the next N API requests answer 429 with ``Retry-After: 1``
    rate_limit_next: int = 0
    #: the next N API requests answer 500 regardless of ``error_rate`` (deterministic bursts)
    fail_next: int = 0
    #: seed for :attr:`rng`; ``None`` seeds from the OS
    seed: int | None = None
    rng: random.Random = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    @property
    def hold(self) -> float:
        """Alias of :attr:`latency`, for tests that think of it as holding each request."""
        return self.latency

    @hold.setter
    def hold(self, value: float) -> None:
        self.latency = value

    def reseed(self, seed: int | None) -> None:
        """Restart the random sequence, so a run of faults can be replayed exactly."""
        self.seed = seed
        self.rng = random.Random(seed)

    def reset(self) -> None:
        """Back to a well-behaved platform (the seed and its sequence are kept)."""
        self.error_rate = 0.0
        self.latency = 0.0
        self.expire_tokens = False
        self.refuse_refresh = False
        self.rate_limit_next = 0
        self.fail_next = 0

    async def delay(self) -> None:
        if self.latency > 0:
            await asyncio.sleep(self.latency)

    def take_rate_limit(self) -> bool:
        """True when this request is one of the next N to be rate limited (consumes one)."""
        if self.rate_limit_next > 0:
            self.rate_limit_next -= 1
            return True
        return False

    def take_error(self) -> bool:
        """True when this request should fail with a 500 (a forced one or by chance)."""
        if self.fail_next > 0:
            self.fail_next -= 1
            return True
        return self.error_rate > 0 and self.rng.random() < self.error_rate
