"""The receive side of transport-wide congestion control (draft-holmer-rmcat-transport-wide-cc-
extensions-01): record each packet's transport-wide sequence number and arrival time, and
build feedback packets covering everything received since the last feedback.
"""

from __future__ import annotations

from pyrtc.rtcp import RtcpTransportCcPacket, TwccPacketStatus
from pyrtc.rtp import SequenceUnwrapper

__all__ = ["TwccRecorder"]

_REFERENCE_US = 64000
_REFERENCE_MOD = 1 << 24
_MAX_DELTA_US = 0x7FFF * 250
_MAX_RECORDED = 0x10000  # memory bound between two feedbacks


class TwccRecorder:
    """Collects ``(transport sequence number, arrival time)`` across all SSRCs of a transport.

    :meth:`feedback` returns the feedback packets for every sequence number from the first not
    yet reported to the highest received: received ones with their arrival time, the gaps as
    not received. A packet that arrives after its number was reported as lost is reported
    again in the next feedback, with its reported neighbours. One call reports at most the
    ``max_statuses`` most recent numbers (older gaps after a jump are not worth the bytes);
    a receive delta too large for 16 bits starts a new feedback packet.
    ``interval`` is how often the owner should call :meth:`feedback` (libwebrtc adapts it
    between 50 and 250 ms; 100 ms by default here).
    """

    def __init__(self, ssrc: int, *, interval: float = 0.1, max_statuses: int = 1024) -> None:
        self.ssrc = ssrc
        self.interval = interval
        self.max_statuses = max_statuses
        self.feedback_count = 0
        self._unwrapper = SequenceUnwrapper()
        # extended seq -> arrival in microseconds; kept a while after being reported so that
        # a late packet's feedback also carries its already-reported neighbours correctly
        self._arrivals: dict[int, int] = {}
        self._next: int | None = None  # first extended seq not yet reported
        self._highest = -1
        self._late: int | None = None  # lowest already-reported seq that arrived since

    @property
    def pending(self) -> bool:
        """Whether something was recorded since the last feedback."""
        return self._next is not None and (self._highest >= self._next or self._late is not None)

    def record(self, sequence_number: int, arrival: float) -> None:
        """Record one received packet's 16-bit transport-wide sequence number."""
        seq = self._unwrapper.unwrap(sequence_number)
        if self._next is None:
            self._next = seq
        elif seq < self._next - self.max_statuses:
            return  # too old to be worth reporting again
        if seq in self._arrivals or len(self._arrivals) >= _MAX_RECORDED:
            return  # a duplicate, or a flood between two feedbacks
        self._arrivals[seq] = round(arrival * 1e6)
        if seq > self._highest:
            self._highest = seq
        if seq < self._next and (self._late is None or seq < self._late):
            self._late = seq

    def feedback(self, media_ssrc: int) -> list[RtcpTransportCcPacket]:
        """Feedback for everything recorded since the last call (empty if nothing was)."""
        if not self.pending or self._next is None:
            return []
        start = self._next if self._late is None else min(self._late, self._next)
        end = self._highest
        start = max(start, end - self.max_statuses + 1)  # after a jump, report the recent end
        packets = []
        seq = start
        while seq <= end:
            packet, seq = self._one(seq, end, media_ssrc)
            packets.append(packet)
        self._next = max(self._next, end + 1)
        self._late = None
        horizon = self._next - self.max_statuses
        if len(self._arrivals) > self.max_statuses:
            self._arrivals = {s: t for s, t in self._arrivals.items() if s >= horizon}
        return packets

    def _one(self, start: int, end: int, media_ssrc: int) -> tuple[RtcpTransportCcPacket, int]:
        """One feedback packet from ``start``; returns it and the first seq it leaves out."""
        arrivals = self._arrivals
        first_us = next(arrivals[s] for s in range(start, end + 1) if s in arrivals)
        reference = first_us // _REFERENCE_US
        # the reference time is a signed 24-bit field: shift the time base to fit it
        wrapped = (reference + (_REFERENCE_MOD >> 1)) % _REFERENCE_MOD - (_REFERENCE_MOD >> 1)
        shift_us = (reference - wrapped) * _REFERENCE_US
        previous = reference * _REFERENCE_US
        statuses: list[TwccPacketStatus] = []
        seq = start
        while seq <= end:
            arrival = arrivals.get(seq)
            if arrival is not None:
                # 250 us ticks as the encoder rounds them; a too large jump starts a new packet
                if abs(arrival - previous) > _MAX_DELTA_US and statuses:
                    break
                previous = arrival
                statuses.append(TwccPacketStatus(seq & 0xFFFF, arrival - shift_us))
            else:
                statuses.append(TwccPacketStatus(seq & 0xFFFF, None))
            seq += 1
        packet = RtcpTransportCcPacket(
            self.ssrc, media_ssrc, wrapped, self.feedback_count & 0xFF, statuses
        )
        self.feedback_count += 1
        return packet, seq
