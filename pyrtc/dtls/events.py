"""Events a :class:`~pyrtc.dtls.DtlsConnection` hands to the application."""

from __future__ import annotations

from dataclasses import dataclass

from pyrtc.dtls.keying import SrtpKeyingMaterial
from pyrtc.sansio import Event


@dataclass(frozen=True)
class HandshakeCompleted(Event):
    """The handshake finished; the peer proved it holds ``peer_certificate`` (DER).

    ``srtp_keys`` is set when use_srtp was negotiated (RFC 5764 §4.2), else ``None``.
    """

    peer_certificate: bytes
    cipher_suite: int
    srtp_profile: int | None
    srtp_keys: SrtpKeyingMaterial | None


@dataclass(frozen=True)
class ApplicationDataReceived(Event):
    """One authenticated application_data record from the peer."""

    data: bytes


@dataclass(frozen=True)
class ConnectionClosed(Event):
    """The connection was closed cleanly with close_notify (by either side)."""


@dataclass(frozen=True)
class ConnectionFailed(Event):
    """The connection failed: ``reason`` says why; ``alert`` is the alert code involved, if any.

    ``remote`` is True when the peer sent the fatal alert, False when we detected the failure.
    """

    reason: str
    alert: int | None
    remote: bool
