"""Events of the transport stack (:class:`pyrtc.pc.stack.TransportStack`).

Data-channel events (``pyrtc.datachannel.ChannelOpened`` ...) and the association events
(``pyrtc.sctp.AssociationEstablished`` / ``AssociationClosed``) are passed through unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyrtc.ice import Candidate
from pyrtc.sansio import Event


@dataclass(frozen=True)
class LocalCandidate(Event):
    """A local ICE candidate was gathered; ``None`` once gathering is complete."""

    candidate: Candidate | None


@dataclass(frozen=True)
class IceGatheringStateChanged(Event):
    """``RTCIceGatheringState``: ``new``, ``gathering`` or ``complete``."""

    state: str


@dataclass(frozen=True)
class IceStateChanged(Event):
    """``RTCIceTransportState`` of the ICE agent."""

    state: str


@dataclass(frozen=True)
class DtlsStateChanged(Event):
    """``RTCDtlsTransportState``: ``connecting``, ``connected``, ``closed`` or ``failed``;
    ``reason`` says why it failed."""

    state: str
    reason: str | None = None


@dataclass(frozen=True)
class MediaReceived(Event):
    """An SRTP or SRTCP packet (first byte 128-191, RFC 7983) arrived on the transport; the
    peer connection hands it to its :class:`~pyrtc.pc.media_controller.MediaController`."""

    data: bytes


@dataclass(frozen=True)
class ChannelFailed(Event):
    """The channel closes because the SCTP association failed or was aborted; comes right
    before its ``pyrtc.datachannel.ChannelClosed``."""

    channel_id: int
    reason: str
