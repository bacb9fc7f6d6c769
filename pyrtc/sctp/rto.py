"""Retransmission timeout estimation (RFC 9260 §6.3.1-6.3.3)."""

from __future__ import annotations


class RtoEstimator:
    """SRTT, RTTVAR and RTO with the RFC's smoothing factors, bounds and back-off."""

    def __init__(self, initial: float, minimum: float, maximum: float) -> None:
        self.minimum = minimum
        self.maximum = maximum
        self.rto = initial
        self.srtt: float | None = None
        self.rttvar = 0.0

    def update(self, rtt: float) -> None:
        """Fold in one round-trip measurement (rules C1-C3 and C6-C7 of §6.3.1)."""
        if self.srtt is None:
            self.srtt = rtt
            self.rttvar = rtt / 2
        else:
            self.rttvar = 0.75 * self.rttvar + 0.25 * abs(self.srtt - rtt)
            self.srtt = 0.875 * self.srtt + 0.125 * rtt
        self.rto = min(self.maximum, max(self.minimum, self.srtt + 4 * self.rttvar))

    def back_off(self) -> None:
        """Double the RTO after a timeout, up to RTO.Max (§6.3.3 E2)."""
        self.rto = min(self.maximum, self.rto * 2)
