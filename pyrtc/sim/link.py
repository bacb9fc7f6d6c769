"""One direction of a simulated path: delay, jitter, loss, reordering, duplication, a
bandwidth-limited FIFO queue and an MTU.

The model follows what Linux netem plus a token-bucket bottleneck would do, in this order
for every datagram entering the link at time ``now``:

1. MTU: the wire size (payload + 28 bytes of IPv4/UDP header, 48 for IPv6) above ``mtu`` drops.
2. Scripted drops: ``drop_next(n)``, a blackout window, or the ``drop(index, data)`` callback.
3. Random loss: Bernoulli ``loss``, or-ed with the optional Gilbert-Elliott ``burst`` model.
4. Queue: with a ``bandwidth``, the datagram waits behind earlier ones and is serialised at
   ``size * 8 / bandwidth`` seconds; if the bytes still queued plus this one exceed
   ``queue_limit``, it is tail-dropped.
5. Propagation: ``delay`` plus jitter (uniform in ``[-jitter, +jitter]`` or normal with standard
   deviation ``jitter``, the total clamped at >= 0). Jitter never reorders: a datagram never
   arrives before one sent earlier on the same direction (real paths mostly keep order).
6. Reordering: with probability ``reorder`` a datagram is held back an extra ``reorder_delay``
   and exempt from the ordering rule, so later datagrams overtake it.
7. Duplication: with probability ``duplicate`` a second copy follows with its own delay sample
   (it does not occupy the queue).
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

from pyrtc.sim.errors import SimError
from pyrtc.sim.stats import DropReason, Stats

IPV4_UDP_OVERHEAD = 28
IPV6_UDP_OVERHEAD = 48


@dataclass(eq=False)
class GilbertElliott:
    """Two-state burst loss model (Gilbert-Elliott).

    Before each datagram the channel moves good->bad with probability ``p`` and bad->good
    with probability ``r``; the datagram is then lost with ``loss_good`` or ``loss_bad``.
    With the defaults the long-run loss rate is ``p / (p + r)`` and the mean burst length
    ``1 / r`` datagrams.
    """

    p: float
    r: float
    loss_good: float = 0.0
    loss_bad: float = 1.0
    bad: bool = False

    def __post_init__(self) -> None:
        for name in ("p", "r", "loss_good", "loss_bad"):
            _check_probability(name, getattr(self, name))

    def lost(self, rng: random.Random) -> bool:
        """Advance the channel state by one datagram and say whether it is lost."""
        if rng.random() < (self.r if self.bad else self.p):
            self.bad = not self.bad
        return rng.random() < (self.loss_bad if self.bad else self.loss_good)

    def copy(self) -> GilbertElliott:
        """The same model in the good state (for another link direction)."""
        return replace(self, bad=False)


@dataclass(eq=False, kw_only=True)
class Link:
    """Conditions of ONE direction between two hosts, plus its counters.

    A ``Link`` is attached to exactly one direction (:meth:`Simulator.set_link`);
    :meth:`Simulator.set_link_pair` copies it for the way back. Times are seconds, ``bandwidth``
    is bits per second, ``queue_limit`` and ``mtu`` are bytes on the wire; ``None`` means
    unlimited. Parameters may be changed while the simulation runs (e.g. from
    :meth:`Simulator.call_at`).
    """

    delay: float = 0.001
    jitter: float = 0.0
    jitter_distribution: Literal["uniform", "normal"] = "uniform"
    loss: float = 0.0
    burst: GilbertElliott | None = None
    duplicate: float = 0.0
    reorder: float = 0.0
    reorder_delay: float = 0.02
    bandwidth: float | None = None
    queue_limit: int | None = None
    mtu: int | None = None
    drop: Callable[[int, bytes], bool] | None = None
    """Scripted loss: called with the 0-based index of each datagram offered to this
    direction and its payload; ``True`` drops it (e.g. ``lambda i, d: i == 2``)."""
    stats: Stats = field(default_factory=Stats, init=False)

    _rng: random.Random = field(default_factory=random.Random, init=False, repr=False)
    _attached: bool = field(default=False, init=False, repr=False)
    _index: int = field(default=0, init=False, repr=False)
    _drop_next: int = field(default=0, init=False, repr=False)
    _blackouts: list[tuple[float, float]] = field(default_factory=list, init=False, repr=False)
    _busy_until: float = field(default=0.0, init=False, repr=False)
    _queue: deque[tuple[float, int]] = field(default_factory=deque, init=False, repr=False)
    _queued_bytes: int = field(default=0, init=False, repr=False)
    _last_arrival: float = field(default=0.0, init=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("loss", "duplicate", "reorder"):
            _check_probability(name, getattr(self, name))
        for name in ("delay", "jitter", "reorder_delay"):
            if getattr(self, name) < 0:
                raise SimError(f"Link.{name} must be >= 0")
        if self.jitter_distribution not in ("uniform", "normal"):
            raise SimError("Link.jitter_distribution must be 'uniform' or 'normal'")
        if self.bandwidth is not None and self.bandwidth <= 0:
            raise SimError("Link.bandwidth must be > 0 bits/s or None")
        if self.queue_limit is not None and self.queue_limit <= 0:
            raise SimError("Link.queue_limit must be > 0 bytes or None")
        if self.mtu is not None and self.mtu <= 0:
            raise SimError("Link.mtu must be > 0 bytes or None")

    def copy(self) -> Link:
        """A link with the same conditions and fresh state (counters, queue, burst state)."""
        return replace(self, burst=self.burst.copy() if self.burst else None)

    def drop_next(self, count: int = 1) -> None:
        """Drop the next ``count`` datagrams offered to this direction."""
        self._drop_next += count

    def blackout(self, start: float, end: float) -> None:
        """Drop every datagram offered to this direction at virtual times in ``[start, end)``."""
        if end < start:
            raise SimError("blackout end must be >= start")
        self._blackouts.append((start, end))

    def _attach(self, rng: random.Random) -> None:
        if self._attached:
            raise SimError("this Link is already attached to a direction; use link.copy()")
        self._attached = True
        self._rng = rng

    def _scripted_drop(self, index: int, data: bytes, now: float) -> bool:
        if self._drop_next:
            self._drop_next -= 1
            return True
        if any(start <= now < end for start, end in self._blackouts):
            return True
        return self.drop is not None and self.drop(index, data)

    def _propagation(self) -> float:
        if not self.jitter:
            return self.delay
        if self.jitter_distribution == "uniform":
            delay = self.delay + self._rng.uniform(-self.jitter, self.jitter)
        else:
            delay = self._rng.gauss(self.delay, self.jitter)
        return max(delay, 0.0)

    def _departure(self, now: float, size: int) -> float | None:
        """Time the last bit leaves the FIFO, or ``None`` when the queue tail-drops it."""
        if self.bandwidth is None:
            return now
        queue = self._queue
        while queue and queue[0][0] <= now:
            self._queued_bytes -= queue.popleft()[1]
        if self.queue_limit is not None and self._queued_bytes + size > self.queue_limit:
            return None
        self._busy_until = max(now, self._busy_until) + size * 8 / self.bandwidth
        queue.append((self._busy_until, size))
        self._queued_bytes += size
        return self._busy_until

    def _in_order(self, arrival: float) -> float:
        arrival = max(arrival, self._last_arrival)
        self._last_arrival = arrival
        return arrival

    def _transmit(self, data: bytes, wire_size: int, now: float) -> DropReason | list[float]:
        """Offer one datagram at ``now``: its arrival times at the far end, or why it dropped."""
        stats = self.stats
        index = self._index
        self._index += 1
        stats.sent += 1
        stats.bytes_sent += len(data)
        reason: DropReason | None = None
        rng = self._rng
        if self.mtu is not None and wire_size > self.mtu:
            reason = "mtu"
        elif self._scripted_drop(index, data, now):
            reason = "scripted"
        elif (self.loss and rng.random() < self.loss) or (
            self.burst is not None and self.burst.lost(rng)
        ):
            reason = "loss"
        departure = self._departure(now, wire_size) if reason is None else None
        if departure is None:
            reason = reason or "queue"
            stats.drops[reason] += 1
            return reason
        if self.reorder and rng.random() < self.reorder:
            stats.reordered += 1
            arrivals = [departure + self._propagation() + self.reorder_delay]
        else:
            arrivals = [self._in_order(departure + self._propagation())]
        if self.duplicate and rng.random() < self.duplicate:
            stats.duplicated += 1
            arrivals.append(self._in_order(departure + self._propagation()))
        return arrivals


def wire_overhead(host: str) -> int:
    """Bytes of IP + UDP header a datagram to ``host`` carries on the wire."""
    return IPV6_UDP_OVERHEAD if ":" in host else IPV4_UDP_OVERHEAD


def _check_probability(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise SimError(f"{name} must be a probability in [0, 1], got {value!r}")
