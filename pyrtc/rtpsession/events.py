"""Events of the RTP sender, receiver and session cores (sans-I/O, see :mod:`pyrtc.sansio`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from pyrtc.media import Frame
from pyrtc.rtcp import RtcpTransportCcPacket
from pyrtc.sansio import Event

__all__ = [
    "BitrateEstimateReceived",
    "ByeReceived",
    "FrameReceived",
    "KeyframeRequested",
    "PacketFeedback",
    "ReceiverReportReceived",
    "SenderReportReceived",
    "TransportFeedbackReceived",
]


@dataclass(frozen=True)
class KeyframeRequested(Event):
    """The peer asked the sender of ``ssrc`` for a keyframe: encode the next frame as one.

    ``reason`` is ``"pli"`` (RFC 4585 §6.3.1) or ``"fir"`` (RFC 5104 §4.3.1).
    """

    ssrc: int
    reason: str


@dataclass(frozen=True)
class ReceiverReportReceived(Event):
    """A report block about our stream ``ssrc`` arrived (RFC 3550 §6.4.1).

    ``jitter`` is in seconds; ``round_trip_time`` is ``None`` while the peer has not yet
    received one of our SRs (LSR 0).
    """

    ssrc: int
    fraction_lost: float
    packets_lost: int
    highest_sequence: int
    jitter: float
    round_trip_time: float | None


@dataclass(frozen=True)
class SenderReportReceived(Event):
    """The remote sender of ``ssrc`` sent an SR: its NTP/RTP time mapping and counters."""

    ssrc: int
    ntp_timestamp: int
    rtp_timestamp: int
    packet_count: int
    octet_count: int


@dataclass(frozen=True)
class ByeReceived(Event):
    """The remote source ``ssrc`` left (RFC 3550 §6.6); ``reason`` as sent, if any."""

    ssrc: int
    reason: bytes | None


@dataclass(frozen=True)
class FrameReceived(Event):
    """The jitter buffer of the stream ``ssrc`` released a frame for decoding."""

    ssrc: int
    frame: Frame


class PacketFeedback(NamedTuple):
    """One packet of a transport-cc feedback matched with what was sent.

    ``send_time`` is on the local clock, ``receive_time`` on the peer's (seconds; only
    differences between receive times mean something), ``None`` if reported lost.
    """

    sequence_number: int
    send_time: float
    size: int
    receive_time: float | None


@dataclass(frozen=True)
class TransportFeedbackReceived(Event):
    """Transport-wide CC feedback arrived (draft-holmer-rmcat-transport-wide-cc-01 §3.1).

    ``packets`` are the reported packets this side remembers sending, in feedback order: the
    input of a delay-based bandwidth estimator.
    """

    feedback: RtcpTransportCcPacket
    packets: tuple[PacketFeedback, ...]


@dataclass(frozen=True)
class BitrateEstimateReceived(Event):
    """A REMB arrived (draft-alvestrand-rmcat-remb-03): ``bitrate`` in bit/s for ``ssrcs``."""

    bitrate: int
    ssrcs: tuple[int, ...]
