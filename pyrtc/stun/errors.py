"""Errors raised by the STUN layer."""

from __future__ import annotations

from pyrtc.errors import Error, ParseError


class StunError(ParseError):
    """A STUN message or attribute on the wire is malformed (RFC 8489 §5, §14)."""


class StunEncodeError(Error, ValueError):
    """A value the caller supplied is invalid for STUN (wrong type, out of range, too long)."""


class PrecisError(Error, ValueError):
    """A string is not valid under the PRECIS OpaqueString profile (RFC 8265 §4.2)."""
