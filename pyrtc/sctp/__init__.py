"""SCTP over DTLS for WebRTC data channels (RFC 9260, RFC 8261, RFC 3758, RFC 6525), sans-I/O.

``Association`` is the protocol core; ``pyrtc.sctp.chunks`` is the packet codec.
"""

from pyrtc.sctp.association import Association, AssociationStats, SctpConfig, State
from pyrtc.sctp.chunks import Packet, parse_packet, serialize_packet
from pyrtc.sctp.errors import SctpError, SctpParseError
from pyrtc.sctp.events import (
    AssociationClosed,
    AssociationEstablished,
    BufferedAmountLow,
    MessageReceived,
    OutgoingStreamsReset,
    StreamsReset,
)

__all__ = [
    "Association",
    "AssociationClosed",
    "AssociationEstablished",
    "AssociationStats",
    "BufferedAmountLow",
    "MessageReceived",
    "OutgoingStreamsReset",
    "Packet",
    "SctpConfig",
    "SctpError",
    "SctpParseError",
    "State",
    "StreamsReset",
    "parse_packet",
    "serialize_packet",
]
