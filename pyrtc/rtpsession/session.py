"""All RTP streams of one transport (BUNDLE group) as one sans-I/O core (RFC 3550, RFC 5761).

:class:`RtpSession` demultiplexes RTP from RTCP on the muxed transport (RFC 5761 §4), routes
RTP to the receiver of its SSRC (or RTX SSRC), routes each packet of an incoming compound RTCP
datagram to the sender or receiver whose SSRC it is about, records transport-wide sequence
numbers and sends transport-wide CC feedback, and passes the round-trip time measured by its
senders to the jitter buffers of receivers that measured none themselves (for NACK retry
timing).
"""

from __future__ import annotations

from collections import deque

from pyrtc.rtcp import (
    RtcpByePacket,
    RtcpFirPacket,
    RtcpNackPacket,
    RtcpPliPacket,
    RtcpRembPacket,
    RtcpRrPacket,
    RtcpSrPacket,
    RtcpTransportCcPacket,
    RtcpXrPacket,
    is_rtcp,
    parse_compound_partial,
    serialize_compound,
)
from pyrtc.rtp import TRANSPORT_CC, HeaderExtensionsMap, RtpPacket, RtpParseError
from pyrtc.rtpsession.events import (
    BitrateEstimateReceived,
    TransportFeedbackReceived,
)
from pyrtc.rtpsession.receiver import RtpReceiver
from pyrtc.rtpsession.sender import RtpSender, TransportSequence
from pyrtc.rtpsession.twcc import TwccRecorder
from pyrtc.sansio import Event

__all__ = ["RtpSession"]


