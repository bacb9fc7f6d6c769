"""SRTP and SRTCP: RFC 3711 with the AES-GCM (RFC 7714) and AES-256 (RFC 6188) profiles.

The packet transforms run in native code over OpenSSL libcrypto. ``SrtpSession`` holds the
keys of one sender (protect) and/or one receiver (unprotect); ``dtls_srtp_sessions`` builds the
pair a DTLS-SRTP endpoint needs from its exported keying material.
"""

from pyrtc._native.srtp import (
    SrtpAuthError,
    SrtpError,
    SrtpParseError,
    SrtpReplayError,
    SrtpSession,
)
from pyrtc.srtp.dtls import dtls_srtp_sessions, split_keying_material
from pyrtc.srtp.profile import Profile

__all__ = [
    "Profile",
    "SrtpAuthError",
    "SrtpError",
    "SrtpParseError",
    "SrtpReplayError",
    "SrtpSession",
    "dtls_srtp_sessions",
    "split_keying_material",
]
