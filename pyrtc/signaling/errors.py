"""Errors of the signaling layer, each carrying the protocol's error ``code``."""

from __future__ import annotations

from pyrtc.errors import Error, ParseError


class SignalingError(Error):
    """A signaling failure with a protocol error code (``"room-full"``, ``"token-expired"``...).

    ``close_code`` is the WebSocket close code that goes with it, or ``None`` when the
    error does not end the connection (``"unknown-peer"``).
    """

    def __init__(self, code: str, message: str, close_code: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.close_code = close_code


class SignalingParseError(SignalingError, ParseError):
    """A message is not valid JSON or violates the protocol schema (code ``bad-message``)."""


class AuthError(SignalingError):
    """A token was refused: ``token-invalid``, ``token-expired``, ``token-wrong-room`` or
    ``token-wrong-algorithm``."""


class ConfigError(Error):
    """The server or a token issuer was configured in an unsafe or inconsistent way."""
