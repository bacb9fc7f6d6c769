"""Errors raised by :mod:`pyrtc.dtls`.

Malformed records and handshake messages raise :class:`DtlsParseError` inside the core; the
connection turns them into a silent drop (records) or a fatal alert (handshake messages), so
:meth:`pyrtc.dtls.DtlsConnection.receive` itself never raises.
"""

from __future__ import annotations

from pyrtc.errors import Error, ParseError


class DtlsError(Error):
    """Any DTLS failure: protocol violation, bad signature, fingerprint mismatch, misuse."""


class DtlsParseError(DtlsError, ParseError):
    """A DTLS record or handshake message is malformed (RFC 6347 §4.1, §4.2.2)."""


class AlertError(DtlsError):
    """A handshake failure that must be reported to the peer with a fatal alert (RFC 5246 §7.2).

    ``description`` is the alert code sent to the peer; the message is the local reason.
    """

    def __init__(self, description: int, reason: str) -> None:
        super().__init__(reason)
        self.description = description
        self.reason = reason
