"""Reception statistics of one RTP source (RFC 3550 Appendix A.1, A.3 and A.8).

:class:`ReceptionStatistics` keeps the extended highest sequence number, the cumulative and
interval loss and the interarrival jitter, and turns them into a report block. The probation
of A.1 (two sequential packets before a source is valid) is left out, as libwebrtc and aiortc
do: in WebRTC a source is announced by signalling and SRTP-authenticated before it gets here.
"""

from __future__ import annotations

from pyrtc.rtcp import RtcpReceiverInfo

__all__ = ["ReceptionStatistics"]

_SEQ_MOD = 1 << 16
_MAX_DROPOUT = 3000
_MAX_MISORDER = 100
_LOST_MIN = -(1 << 23)
_LOST_MAX = (1 << 23) - 1


class ReceptionStatistics:
    """RFC 3550 A.1 sequence tracking, A.3 loss and A.8 jitter for one SSRC.

    ``clock_rate`` converts arrival times (float seconds) to RTP timestamp units for the
    jitter. All fields are public for inspection; update them only through the methods.
    """

    __slots__ = (
        "bad_seq",
        "base_seq",
        "clock_rate",
        "cycles",
        "expected_prior",
        "jitter",
        "max_seq",
        "received",
        "received_prior",
        "started",
        "transit",
    )

    def __init__(self, clock_rate: int) -> None:
        self.clock_rate = clock_rate
        self.max_seq = 0
        self.cycles = 0
        self.base_seq = 0
        self.bad_seq = _SEQ_MOD + 1  # "so seq == bad_seq is false" (A.1)
        self.received = 0
        self.expected_prior = 0
        self.received_prior = 0
        self.transit: int | None = None
        self.jitter = 0.0  # in timestamp units, A.8 without the integer scaling
        self.started = False

    @property
    def extended_highest_sequence(self) -> int:
        """The cycle count shifted left 16 bits plus the highest sequence number (A.1)."""
        return self.cycles + self.max_seq

    @property
    def expected(self) -> int:
        """Packets expected so far (A.3)."""
        return self.extended_highest_sequence - self.base_seq + 1 if self.started else 0

    @property
    def packets_lost(self) -> int:
        """Cumulative packets lost (A.3): expected minus received, duplicates included."""
        return self.expected - self.received

    def _init_seq(self, seq: int) -> None:
        self.base_seq = seq
        self.max_seq = seq
        self.bad_seq = _SEQ_MOD + 1
        self.cycles = 0
        self.received = 0
        self.received_prior = 0
        self.expected_prior = 0

    def update(self, seq: int, timestamp: int, arrival: float, *, retransmission: bool) -> bool:
        """Account one packet (A.1 ``update_seq``); returns ``False`` if it was set aside.

        A jump by more than 3000 ahead or 100 behind is set aside unless the next packet
        follows it, in which case the source is taken to have restarted its sequence. A
        packet reordered before the first one received lowers the base (as libwebrtc does),
        so that it counts as expected.
        Retransmissions count as received but not for the jitter (they were not sent at
        their timestamp's time, RFC 4588 §8 and libwebrtc).
        """
        if not self.started:
            self.started = True
            self._init_seq(seq)
        else:
            udelta = (seq - self.max_seq) & 0xFFFF
            if udelta < _MAX_DROPOUT:
                if seq < self.max_seq:
                    self.cycles += _SEQ_MOD
                self.max_seq = seq
            elif udelta <= _SEQ_MOD - _MAX_MISORDER:
                if seq != self.bad_seq:
                    self.bad_seq = (seq + 1) & 0xFFFF
                    return False
                self._init_seq(seq)  # two sequential packets: the source restarted
                self.transit = None
            else:  # duplicate or reordered; one from before the first packet moves the base
                extended = self.cycles + self.max_seq - ((self.max_seq - seq) & 0xFFFF)
                if extended < self.base_seq:
                    self.base_seq = extended
        self.received += 1
        if retransmission:
            return True
        # A.8: J += (|D(i-1, i)| - J) / 16, transit times modulo 2**32
        transit = (int(arrival * self.clock_rate + 0.5) - timestamp) & 0xFFFFFFFF
        last = self.transit
        if last is not None:
            d = (transit - last) & 0xFFFFFFFF
            if d & 0x80000000:
                d = 0x100000000 - d
            self.jitter += (d - self.jitter) * 0.0625
        self.transit = transit
        return True

    def report_block(self, ssrc: int, lsr: int, dlsr: int) -> RtcpReceiverInfo:
        """The report block for ``ssrc`` now, starting a new loss interval (A.3)."""
        expected = self.expected
        expected_interval = expected - self.expected_prior
        received_interval = self.received - self.received_prior
        self.expected_prior = expected
        self.received_prior = self.received
        lost_interval = expected_interval - received_interval
        fraction = (
            0
            if expected_interval == 0 or lost_interval <= 0
            else ((lost_interval << 8) // expected_interval)
        )
        return RtcpReceiverInfo(
            ssrc=ssrc,
            fraction_lost=min(fraction, 255),
            packets_lost=max(_LOST_MIN, min(_LOST_MAX, self.packets_lost)),
            highest_sequence=self.extended_highest_sequence & 0xFFFFFFFF,
            jitter=int(self.jitter) & 0xFFFFFFFF,
            lsr=lsr,
            dlsr=dlsr,
        )
