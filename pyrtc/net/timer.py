"""The one timer every asyncio shell keeps for its sans-I/O core."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class DeadlineTimer:
    """Keeps a single ``loop.call_at`` armed at a core's ``get_timer()`` deadline.

    ``arm(when)`` after every pump re-schedules only when the deadline moved. The callback gets
    ``max(loop.time(), when)``: asyncio may run a timer up to one clock resolution early, and a
    core must never see a time before the deadline it asked for.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, callback: Callable[[float], None]) -> None:
        self._loop = loop
        self._callback = callback
        self._handle: asyncio.TimerHandle | None = None
        self._when: float | None = None

    def arm(self, when: float | None) -> None:
        """Fire at ``when`` (``None``: not at all), replacing any other deadline."""
        if when == self._when:
            return
        self.cancel()
        if when is not None:
            self._handle = self._loop.call_at(when, self._fire, when)
            self._when = when

    def cancel(self) -> None:
        """Forget the deadline."""
        if self._handle is not None:
            self._handle.cancel()
        self._handle = self._when = None

    def _fire(self, when: float) -> None:
        self._handle = self._when = None
        self._callback(max(self._loop.time(), when))
