"""The package-wide error hierarchy.

Every layer raises subclasses of :class:`Error`; malformed input from the network is always
a :class:`ParseError` (for example ``pyrtc.stun.StunError``), never an ``IndexError`` or
``struct.error``. Callers that drop bad packets catch :class:`ParseError` and count it.
"""


class Error(Exception):
    """Root of every exception pyrtc raises on purpose."""


class ParseError(Error, ValueError):
    """Input bytes (a packet, a message, a line of SDP) are malformed."""
