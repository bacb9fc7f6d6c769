"""Errors of the media codec layer (RTP payload formats and the jitter buffer)."""

from pyrtc.errors import Error, ParseError


class DepacketizeError(ParseError):
    """An RTP payload is malformed for its payload format (descriptor, NAL, OBU layout)."""


class PacketizeError(Error, ValueError):
    """A frame cannot be packetized: empty, malformed, or does not fit the packetization mode."""
