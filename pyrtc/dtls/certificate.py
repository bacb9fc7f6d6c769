"""Self-signed certificates and their SDP fingerprints (W3C WebRTC ``RTCCertificate``, RFC 8122).

WebRTC peers authenticate each other with self-signed certificates whose hash is exchanged in
the SDP ``a=fingerprint`` attribute; the DTLS handshake then checks the certificate the peer
presents against that hash (RFC 8122 §5, RFC 8827 §6.5).
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from pyrtc.dtls.errors import DtlsError

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

FINGERPRINT_ALGORITHMS = ("sha-256", "sha-384", "sha-512")
"""Hash functions offered by :meth:`RTCCertificate.getFingerprints` (RFC 8122 §5)."""

_HASHLIB_NAMES = {
    "sha-1": "sha1",
    "sha-224": "sha224",
    "sha-256": "sha256",
    "sha-384": "sha384",
    "sha-512": "sha512",
}


@dataclass(frozen=True)
class RTCDtlsFingerprint:
    """One SDP fingerprint: ``algorithm`` (``sha-256``...) and ``value`` (``AB:CD:...``)."""

    algorithm: str
    value: str


def certificate_fingerprint(der: bytes, algorithm: str) -> RTCDtlsFingerprint:
    """Fingerprint of a DER certificate in RFC 8122 §5 form: uppercase hex pairs joined by ':'."""
    name = _HASHLIB_NAMES.get(algorithm.lower())
    if name is None:
        raise DtlsError(f"unsupported fingerprint algorithm {algorithm!r}")
    return RTCDtlsFingerprint(algorithm.lower(), hashlib.new(name, der).digest().hex(":").upper())


def fingerprint_matches(der: bytes, expected: list[RTCDtlsFingerprint]) -> bool:
    """Whether ``der`` hashes to any of ``expected`` (unknown algorithms never match).

    Digests are compared in constant time so a forged certificate learns nothing from timing.
    """
    for fingerprint in expected:
        name = _HASHLIB_NAMES.get(fingerprint.algorithm.lower())
        if name is None:
            continue
        try:
            theirs = bytes.fromhex(fingerprint.value.replace(":", ""))
        except ValueError:
            continue
        if secrets.compare_digest(hashlib.new(name, der).digest(), theirs):
            return True
    return False


class RTCCertificate:
    """A private key and its self-signed X.509 certificate, as used by a DTLS endpoint."""

    def __init__(self, key: PrivateKey, cert: x509.Certificate) -> None:
        self._key = key
        self._cert = cert
        self._der = cert.public_bytes(serialization.Encoding.DER)
        self._fingerprints = [certificate_fingerprint(self._der, n) for n in FINGERPRINT_ALGORITHMS]

    @classmethod
    def generateCertificate(
        cls, key_type: Literal["ecdsa", "rsa"] = "ecdsa", *, lifetime_days: int = 30
    ) -> RTCCertificate:
        """Create a fresh self-signed certificate: ECDSA P-256 by default, or RSA-2048."""
        key: PrivateKey
        if key_type == "ecdsa":
            key = ec.generate_private_key(ec.SECP256R1())
        elif key_type == "rsa":
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            raise DtlsError(f"unsupported key type {key_type!r}")
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, secrets.token_hex(8))])
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=lifetime_days))
            .sign(key, hashes.SHA256())
        )
        return cls(key, cert)

    @property
    def expires(self) -> datetime.datetime:
        """The instant after which the certificate is no longer valid (UTC)."""
        return self._cert.not_valid_after_utc

    @property
    def private_key(self) -> PrivateKey:
        """The private key that signs our side of the handshake."""
        return self._key

    @property
    def x509(self) -> x509.Certificate:
        """The certificate as a ``cryptography`` object."""
        return self._cert

    @property
    def der(self) -> bytes:
        """The certificate in DER form, as sent in the DTLS Certificate message."""
        return self._der

    def getFingerprints(self) -> list[RTCDtlsFingerprint]:
        """The certificate's fingerprints with SHA-256, SHA-384 and SHA-512 (RFC 8122 §5)."""
        return list(self._fingerprints)
