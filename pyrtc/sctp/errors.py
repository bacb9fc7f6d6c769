"""Errors raised by the SCTP layer."""

from __future__ import annotations

from pyrtc.errors import Error, ParseError


class SctpError(Error):
    """An SCTP operation cannot be performed (wrong state, message too large, closed stream)."""


class SctpParseError(SctpError, ParseError):
    """An SCTP packet, chunk or parameter is malformed (RFC 9260 §3)."""
