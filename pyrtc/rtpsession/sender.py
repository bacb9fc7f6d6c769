"""The sending side of one RTP stream (RFC 3550, RFC 4585, RFC 4588, RFC 5104): a sans-I/O core.

:class:`RtpSender` numbers and stamps the packets of each frame, keeps a bounded history for
retransmission, answers generic NACKs (with RTX when negotiated), turns PLI/FIR into
:class:`~pyrtc.rtpsession.KeyframeRequested`, sends SR + SDES on the RTCP interval and BYE on
:meth:`RtpSender.stop`, and reads the peer's report blocks for loss, jitter and round-trip time.
"""

from __future__ import annotations

import math
import random
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pyrtc.rtcp import (
    NTP_UNIX_OFFSET,
    DlrrReport,
    RtcpByePacket,
    RtcpFirPacket,
    RtcpNackPacket,
    RtcpPacket,
    RtcpPliPacket,
    RtcpReceiverInfo,
    RtcpRrPacket,
    RtcpSenderInfo,
    RtcpSrPacket,
    RtcpTransportCcPacket,
    RtcpXrPacket,
    XrDlrrBlock,
    XrRrtrBlock,
    ntp_middle32,
    serialize_compound,
)
from pyrtc.rtp import (
    ABS_SEND_TIME,
    AUDIO_LEVEL,
    TRANSPORT_CC,
    HeaderExtensions,
    HeaderExtensionsMap,
    RtpPacket,
    abs_send_time_from_seconds,
    encode_audio_level,
    wrap_rtx,
)
from pyrtc.rtpsession.errors import RtpSessionError
from pyrtc.rtpsession.events import KeyframeRequested, PacketFeedback, ReceiverReportReceived
from pyrtc.rtpsession.reports import RtcpStream, delay_since

__all__ = ["RtpSender", "TransportSequence"]

_RTP_HEADER = 12
_DEFAULT_RTT = 0.1


class TransportSequence:
    """The transport-wide sequence number counter shared by every sender of one transport.

    It also keeps the send time and size of the last ``history`` numbers, so that
    transport-cc feedback can be matched to what was sent (what a delay-based bandwidth
    estimator needs; :class:`~pyrtc.rtpsession.RtpSession` does it for its events).
    """

    def __init__(self, start: int = 0, *, history: int = 4096) -> None:
        if not 0 < history <= 0x8000:
            raise ValueError("history must be 1..32768 (unique 16-bit sequence numbers)")
        self.value = start & 0xFFFF
        self._sent: list[tuple[int, float, int] | None] = [None] * history

    def next(self) -> int:
        """The number for the next packet sent on the transport (16-bit, wrapping)."""
        value = self.value
        self.value = (value + 1) & 0xFFFF
        return value

    def sent(self, sequence_number: int, now: float, size: int) -> None:
        """Record that the packet numbered ``sequence_number`` left at ``now``, ``size`` bytes."""
        self._sent[sequence_number % len(self._sent)] = (sequence_number, now, size)

    def lookup(self, sequence_number: int) -> tuple[float, int] | None:
        """``(send time, size)`` of a recently sent number, or ``None``."""
        entry = self._sent[sequence_number % len(self._sent)]
        if entry is None or entry[0] != sequence_number:
            return None
        return entry[1], entry[2]

    def match(self, feedback: RtcpTransportCcPacket) -> tuple[PacketFeedback, ...]:
        """The packets one transport-cc feedback reports that are still remembered, with
        their send time and size (draft-holmer-rmcat-transport-wide-cc-01 section 3.1)."""
        out = []
        for seq, receive_us in feedback.packets:
            sent = self.lookup(seq)
            if sent is not None:
                receive = None if receive_us is None else receive_us / 1e6
                out.append(PacketFeedback(seq, sent[0], sent[1], receive))
        return tuple(out)


@dataclass(slots=True)
class _Sent:
    packet: RtpPacket
    sent_at: float
    retransmitted_at: float | None = None


