"""Consent freshness bookkeeping (RFC 7675) for the selected pair, with no I/O.

:class:`Consent` says when the agent must send a consent request, turns unanswered requests
into "disconnected" and an old last answer into "expired". The agent sends the requests
(authenticated Binding requests on the selected pair) and reports the answers.
"""

from __future__ import annotations

import random

__all__ = ["Consent"]


class Consent:
    """Timers of RFC 7675 section 5.1 for one selected pair, started at ``now``.

    Requests are due every ``interval`` seconds times a random factor in 0.8-1.2. The pair
    is :attr:`disconnected` while a request has been unanswered for ``disconnected_timeout``
    seconds, and consent has :attr:`expired` once ``failed_timeout`` seconds passed since the
    last answer (or the start).
    """

    def __init__(
        self,
        now: float,
        rng: random.Random,
        interval: float,
        disconnected_timeout: float,
        failed_timeout: float,
    ) -> None:
        self._rng = rng
        self._interval = interval
        self._disconnected_timeout = disconnected_timeout
        self._failed_timeout = failed_timeout
        self.last = now
        """When consent was last confirmed."""
        self.next_send = now + self._delay()
        self.probe: float | None = None
        """When the oldest unanswered request went out."""
        self.disconnected = False
        self.expired = False

    def _delay(self) -> float:
        return self._interval * self._rng.uniform(0.8, 1.2)

    def deadline(self) -> float | None:
        """When :meth:`poll` must next run; ``None`` once expired."""
        if self.expired:
            return None
        times = [self.next_send, self.last + self._failed_timeout]
        if self.probe is not None and not self.disconnected:
            times.append(self.probe + self._disconnected_timeout)
        return min(times)

    def poll(self, now: float) -> bool:
        """Advance the timers to ``now``; True when a consent request must go out now."""
        if self.expired:
            return False
        if now >= self.last + self._failed_timeout:
            self.expired = True
            return False
        send = now >= self.next_send
        if send:
            self.next_send = now + self._delay()
            if self.probe is None:
                self.probe = now
        if (
            self.probe is not None
            and not self.disconnected
            and now >= self.probe + self._disconnected_timeout
        ):
            self.disconnected = True
        return send

    def answered(self, now: float) -> None:
        """An authenticated success response to a consent request arrived."""
        if not self.expired:
            self.last = now
            self.probe = None
            self.disconnected = False
