"""What the sender and receiver cores share about RTCP reports (RFC 3550 §6, RFC 3611 §4.4-4.5).

:class:`RtcpStream` is the common base of :class:`~pyrtc.rtpsession.RtpSender` and
:class:`~pyrtc.rtpsession.RtpReceiver`: the outbox and event queue, the regular report timer
(§6.2, started by the first packet, stopped by BYE), the NTP clock, the round-trip-time
measurement from a reference time echoed back with its delay (SR LSR/DLSR, §6.4.1, or XR
LRR/DLRR, RFC 3611 §4.5) and the SDES CNAME every compound carries (§6.5.1).
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections import deque
from typing import Any

from pyrtc.rtcp import (
    RtcpPacket,
    RtcpSdesPacket,
    RtcpSourceInfo,
    SdesItemType,
    rtt_from_report,
    seconds_to_ntp,
    serialize_compound,
)
from pyrtc.rtpsession.interval import rtcp_interval
from pyrtc.sansio import Event

__all__ = ["RtcpStream", "delay_since"]


def delay_since(at: float, now: float) -> int:
    """Seconds from ``at`` to ``now`` in the 1/65536 s units of DLSR (RFC 3550 §6.4.1) and
    DLRR (RFC 3611 §4.5), saturated to 32 bits."""
    return min(round((now - at) * 65536), 0xFFFFFFFF)


class RtcpStream(ABC):
    """Report timing, NTP time, round-trip time and plumbing of one stream's sans-I/O core.

    A subclass builds its regular compound in :meth:`_report_packets`, calls
    :meth:`_start_reports` when its first packet goes out or comes in, :meth:`_send_due_report`
    from ``handle_timer``, and :meth:`_measure_rtt` with each echoed reference time.
    """

    def __init__(
        self, *, cname: str, rtcp_interval: float, ntp_offset: float, rng: random.Random | None
    ) -> None:
        self._rng = rng or random.Random()
        self.cname = cname
        self.rtcp_interval = rtcp_interval
        self.ntp_offset = ntp_offset
        self._outbox: list[bytes] = []
        self._events: deque[Event] = deque()
        self._next_rtcp: float | None = None
        self.round_trip_time: float | None = None
        self.total_round_trip_time = 0.0
        self.round_trip_time_measurements = 0

    @abstractmethod
    def _report_packets(self, now: float) -> list[RtcpPacket]:
        """The packets of the regular compound sent at ``now``."""

    def ntp(self, now: float) -> int:
        """The 64-bit NTP timestamp of ``now`` (``now + ntp_offset`` seconds)."""
        return seconds_to_ntp(now + self.ntp_offset)

    def _sdes(self, ssrc: int) -> RtcpSdesPacket:
        """SDES with the CNAME item for ``ssrc`` (RFC 3550 §6.5.1)."""
        return RtcpSdesPacket([RtcpSourceInfo(ssrc, [(SdesItemType.CNAME, self.cname.encode())])])

    def _start_reports(self, now: float) -> None:
        """Schedule the first report (half the interval, RFC 3550 §6.2) unless scheduled."""
        if self._next_rtcp is None:
            self._next_rtcp = now + rtcp_interval(self.rtcp_interval, self._rng, initial=True)

    def _send_due_report(self, now: float) -> None:
        """Queue the regular compound (RFC 3550 §6.3.6) if due and schedule the next one."""
        if self._next_rtcp is None or now < self._next_rtcp:
            return
        self._outbox.append(serialize_compound(self._report_packets(now)))
        self._next_rtcp = now + rtcp_interval(self.rtcp_interval, self._rng)

    def _measure_rtt(self, reference: int, delay: int, now: float) -> float | None:
        """Round-trip time from an echoed middle-32-bit NTP ``reference`` and the peer's
        ``delay`` (1/65536 s) on it, counted in the stats; ``None`` if there is none yet
        (``reference`` 0) or it comes out negative."""
        rtt = rtt_from_report(self.ntp(now), reference, delay)
        if rtt is None or rtt < 0:
            return None
        self.round_trip_time = rtt
        self.total_round_trip_time += rtt
        self.round_trip_time_measurements += 1
        return rtt

    def _rtt_stats(self) -> dict[str, Any]:
        """The round-trip-time members of W3C webrtc-stats ``remote-*-rtp``."""
        stats: dict[str, Any] = {
            "roundTripTimeMeasurements": self.round_trip_time_measurements,
            "totalRoundTripTime": self.total_round_trip_time,
        }
        if self.round_trip_time is not None:
            stats["roundTripTime"] = self.round_trip_time
        return stats

    def datagrams_to_send(self, now: float) -> list[bytes]:
        """Datagrams to send, in order (not yet SRTP/SRTCP-protected)."""
        out, self._outbox = self._outbox, []
        return out

    def next_event(self) -> Event | None:
        """The next event, if any."""
        return self._events.popleft() if self._events else None
