"""Abuse limits of the signaling server: the configuration and a token bucket."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """What one client, one IP address and the whole server may use.

    Rates are messages per second with a burst allowance (token buckets); a connection or
    an IP address that runs dry is sent ``rate-limited`` and closed with 4429. The per-IP
    bucket is also charged once per new connection and per HTTP request. "Per IP" means
    per IPv4 address and per IPv6 /64 network.
    """

    max_message_size: int = 64 * 1024
    """Longest text message in UTF-8 bytes (``message-too-large``, close 1009)."""
    rate: float = 20.0
    burst: float = 60.0
    ip_rate: float = 50.0
    ip_burst: float = 200.0
    max_participants: int = 8
    """Participants per room (``room-full``, close 4409)."""
    max_rooms: int = 1000
    """Rooms open at once (``too-many-rooms``, close 4503)."""
    max_connections: int = 10_000
    """WebSocket connections at once (``server-full``, close 4503)."""
    max_connections_per_ip: int = 32
    """Connections at once from one IP address (``too-many-connections``, close 4429)."""
    idle_timeout: float = 60.0
    """Seconds without a message from the client before ``idle-timeout`` (close 4408)."""
    max_send_queue: int = 256
    """Messages waiting for a slow receiver before ``slow-consumer`` (close 1013)."""


class TokenBucket:
    """A token bucket: ``rate`` tokens per second, holding at most ``burst``; starts full."""

    __slots__ = ("_tokens", "_updated", "burst", "rate")

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = burst
        self._updated = now

    def take(self, now: float, cost: float = 1.0) -> bool:
        """Spend ``cost`` tokens at ``now`` if there are enough; ``False`` leaves it unchanged."""
        # max(): a clock that steps back must not drain the bucket.
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(self.burst, self._tokens + elapsed * self.rate)
        self._updated = max(now, self._updated)
        if self._tokens < cost:
            return False
        self._tokens -= cost
        return True

    def full_at(self, now: float) -> float:
        """When the bucket will be full again (for forgetting idle per-IP buckets)."""
        missing = self.burst - min(
            self.burst, self._tokens + max(0.0, now - self._updated) * self.rate
        )
        return now + (missing / self.rate if self.rate > 0 else 0.0)
