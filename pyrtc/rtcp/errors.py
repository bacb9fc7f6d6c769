"""The error raised for malformed RTCP input."""

from __future__ import annotations

from pyrtc.errors import ParseError


class RtcpError(ParseError):
    """An RTCP packet or compound packet is malformed.

    ``offset`` is the byte offset, inside the compound packet, of the RTCP packet that failed
    to parse (``None`` when the error was raised outside a compound parse).
    """

    def __init__(self, message: str, offset: int | None = None) -> None:
        super().__init__(message if offset is None else f"at offset {offset}: {message}")
        self.offset = offset
