"""DTLS 1.2 (RFC 6347) for WebRTC: sans-I/O connection, DTLS-SRTP keying, certificates.

>>> from pyrtc.dtls import DtlsConnection, RTCCertificate
"""

from pyrtc.dtls.certificate import RTCCertificate, RTCDtlsFingerprint, certificate_fingerprint
from pyrtc.dtls.connection import DtlsConnection
from pyrtc.dtls.errors import DtlsError, DtlsParseError
from pyrtc.dtls.events import (
    ApplicationDataReceived,
    ConnectionClosed,
    ConnectionFailed,
    HandshakeCompleted,
)
from pyrtc.dtls.keying import SRTP_EXPORTER_LABEL, SrtpKeyingMaterial
from pyrtc.dtls.suites import CipherSuite, Group, SignatureScheme, SrtpProfile

__all__ = [
    "SRTP_EXPORTER_LABEL",
    "ApplicationDataReceived",
    "CipherSuite",
    "ConnectionClosed",
    "ConnectionFailed",
    "DtlsConnection",
    "DtlsError",
    "DtlsParseError",
    "Group",
    "HandshakeCompleted",
    "RTCCertificate",
    "RTCDtlsFingerprint",
    "SignatureScheme",
    "SrtpKeyingMaterial",
    "SrtpProfile",
    "certificate_fingerprint",
]
