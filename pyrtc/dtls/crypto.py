"""Key schedule, key exchange and signatures of TLS 1.2 as used by DTLS 1.2.

The PRF is RFC 5246 §5 (P_hash over HMAC); the master secret is always the extended one of
RFC 7627 §4; the exporter is RFC 5705 §4. Every primitive comes from ``cryptography`` or
the standard library's HMAC; this module only arranges them.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, x25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from pyrtc.dtls.errors import AlertError
from pyrtc.dtls.messages import AlertDescription
from pyrtc.dtls.suites import Group, SignatureScheme

_EC_CURVES: dict[Group, ec.EllipticCurve] = {
    Group.SECP256R1: ec.SECP256R1(),
    Group.SECP384R1: ec.SECP384R1(),
}


def prf(hash_name: str, secret: bytes, label: bytes, seed: bytes, length: int) -> bytes:
    """TLS 1.2 PRF (RFC 5246 §5): P_hash(secret, label + seed) truncated to ``length``."""
    seed = label + seed
    out = bytearray()
    a = seed
    while len(out) < length:
        a = hmac.digest(secret, a, hash_name)
        out += hmac.digest(secret, a + seed, hash_name)
    return bytes(out[:length])


def extended_master_secret(hash_name: str, pre_master: bytes, session_hash: bytes) -> bytes:
    """Master secret bound to the handshake transcript (RFC 7627 §4)."""
    return prf(hash_name, pre_master, b"extended master secret", session_hash, 48)


def transcript_hash(hash_name: str, transcript: bytes) -> bytes:
    """Hash of the handshake messages so far, with the suite's PRF hash."""
    return hashlib.new(hash_name, transcript).digest()


def finished_verify_data(
    hash_name: str, master_secret: bytes, is_client: bool, transcript: bytes
) -> bytes:
    """The 12-byte ``verify_data`` of a Finished message (RFC 5246 §7.4.9)."""
    label = b"client finished" if is_client else b"server finished"
    return prf(hash_name, master_secret, label, transcript_hash(hash_name, transcript), 12)


def export_keying_material(
    hash_name: str,
    master_secret: bytes,
    label: str,
    client_random: bytes,
    server_random: bytes,
    length: int,
) -> bytes:
    """RFC 5705 §4 exporter without context, e.g. ``EXTRACTOR-dtls_srtp`` (RFC 5764 §4.2)."""
    return prf(hash_name, master_secret, label.encode(), client_random + server_random, length)


class KeyShare:
    """Our ephemeral ECDHE key for one handshake (RFC 8422 §5.4, §5.10; RFC 7748)."""

    def __init__(self, group: Group) -> None:
        self.group = group
        self._x25519: x25519.X25519PrivateKey | None = None
        self._ec: ec.EllipticCurvePrivateKey | None = None
        if group == Group.X25519:
            self._x25519 = x25519.X25519PrivateKey.generate()
            self.public = self._x25519.public_key().public_bytes_raw()
        else:
            self._ec = ec.generate_private_key(_EC_CURVES[group])
            self.public = self._ec.public_key().public_bytes(
                Encoding.X962, PublicFormat.UncompressedPoint
            )

    def exchange(self, peer_public: bytes) -> bytes:
        """The pre-master secret with the peer's public point; bad points raise an alert."""
        try:
            if self._x25519 is not None:
                peer = x25519.X25519PublicKey.from_public_bytes(peer_public)
                return self._x25519.exchange(peer)
            assert self._ec is not None
            peer_ec = ec.EllipticCurvePublicKey.from_encoded_point(
                _EC_CURVES[self.group], peer_public
            )
            return self._ec.exchange(ec.ECDH(), peer_ec)
        except ValueError as exc:
            raise AlertError(AlertDescription.ILLEGAL_PARAMETER, f"bad ECDHE share: {exc}") from exc


_SCHEME_HASHES: dict[SignatureScheme, hashes.HashAlgorithm] = {
    SignatureScheme.RSA_PKCS1_SHA256: hashes.SHA256(),
    SignatureScheme.ECDSA_SECP256R1_SHA256: hashes.SHA256(),
    SignatureScheme.ECDSA_SECP384R1_SHA384: hashes.SHA384(),
    SignatureScheme.RSA_PSS_RSAE_SHA256: hashes.SHA256(),
}
ECDSA_SCHEMES = (SignatureScheme.ECDSA_SECP256R1_SHA256, SignatureScheme.ECDSA_SECP384R1_SHA384)
_RSA_SCHEMES = (SignatureScheme.RSA_PSS_RSAE_SHA256, SignatureScheme.RSA_PKCS1_SHA256)

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def choose_signature_scheme(key: PrivateKey, offered: list[int]) -> SignatureScheme:
    """Our signature scheme for ``key`` among the peer's ``offered`` (RFC 5246 §7.4.1.4.1).

    ECDSA prefers the hash that matches the curve size; RSA prefers PSS. In TLS 1.2 the
    scheme names only the hash for ECDSA, so any offered ECDSA scheme works with any curve.
    """
    if isinstance(key, ec.EllipticCurvePrivateKey):
        preferred = (
            (SignatureScheme.ECDSA_SECP384R1_SHA384, SignatureScheme.ECDSA_SECP256R1_SHA256)
            if key.curve.key_size >= 384
            else ECDSA_SCHEMES
        )
    else:
        preferred = _RSA_SCHEMES
    for scheme in preferred:
        if scheme in offered:
            return scheme
    raise AlertError(AlertDescription.HANDSHAKE_FAILURE, "no common signature scheme")


def sign(key: PrivateKey, scheme: SignatureScheme, data: bytes) -> bytes:
    """Sign ``data`` with ``key`` under ``scheme`` (a digitally-signed struct, RFC 5246 §4.7)."""
    algorithm = _SCHEME_HASHES[scheme]
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(algorithm))
    if scheme == SignatureScheme.RSA_PSS_RSAE_SHA256:
        pss = padding.PSS(mgf=padding.MGF1(algorithm), salt_length=padding.PSS.DIGEST_LENGTH)
        return key.sign(data, pss, algorithm)
    return key.sign(data, padding.PKCS1v15(), algorithm)


def verify(public_key: object, scheme: int, data: bytes, signature: bytes) -> None:
    """Check the peer's signature; any mismatch or unusable key raises a fatal alert."""
    try:
        scheme = SignatureScheme(scheme)
    except ValueError:
        raise AlertError(
            AlertDescription.ILLEGAL_PARAMETER, f"unsupported signature scheme {scheme:#06x}"
        ) from None
    algorithm = _SCHEME_HASHES[scheme]
    try:
        if isinstance(public_key, ec.EllipticCurvePublicKey) and scheme in ECDSA_SCHEMES:
            public_key.verify(signature, data, ec.ECDSA(algorithm))
        elif (
            isinstance(public_key, rsa.RSAPublicKey)
            and scheme == SignatureScheme.RSA_PSS_RSAE_SHA256
        ):
            pss = padding.PSS(mgf=padding.MGF1(algorithm), salt_length=padding.PSS.AUTO)
            public_key.verify(signature, data, pss, algorithm)
        elif (
            isinstance(public_key, rsa.RSAPublicKey) and scheme == SignatureScheme.RSA_PKCS1_SHA256
        ):
            public_key.verify(signature, data, padding.PKCS1v15(), algorithm)
        else:
            raise AlertError(
                AlertDescription.ILLEGAL_PARAMETER,
                f"signature scheme {scheme.name} does not fit the peer's key",
            )
    except InvalidSignature:
        raise AlertError(AlertDescription.DECRYPT_ERROR, "bad signature") from None