class RtpSender(RtcpStream):
    """Sans-I/O core for one outgoing RTP stream (plus its RTX stream, if negotiated).

    Feed it frames with :meth:`send_frame` and the peer's RTCP with :meth:`receive_rtcp`;
    drain RTP and compound RTCP datagrams (unprotected; SRTP is the caller's job) with
    :meth:`datagrams_to_send`, and events with :meth:`next_event`. ``extensions`` is the
    negotiated header extension map: mid, rid (repaired-rid on RTX), abs-send-time,
    transport-wide-cc (numbered from ``transport_sequence``, shared per transport) and
    audio level are written when their URI is in it.

    History: the last ``history_packets`` packets younger than ``history_age`` seconds are
    kept for retransmission. A packet is retransmitted at most once per round-trip time (the
    measured one, 100 ms until measured). Keyframe requests closer than
    ``keyframe_request_interval`` to the previous one produce no event (an encoder is
    already making a keyframe). ``ntp_offset`` maps ``now`` to NTP seconds for SRs; the
    default treats ``now`` as Unix time, pass ``time.time() - time.monotonic() +
    NTP_UNIX_OFFSET`` when ``now`` is monotonic. ``rng`` seeds the sequence number start and
    the RTCP interval (tests pass a seeded ``random.Random``).
    """

    def __init__(
        self,
        ssrc: int,
        payload_type: int,
        clock_rate: int,
        *,
        cname: str,
        rtx_ssrc: int | None = None,
        rtx_payload_type: int | None = None,
        mid: str | None = None,
        rid: str | None = None,
        extensions: HeaderExtensionsMap | None = None,
        transport_sequence: TransportSequence | None = None,
        history_packets: int = 1024,
        history_age: float = 1.0,
        rtcp_interval: float = 1.0,
        keyframe_request_interval: float = 0.3,
        ntp_offset: float = NTP_UNIX_OFFSET,
        rng: random.Random | None = None,
    ) -> None:
        if (rtx_ssrc is None) != (rtx_payload_type is None):
            raise ValueError("rtx_ssrc and rtx_payload_type go together")
        if not 0 < history_packets <= 0x8000:
            raise ValueError("history_packets must be 1..32768 (unique 16-bit sequence numbers)")
        super().__init__(cname=cname, rtcp_interval=rtcp_interval, ntp_offset=ntp_offset, rng=rng)
        self.ssrc = ssrc
        self.payload_type = payload_type
        self.clock_rate = clock_rate
        self.rtx_ssrc = rtx_ssrc
        self.rtx_payload_type = rtx_payload_type
        self.history_packets = history_packets
        self.history_age = history_age
        self.keyframe_request_interval = keyframe_request_interval
        self.sequence_number = self._rng.randrange(0x10000)
        """The sequence number of the next media packet (random start, RFC 3550 §5.1)."""
        self.rtx_sequence_number = self._rng.randrange(0x10000)
        self.transport_sequence = transport_sequence
        extmap = extensions or HeaderExtensionsMap()
        self._ext_media = extmap.encode(HeaderExtensions(mid=mid, rtp_stream_id=rid))
        self._ext_rtx = extmap.encode(HeaderExtensions(mid=mid, repaired_rtp_stream_id=rid))
        self._abs_send_time_id = extmap.id_of(ABS_SEND_TIME)
        self._transport_cc_id = extmap.id_of(TRANSPORT_CC) if transport_sequence else None
        self._audio_level_id = extmap.id_of(AUDIO_LEVEL)
        self._history: OrderedDict[int, _Sent] = OrderedDict()
        self._abs_send_time = (math.nan, b"")  # (now, abs-send-time bytes) of the last stamp
        self._last_frame: tuple[int, float] | None = None  # (RTP timestamp, now) of last frame
        self._last_keyframe_request = -float("inf")
        self._last_fir_sequence: int | None = None
        self.stopped = False
        # counters (W3C webrtc-stats outbound-rtp / remote-inbound-rtp, RFC 3550 SR)
        self.packets_sent = 0
        self.frames_sent = 0
        self.key_frames_sent = 0
        self.bytes_sent = 0  # payload octets, the SR octet count
        self.header_bytes_sent = 0
        self.retransmitted_packets_sent = 0
        self.retransmitted_bytes_sent = 0
        self.nack_count = 0
        self.pli_count = 0
        self.fir_count = 0
        self.reports_received = 0
        self.last_report: RtcpReceiverInfo | None = None
        self._rrtr: dict[int, tuple[int, float]] = {}  # receiver SSRC -> (LRR, arrival)

    # -- sending media -------------------------------------------------------------------

    def send_frame(
        self,
        payloads: Iterable[bytes],
        timestamp: int,
        now: float,
        *,
        keyframe: bool = False,
        audio_level: tuple[bool, int] | None = None,
    ) -> None:
        """Send the packetized payloads of one frame captured at RTP time ``timestamp``.

        Packets get consecutive sequence numbers, the marker bit on the last one (RFC 3550
        §5.1, the video profiles' end-of-frame meaning) and the negotiated extensions.
        ``keyframe`` counts the frame in ``keyFramesEncoded``; ``audio_level`` is
        ``(voice activity, -dBov)`` (RFC 6464).
        """
        if self.stopped:
            raise RtpSessionError(f"sender {self.ssrc} is stopped")
        payloads = list(payloads)
        timestamp &= 0xFFFFFFFF
        base = self._ext_media
        if audio_level is not None and self._audio_level_id is not None:
            base = {**base, self._audio_level_id: encode_audio_level(audio_level)}
        last = len(payloads) - 1
        history = self._history
        for index, payload in enumerate(payloads):
            seq = self.sequence_number
            self.sequence_number = (seq + 1) & 0xFFFF
            # kept with this transmission's timing values; a resend overwrites them
            extensions, number = self._stamp(base, now)
            packet = RtpPacket(
                self.payload_type,
                index == last,
                seq,
                timestamp,
                self.ssrc,
                payload,
                extensions=extensions,
            )
            size = self._transmit(packet, number, now)
            self.packets_sent += 1
            self.bytes_sent += len(payload)
            self.header_bytes_sent += size - len(payload)
            history[seq] = _Sent(packet, now)
        if payloads:
            self._forget(now)
            self.frames_sent += 1
            self.key_frames_sent += keyframe
            self._last_frame = (timestamp, now)
            self._start_reports(now)

    def _stamp(self, base: dict[int, bytes], now: float) -> tuple[dict[int, bytes], int | None]:
        """The extensions of one transmission: ``base`` plus the per-send timing values, and
        the transport-wide sequence number used (``None`` if not negotiated)."""
        if self._abs_send_time_id is None and self._transport_cc_id is None:
            return base, None
        ext = dict(base)
        if self._abs_send_time_id is not None:
            if self._abs_send_time[0] != now:
                self._abs_send_time = (now, abs_send_time_from_seconds(now).to_bytes(3, "big"))
            ext[self._abs_send_time_id] = self._abs_send_time[1]
        if self._transport_cc_id is None or self.transport_sequence is None:
            return ext, None
        number = self.transport_sequence.next()
        ext[self._transport_cc_id] = number.to_bytes(2, "big")
        return ext, number

    def _transmit(self, packet: RtpPacket, number: int | None, now: float) -> int:
        """Queue one packet; record its transport-wide number; return its size."""
        data = packet.serialize()
        self._outbox.append(data)
        if number is not None and self.transport_sequence is not None:
            self.transport_sequence.sent(number, now, len(data))
        return len(data)

    def _forget(self, now: float) -> None:
        """Drop history beyond ``history_packets`` and older than ``history_age``."""
        history = self._history
        while len(history) > self.history_packets:
            history.popitem(last=False)
        horizon = now - self.history_age
        while history and next(iter(history.values())).sent_at < horizon:
            history.popitem(last=False)

    @property
    def history_size(self) -> int:
        """Packets currently kept for retransmission."""
        return len(self._history)

    def _retransmit(self, seq: int, now: float) -> None:
        """Resend one packet from the history (RFC 4588 §4 with RTX, else as is)."""
        sent = self._history.get(seq)
        if sent is None or now - sent.sent_at > self.history_age:
            return
        rtt = self.round_trip_time if self.round_trip_time is not None else _DEFAULT_RTT
        if sent.retransmitted_at is not None and now - sent.retransmitted_at < rtt:
            return
        sent.retransmitted_at = now
        packet = sent.packet
        if self.rtx_ssrc is not None and self.rtx_payload_type is not None:
            rtx_seq = self.rtx_sequence_number
            self.rtx_sequence_number = (rtx_seq + 1) & 0xFFFF
            out = wrap_rtx(packet, self.rtx_payload_type, rtx_seq, self.rtx_ssrc)
            out.extensions, number = self._stamp(self._ext_rtx, now)
        else:
            extensions, number = self._stamp(packet.extensions, now)
            out = RtpPacket(
                packet.payload_type,
                packet.marker,
                packet.sequence_number,
                packet.timestamp,
                packet.ssrc,
                packet.payload,
                extensions=extensions,
            )
        self._transmit(out, number, now)
        self.retransmitted_packets_sent += 1
        self.retransmitted_bytes_sent += len(packet.payload)

    # -- RTCP ----------------------------------------------------------------------------

    def receive_rtcp(self, packet: RtcpPacket, now: float) -> None:
        """Handle one RTCP packet from the peer; packets not about this stream are ignored.

        NACK (RFC 4585 §6.2.1) -> retransmissions; PLI (§6.3.1) and FIR (RFC 5104 §4.3.1,
        a repeated command sequence number is not a new request) -> ``KeyframeRequested``;
        SR/RR report blocks about this SSRC -> ``ReceiverReportReceived`` with the RTT of
        RFC 3550 §6.4.1 (LSR/DLSR); an XR RRTR (RFC 3611 §4.4) is answered with a DLRR block
        in the next SR compound.
        """
        if isinstance(packet, RtcpNackPacket):
            if packet.media_ssrc == self.ssrc:
                self.nack_count += 1
                for seq in packet.lost:
                    self._retransmit(seq, now)
        elif isinstance(packet, RtcpPliPacket):
            if packet.media_ssrc == self.ssrc:
                self.pli_count += 1
                self._keyframe_request("pli", now)
        elif isinstance(packet, RtcpFirPacket):
            for entry in packet.entries:
                if entry.ssrc == self.ssrc and entry.sequence_number != self._last_fir_sequence:
                    self._last_fir_sequence = entry.sequence_number
                    self.fir_count += 1
                    self._keyframe_request("fir", now)
        elif isinstance(packet, RtcpSrPacket | RtcpRrPacket):
            for report in packet.reports:
                if report.ssrc == self.ssrc:
                    self._report(report, now)
        elif isinstance(packet, RtcpXrPacket):
            for block in packet.blocks:
                if isinstance(block, XrRrtrBlock) and (
                    packet.ssrc in self._rrtr or len(self._rrtr) < 32
                ):
                    self._rrtr[packet.ssrc] = (ntp_middle32(block.ntp_timestamp), now)

    def _keyframe_request(self, reason: str, now: float) -> None:
        if now - self._last_keyframe_request >= self.keyframe_request_interval:
            self._last_keyframe_request = now
            self._events.append(KeyframeRequested(self.ssrc, reason))

    def _report(self, report: RtcpReceiverInfo, now: float) -> None:
        self.reports_received += 1
        self.last_report = report
        rtt = self._measure_rtt(report.lsr, report.dlsr, now)
        self._events.append(
            ReceiverReportReceived(
                ssrc=self.ssrc,
                fraction_lost=report.fraction_lost / 256,
                packets_lost=report.packets_lost,
                highest_sequence=report.highest_sequence,
                jitter=report.jitter / self.clock_rate,
                round_trip_time=rtt,
            )
        )

    def _report_packets(self, now: float) -> list[RtcpPacket]:
        """SR (or an empty RR before the first packet, RFC 3550 §6.4) and SDES CNAME."""
        first: RtcpPacket
        if self._last_frame is not None:
            timestamp, at = self._last_frame
            rtp_now = (timestamp + round((now - at) * self.clock_rate)) & 0xFFFFFFFF
            info = RtcpSenderInfo(
                self.ntp(now), rtp_now, self.packets_sent & 0xFFFFFFFF, self.bytes_sent & 0xFFFFFFFF
            )
            first = RtcpSrPacket(self.ssrc, info)
        else:
            first = RtcpRrPacket(self.ssrc)
        sdes = self._sdes(self.ssrc)
        if not self._rrtr:
            return [first, sdes]
        dlrr = [
            DlrrReport(ssrc, lrr, delay_since(at, now)) for ssrc, (lrr, at) in self._rrtr.items()
        ]
        self._rrtr = {}
        return [first, sdes, RtcpXrPacket(self.ssrc, [XrDlrrBlock(dlrr)])]

    def stop(self, now: float, reason: bytes | None = None) -> None:
        """Leave the session: a last SR + SDES with BYE for the stream and its RTX stream."""
        if self.stopped:
            return
        self.stopped = True
        self._next_rtcp = None
        sources = [self.ssrc] if self.rtx_ssrc is None else [self.ssrc, self.rtx_ssrc]
        bye = RtcpByePacket(sources, reason)
        self._outbox.append(serialize_compound([*self._report_packets(now), bye]))

    # -- sans-I/O plumbing ----------------------------------------------------------------

    def get_timer(self) -> float | None:
        """When the next SR is due (``None`` before the first frame and after ``stop``)."""
        return self._next_rtcp

    def handle_timer(self, now: float) -> None:
        """Send the periodic SR + SDES compound (RFC 3550 §6.3.6) when it is due."""
        self._send_due_report(now)

    def stats(self) -> list[dict[str, Any]]:
        """W3C webrtc-stats ``outbound-rtp`` and, once a report arrived, ``remote-inbound-rtp``."""
        out: list[dict[str, Any]] = [
            {
                "type": "outbound-rtp",
                "ssrc": self.ssrc,
                "packetsSent": self.packets_sent,
                "bytesSent": self.bytes_sent,
                "headerBytesSent": self.header_bytes_sent,
                "framesSent": self.frames_sent,
                "keyFramesEncoded": self.key_frames_sent,
                "retransmittedPacketsSent": self.retransmitted_packets_sent,
                "retransmittedBytesSent": self.retransmitted_bytes_sent,
                "nackCount": self.nack_count,
                "pliCount": self.pli_count,
                "firCount": self.fir_count,
            }
        ]
        report = self.last_report
        if report is not None:
            out.append(
                {
                    "type": "remote-inbound-rtp",
                    "ssrc": self.ssrc,
                    "packetsLost": report.packets_lost,
                    "fractionLost": report.fraction_lost / 256,
                    "jitter": report.jitter / self.clock_rate,
                    "reportsReceived": self.reports_received,
                    **self._rtt_stats(),
                }
            )
        return out
