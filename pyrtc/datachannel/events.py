"""Events a :class:`~pyrtc.datachannel.DataChannelManager` reports.

Association-level events (``pyrtc.sctp.AssociationEstablished`` and
``pyrtc.sctp.AssociationClosed``) are passed through unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyrtc.sansio import Event


@dataclass(frozen=True)
class ChannelParameters:
    """What defines a channel (RFC 8831 §6.4, W3C RTCDataChannelInit)."""

    label: str = ""
    protocol: str = ""
    ordered: bool = True
    max_retransmits: int | None = None
    max_packet_life_time: int | None = None
    """Milliseconds."""
    priority: int = 256
    negotiated: bool = False


@dataclass(frozen=True)
class ChannelOpened(Event):
    """A channel can carry messages; ``remote`` when the peer opened it with DCEP."""

    channel_id: int
    parameters: ChannelParameters
    remote: bool


@dataclass(frozen=True)
class ChannelMessage(Event):
    """A message on a channel: ``str`` for string PPIDs, ``bytes`` for binary ones."""

    channel_id: int
    data: str | bytes


@dataclass(frozen=True)
class ChannelClosed(Event):
    """Both directions of the channel's stream were reset (RFC 8831 §6.7), or the
    association ended."""

    channel_id: int


@dataclass(frozen=True)
class ChannelBufferedAmountLow(Event):
    """The channel's unsent bytes fell to its low threshold."""

    channel_id: int
