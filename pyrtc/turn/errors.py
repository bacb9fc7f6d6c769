"""Errors raised by the TURN layer."""

from __future__ import annotations

from pyrtc.errors import Error, ParseError


class TurnError(Error):
    """A TURN request failed: an error response, rejected credentials or no answer.

    ``code`` and ``reason`` come from the server's ERROR-CODE (RFC 8489 §14.8); ``code``
    is ``None`` when the failure was local (a timeout, a response missing an attribute).
    """

    def __init__(self, message: str, code: int | None = None, reason: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TurnError):
            return NotImplemented
        return (str(self), self.code, self.reason) == (str(other), other.code, other.reason)

    def __hash__(self) -> int:
        return hash((str(self), self.code, self.reason))


class TurnParseError(ParseError):
    """ChannelData or a TURN byte stream is malformed (RFC 8656 §12.5, RFC 8489 §6.2.2)."""
