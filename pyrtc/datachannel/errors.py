"""Errors raised by the data channel layer."""

from __future__ import annotations

from pyrtc.errors import Error, ParseError


class DataChannelError(Error):
    """A data channel operation is not possible (unknown channel, wrong state, id in use)."""


class DcepParseError(DataChannelError, ParseError):
    """A DCEP message is malformed (RFC 8832 §5)."""
