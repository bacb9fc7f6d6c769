"""Cipher suites, groups, signature schemes and SRTP profiles this DTLS 1.2 stack speaks.

Numbers come from the IANA TLS registries; the suites are the AEAD ECDHE suites of RFC 5289
and RFC 7905, the SRTP profiles those of RFC 5764 §4.1.2 and RFC 7714 §14.2.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Literal

from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305


class CipherSuite(IntEnum):
    """TLS cipher suite numbers (IANA "TLS Cipher Suites")."""

    ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 = 0xC02B
    ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 = 0xC02C
    ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 = 0xCCA9
    ECDHE_RSA_WITH_AES_128_GCM_SHA256 = 0xC02F


class Group(IntEnum):
    """Named groups for ECDHE (RFC 8422 §5.1.1, RFC 7748)."""

    SECP256R1 = 23
    SECP384R1 = 24
    X25519 = 29


class SignatureScheme(IntEnum):
    """Signature schemes (RFC 8446 §4.2.3 numbering, as used by TLS 1.2 in practice)."""

    RSA_PKCS1_SHA256 = 0x0401
    ECDSA_SECP256R1_SHA256 = 0x0403
    ECDSA_SECP384R1_SHA384 = 0x0503
    RSA_PSS_RSAE_SHA256 = 0x0804


class SrtpProfile(IntEnum):
    """DTLS-SRTP protection profiles (RFC 5764 §4.1.2, RFC 7714 §14.2)."""

    AES128_CM_HMAC_SHA1_80 = 0x0001
    AES128_CM_HMAC_SHA1_32 = 0x0002
    AEAD_AES_128_GCM = 0x0007
    AEAD_AES_256_GCM = 0x0008


SRTP_KEY_SALT_LENGTHS: dict[SrtpProfile, tuple[int, int]] = {
    SrtpProfile.AES128_CM_HMAC_SHA1_80: (16, 14),
    SrtpProfile.AES128_CM_HMAC_SHA1_32: (16, 14),
    SrtpProfile.AEAD_AES_128_GCM: (16, 12),
    SrtpProfile.AEAD_AES_256_GCM: (32, 12),
}
"""Master key and master salt lengths of each SRTP profile."""


@dataclass(frozen=True)
class SuiteParams:
    """What the record layer and key schedule need to know about a cipher suite.

    ``fixed_iv_length`` is the implicit part of the nonce taken from the key block;
    ``explicit_nonce_length`` is the per-record nonce carried on the wire (8 for AES-GCM,
    RFC 5288 §3; 0 for ChaCha20-Poly1305, RFC 7905 §2).
    """

    key_length: int
    fixed_iv_length: int
    explicit_nonce_length: int
    prf_hash: Literal["sha256", "sha384"]
    aead: type[AESGCM] | type[ChaCha20Poly1305]
    authentication: Literal["ecdsa", "rsa"]


SUITES: dict[CipherSuite, SuiteParams] = {
    CipherSuite.ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: SuiteParams(
        16, 4, 8, "sha256", AESGCM, "ecdsa"
    ),
    CipherSuite.ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: SuiteParams(
        32, 4, 8, "sha384", AESGCM, "ecdsa"
    ),
    CipherSuite.ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: SuiteParams(
        32, 12, 0, "sha256", ChaCha20Poly1305, "ecdsa"
    ),
    CipherSuite.ECDHE_RSA_WITH_AES_128_GCM_SHA256: SuiteParams(16, 4, 8, "sha256", AESGCM, "rsa"),
}

DEFAULT_CIPHER_SUITES = tuple(SUITES)
DEFAULT_GROUPS = (Group.X25519, Group.SECP256R1, Group.SECP384R1)
DEFAULT_SIGNATURE_SCHEMES = (
    SignatureScheme.ECDSA_SECP256R1_SHA256,
    SignatureScheme.ECDSA_SECP384R1_SHA384,
    SignatureScheme.RSA_PSS_RSAE_SHA256,
    SignatureScheme.RSA_PKCS1_SHA256,
)
DEFAULT_SRTP_PROFILES = (
    SrtpProfile.AEAD_AES_128_GCM,
    SrtpProfile.AES128_CM_HMAC_SHA1_80,
    SrtpProfile.AEAD_AES_256_GCM,
    SrtpProfile.AES128_CM_HMAC_SHA1_32,
)
