"""The SDP layer's error class."""

from __future__ import annotations

from pyrtc.errors import ParseError

__all__ = ["SdpError"]


class SdpError(ParseError):
    """A session description (or one of its lines or attribute values) is malformed.

    When raised by :meth:`pyrtc.sdp.SessionDescription.parse` it names the 1-based
    ``line_number`` and the offending ``line``; errors from parsing a lone attribute value
    carry only the ``reason``.
    """

    def __init__(self, reason: str, line_number: int | None = None, line: str | None = None):
        self.reason = reason
        self.line_number = line_number
        self.line = line
        if line_number is None:
            super().__init__(reason)
        else:
            super().__init__(f"line {line_number} {line!r}: {reason}")
