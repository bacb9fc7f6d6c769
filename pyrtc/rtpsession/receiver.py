"""The receiving side of one RTP stream (RFC 3550, RFC 4585, RFC 4588): a sans-I/O core.

:class:`RtpReceiver` takes parsed, already unprotected RTP packets of one SSRC (and of its RTX
stream), keeps the RFC 3550 reception statistics, feeds the jitter buffer, sends generic NACKs
for the packets the jitter buffer misses and PLIs when it needs a keyframe, sends RR + SDES on
the RTCP interval with LSR/DLSR from the last SR, and emits the frames the jitter buffer
releases as :class:`~pyrtc.rtpsession.FrameReceived` events.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any, Protocol

from pyrtc.media import DepacketizeError, Frame, KeyframeRequest
from pyrtc.rtcp import (
    NTP_UNIX_OFFSET,
    RtcpByePacket,
    RtcpNackPacket,
    RtcpPacket,
    RtcpPliPacket,
    RtcpRrPacket,
    RtcpSrPacket,
    RtcpXrPacket,
    XrDlrrBlock,
    XrRrtrBlock,
    ntp_middle32,
    serialize_compound,
)
from pyrtc.rtp import RtpPacket, unwrap_rtx
from pyrtc.rtpsession.events import ByeReceived, FrameReceived, SenderReportReceived
from pyrtc.rtpsession.reports import RtcpStream, delay_since
from pyrtc.rtpsession.statistics import ReceptionStatistics

__all__ = ["JitterBufferLike", "RtpReceiver"]


class JitterBufferLike(Protocol):
    """What the receiver needs from a jitter buffer (:class:`pyrtc.media.JitterBuffer` fits).

    This is the seam for the loss tracker: the buffer decides which sequence numbers to NACK
    (with its retry timing and limits) and when a keyframe is needed.
    """

    rtt: float

    def insert(self, packet: RtpPacket, now: float) -> bool: ...

    def pop_frame(self, now: float) -> Frame | None: ...

    def nack_list(self, now: float) -> list[int]: ...

    def get_timer(self) -> float | None: ...

    def next_event(self) -> KeyframeRequest | None: ...


class RtpReceiver(RtcpStream):
    """Sans-I/O core for one incoming RTP stream and its RTX stream.

    ``local_ssrc`` is the SSRC our RTCP about this stream is sent from. ``rtx_payload_types``
    maps each RTX payload type to its media payload type (the ``apt`` of RFC 4588 §8.6).
    ``reduced_size`` sends NACK/PLI alone (RFC 5506, when ``rtcp-rsize`` was negotiated),
    otherwise inside an RR + SDES compound. A PLI is sent at most every
    ``keyframe_request_interval`` seconds. ``rrtr`` adds an RFC 3611 §4.4 receiver reference
    time block to each RR, so that the sender's DLRR answer gives this receive-only side a
    round-trip time (``rtcp-xr`` ``rcvr-rtt``); it also becomes the jitter buffer's ``rtt``.
    ``ntp_offset`` and ``rng`` as for :class:`~pyrtc.rtpsession.RtpSender`.
    """

    def __init__(
        self,
        ssrc: int,
        clock_rate: int,
        jitter_buffer: JitterBufferLike,
        *,
        local_ssrc: int,
        cname: str,
        rtx_ssrc: int | None = None,
        rtx_payload_types: Mapping[int, int] | None = None,
        reduced_size: bool = True,
        rrtr: bool = False,
        rtcp_interval: float = 1.0,
        keyframe_request_interval: float = 0.5,
        ntp_offset: float = NTP_UNIX_OFFSET,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(cname=cname, rtcp_interval=rtcp_interval, ntp_offset=ntp_offset, rng=rng)
        self.ssrc = ssrc
        self.clock_rate = clock_rate
        self.jitter_buffer = jitter_buffer
        self.local_ssrc = local_ssrc
        self.rtx_ssrc = rtx_ssrc
        self.rtx_payload_types = dict(rtx_payload_types or {})
        self.reduced_size = reduced_size
        self.rrtr = rrtr
        self.keyframe_request_interval = keyframe_request_interval
        self.statistics = ReceptionStatistics(clock_rate)
        self.ended = False
        self._last_sr: tuple[int, float] | None = None  # (middle 32 bits of NTP, arrival)
        self._last_pli = -float("inf")
        # counters (W3C webrtc-stats inbound-rtp / remote-outbound-rtp)
        self.packets_received = 0
        self.bytes_received = 0
        self.packets_discarded = 0
        self.retransmitted_packets_received = 0
        self.frames_received = 0
        self.nack_count = 0
        self.pli_count = 0
        self.last_sender_report: SenderReportReceived | None = None

    # -- RTP -----------------------------------------------------------------------------

    def receive(self, packet: RtpPacket, now: float) -> None:
        """Take one packet of the media SSRC or of the RTX SSRC (unwrapped, RFC 4588 §4)."""
        retransmission = False
        if packet.ssrc != self.ssrc:
            if packet.ssrc != self.rtx_ssrc or self.ended:
                return
            media_type = self.rtx_payload_types.get(packet.payload_type)
            if media_type is None or packet.payload_length < 2:
                self.packets_discarded += 1  # unknown apt, or padding-only probe
                return
            packet = unwrap_rtx(packet, media_type, self.ssrc)
            retransmission = True
            self.retransmitted_packets_received += 1
        if self.ended:
            return
        payload_length = packet.payload_length
        if not self.statistics.update(
            packet.sequence_number, packet.timestamp, now, retransmission=retransmission
        ):
            self.packets_discarded += 1
            return
        self.packets_received += 1
        self.bytes_received += payload_length
        try:
            if not self.jitter_buffer.insert(packet, now):
                self.packets_discarded += 1  # duplicate, or too late for its frame
        except DepacketizeError:
            self.packets_discarded += 1
        self._start_reports(now)
        self._pump(now)

    def _pump(self, now: float) -> None:
        """Drain the jitter buffer: due frames, NACKs (RFC 4585 §6.2.1), keyframe requests."""
        jb = self.jitter_buffer
        while (frame := jb.pop_frame(now)) is not None:
            self.frames_received += 1
            self._events.append(FrameReceived(self.ssrc, frame))
        feedback: list[RtcpPacket] = []
        lost = jb.nack_list(now)
        if lost:
            self.nack_count += 1
            feedback.append(RtcpNackPacket(self.local_ssrc, self.ssrc, lost))
        want_keyframe = False
        while jb.next_event() is not None:
            want_keyframe = True
        if want_keyframe and self._pli_allowed(now):
            feedback.append(RtcpPliPacket(self.local_ssrc, self.ssrc))
        if feedback:
            self._send_feedback(feedback, now)

    def _pli_allowed(self, now: float) -> bool:
        if now - self._last_pli < self.keyframe_request_interval:
            return False
        self._last_pli = now
        self.pli_count += 1
        return True

    def request_keyframe(self, now: float) -> bool:
        """Send a PLI now (e.g. the decoder failed); ``False`` if rate-limited."""
        if self.ended or not self._pli_allowed(now):
            return False
        self._send_feedback([RtcpPliPacket(self.local_ssrc, self.ssrc)], now)
        return True

    def _send_feedback(self, feedback: list[RtcpPacket], now: float) -> None:
        packets = feedback if self.reduced_size else [*self._report_packets(now), *feedback]
        self._outbox.append(serialize_compound(packets))

    # -- RTCP ----------------------------------------------------------------------------

    def receive_rtcp(self, packet: RtcpPacket, now: float) -> None:
        """Handle an SR from the stream's sender (kept for LSR/DLSR), a BYE naming it, or an
        XR DLRR answering our RRTR (RFC 3611 §4.5: round-trip time from LRR/DLRR)."""
        if isinstance(packet, RtcpSrPacket) and packet.ssrc == self.ssrc:
            info = packet.sender_info
            self._last_sr = (ntp_middle32(info.ntp_timestamp), now)
            report = SenderReportReceived(
                self.ssrc,
                info.ntp_timestamp,
                info.rtp_timestamp,
                info.packet_count,
                info.octet_count,
            )
            self.last_sender_report = report
            self._events.append(report)
        elif isinstance(packet, RtcpByePacket) and self.ssrc in packet.sources and not self.ended:
            self.ended = True
            self._next_rtcp = None
            self._events.append(ByeReceived(self.ssrc, packet.reason))
        elif isinstance(packet, RtcpXrPacket) and packet.ssrc == self.ssrc:
            for block in packet.blocks:
                if isinstance(block, XrDlrrBlock):
                    for entry in block.reports:
                        if (
                            entry.ssrc == self.local_ssrc
                            and (rtt := self._measure_rtt(entry.lrr, entry.dlrr, now)) is not None
                        ):
                            self.jitter_buffer.rtt = rtt

    def _report_packets(self, now: float) -> list[RtcpPacket]:
        """RR with this stream's report block (RFC 3550 §6.4.2) and SDES CNAME."""
        lsr = dlsr = 0
        if self._last_sr is not None:
            lsr, arrival = self._last_sr
            dlsr = delay_since(arrival, now)
        reports = []
        if self.statistics.started:
            reports.append(self.statistics.report_block(self.ssrc, lsr, dlsr))
        packets: list[RtcpPacket] = [
            RtcpRrPacket(self.local_ssrc, reports),
            self._sdes(self.local_ssrc),
        ]
        if self.rrtr:
            packets.append(RtcpXrPacket(self.local_ssrc, [XrRrtrBlock(self.ntp(now))]))
        return packets

    # -- sans-I/O plumbing ----------------------------------------------------------------

    def get_timer(self) -> float | None:
        """The earliest of the next RR and the jitter buffer's next deadline."""
        if self.ended:
            return None
        jb_timer = self.jitter_buffer.get_timer()
        if self._next_rtcp is None:
            return jb_timer
        return self._next_rtcp if jb_timer is None else min(jb_timer, self._next_rtcp)

    def handle_timer(self, now: float) -> None:
        """Release due frames, send due NACKs, and the RR + SDES compound when due."""
        if self.ended:
            return
        self._pump(now)
        self._send_due_report(now)

    def stats(self) -> list[dict[str, Any]]:
        """W3C webrtc-stats ``inbound-rtp`` and, once an SR arrived, ``remote-outbound-rtp``."""
        out: list[dict[str, Any]] = [
            {
                "type": "inbound-rtp",
                "ssrc": self.ssrc,
                "packetsReceived": self.packets_received,
                "bytesReceived": self.bytes_received,
                "packetsLost": self.statistics.packets_lost,
                "packetsDiscarded": self.packets_discarded,
                "retransmittedPacketsReceived": self.retransmitted_packets_received,
                "jitter": self.statistics.jitter / self.clock_rate,
                "framesReceived": self.frames_received,
                "nackCount": self.nack_count,
                "pliCount": self.pli_count,
                "firCount": 0,
            }
        ]
        sr = self.last_sender_report
        if sr is not None:
            out.append(
                {
                    "type": "remote-outbound-rtp",
                    "ssrc": self.ssrc,
                    "packetsSent": sr.packet_count,
                    "bytesSent": sr.octet_count,
                    "remoteTimestamp": (sr.ntp_timestamp / 4294967296.0 - NTP_UNIX_OFFSET) * 1000,
                    **self._rtt_stats(),
                }
            )
        return out