class RtpSession:
    """A :class:`~pyrtc.sansio.ConnectionCore` over the senders and receivers of a transport.

    ``extensions`` is the header extension map negotiated for the transport; when it has
    transport-wide-cc, incoming packets are recorded and feedback is sent every
    ``twcc_interval`` seconds from ``feedback_ssrc`` (as reduced-size RTCP, RFC 5506), and
    :attr:`transport_sequence` is the counter to give to every
    :class:`~pyrtc.rtpsession.RtpSender` of the transport.
    Datagrams in and out are plain RTP/RTCP (SRTP is the caller's job). Malformed datagrams
    and packets for unknown SSRCs are counted in :attr:`malformed` and :attr:`unknown`.
    """

    def __init__(
        self,
        *,
        feedback_ssrc: int,
        extensions: HeaderExtensionsMap | None = None,
        twcc_interval: float = 0.1,
    ) -> None:
        self.feedback_ssrc = feedback_ssrc
        self.transport_sequence = TransportSequence()
        self._transport_cc_id = (extensions or HeaderExtensionsMap()).id_of(TRANSPORT_CC)
        self.twcc = (
            TwccRecorder(feedback_ssrc, interval=twcc_interval)
            if self._transport_cc_id is not None
            else None
        )
        self._twcc_timer: float | None = None
        self._senders: dict[int, RtpSender] = {}
        self._receivers: dict[int, RtpReceiver] = {}  # by media SSRC and by RTX SSRC
        self._receiver_list: list[RtpReceiver] = []
        self._outbox: list[bytes] = []
        self._events: deque[Event] = deque()
        self.malformed = 0
        self.unknown = 0

    @property
    def senders(self) -> list[RtpSender]:
        """The senders, in the order they were added."""
        return list(self._senders.values())

    @property
    def receivers(self) -> list[RtpReceiver]:
        """The receivers, in the order they were added."""
        return list(self._receiver_list)

    def add_sender(self, sender: RtpSender) -> None:
        """Route RTCP about ``sender.ssrc`` to ``sender`` and send what it sends."""
        self._senders[sender.ssrc] = sender

    def add_receiver(self, receiver: RtpReceiver) -> None:
        """Route RTP of ``receiver.ssrc`` (and its RTX SSRC) and RTCP about it to ``receiver``."""
        self._receivers[receiver.ssrc] = receiver
        self._receiver_list.append(receiver)
        if receiver.rtx_ssrc is not None:
            self._receivers[receiver.rtx_ssrc] = receiver

    def receive(self, data: bytes, now: float) -> None:
        """Take one RTP or RTCP datagram from the transport."""
        if is_rtcp(data):
            self._receive_rtcp(data, now)
            return
        try:
            packet = RtpPacket.parse(data)
        except RtpParseError:
            self.malformed += 1
            return
        if self.twcc is not None and self._transport_cc_id is not None:
            value = packet.extensions.get(self._transport_cc_id)
            if value is not None and len(value) == 2:
                self.twcc.record(int.from_bytes(value, "big"), now)
                if self._twcc_timer is None:
                    self._twcc_timer = now + self.twcc.interval
        receiver = self._receivers.get(packet.ssrc)
        if receiver is None:
            self.unknown += 1
            return
        receiver.receive(packet, now)

    def _receive_rtcp(self, data: bytes, now: float) -> None:
        """Route each packet of a compound (RFC 3550 §6.1) by the SSRC it is about."""
        packets, errors = parse_compound_partial(data)
        self.malformed += len(errors)
        senders, receivers = self._senders, self._receivers
        for packet in packets:
            if isinstance(packet, RtcpSrPacket | RtcpRrPacket):
                if isinstance(packet, RtcpSrPacket) and packet.ssrc in receivers:
                    receivers[packet.ssrc].receive_rtcp(packet, now)
                for ssrc in {report.ssrc for report in packet.reports}:
                    if ssrc in senders:
                        senders[ssrc].receive_rtcp(packet, now)
            elif isinstance(packet, RtcpNackPacket | RtcpPliPacket):
                if packet.media_ssrc in senders:
                    senders[packet.media_ssrc].receive_rtcp(packet, now)
            elif isinstance(packet, RtcpFirPacket):
                for ssrc in {entry.ssrc for entry in packet.entries}:
                    if ssrc in senders:
                        senders[ssrc].receive_rtcp(packet, now)
            elif isinstance(packet, RtcpByePacket):
                for ssrc in packet.sources:
                    if ssrc in receivers and receivers[ssrc].ssrc == ssrc:
                        receivers[ssrc].receive_rtcp(packet, now)
            elif isinstance(packet, RtcpXrPacket):
                # RRTR is for every sender, a DLRR for the receivers whose RRTR it answers
                for sender in senders.values():
                    sender.receive_rtcp(packet, now)
                if packet.ssrc in receivers:
                    receivers[packet.ssrc].receive_rtcp(packet, now)
            elif isinstance(packet, RtcpTransportCcPacket):
                matched = self.transport_sequence.match(packet)
                self._events.append(TransportFeedbackReceived(packet, matched))
            elif isinstance(packet, RtcpRembPacket):
                self._events.append(BitrateEstimateReceived(packet.bitrate, tuple(packet.ssrcs)))
        self._share_rtt()

    def _share_rtt(self) -> None:
        """Give the jitter buffer of each receiver that has no RTT of its own (no RFC 3611
        DLRR answer yet) the largest RTT the senders measured from SR/RR (RFC 3550 §6.4.1),
        the cautious choice for NACK retry timing. A receiver that measured one keeps it:
        :meth:`RtpReceiver.receive_rtcp` updates its buffer with every new measurement."""
        rtts = [s.round_trip_time for s in self._senders.values() if s.round_trip_time]
        if rtts:
            rtt = max(rtts)
            for receiver in self._receiver_list:
                if receiver.round_trip_time is None:
                    receiver.jitter_buffer.rtt = rtt

    def get_timer(self) -> float | None:
        """The earliest deadline of the transport-cc feedback and of every stream."""
        timers = [t for core in self._cores() if (t := core.get_timer()) is not None]
        if self._twcc_timer is not None:
            timers.append(self._twcc_timer)
        return min(timers) if timers else None

    def _cores(self) -> list[RtpSender | RtpReceiver]:
        return [*self._senders.values(), *self._receiver_list]

    def handle_timer(self, now: float) -> None:
        """Run every stream whose deadline passed, and send transport-cc feedback when due."""
        for core in self._cores():
            timer = core.get_timer()
            if timer is not None and timer <= now:
                core.handle_timer(now)
        if self._twcc_timer is not None and now >= self._twcc_timer and self.twcc is not None:
            media_ssrc = next(iter(self._receivers), 0)
            feedback = self.twcc.feedback(media_ssrc)
            self._outbox.extend(serialize_compound([packet]) for packet in feedback)
            self._twcc_timer = None

    def datagrams_to_send(self, now: float) -> list[bytes]:
        """Every RTP and RTCP datagram the streams and the session want sent, in order."""
        out, self._outbox = self._outbox, []
        for core in self._cores():
            out.extend(core.datagrams_to_send(now))
        return out

    def next_event(self) -> Event | None:
        """The next event of the session (transport feedback) or of any of its streams."""
        if self._events:
            return self._events.popleft()
        for core in self._cores():
            event = core.next_event()
            if event is not None:
                return event
        return None
