"""RTCCertificate generation, expiry and RFC 8122 fingerprints."""

from __future__ import annotations

import datetime
import hashlib
import re

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from dtls_testkit import cached_certificate

from pyrtc.dtls import DtlsError, RTCCertificate, RTCDtlsFingerprint, certificate_fingerprint
from pyrtc.dtls.certificate import fingerprint_matches


def test_default_is_ecdsa_p256_and_self_signed() -> None:
    cert = RTCCertificate.generateCertificate()
    assert isinstance(cert.private_key, ec.EllipticCurvePrivateKey)
    assert cert.private_key.curve.name == "secp256r1"
    assert cert.x509.issuer == cert.x509.subject
    cert.x509.verify_directly_issued_by(cert.x509)


def test_rsa_optional() -> None:
    cert = cached_certificate("rsa-client", "rsa")
    assert isinstance(cert.private_key, rsa.RSAPrivateKey)


def test_expiry_is_in_the_future() -> None:
    cert = RTCCertificate.generateCertificate(lifetime_days=2)
    now = datetime.datetime.now(datetime.UTC)
    assert now + datetime.timedelta(days=1) < cert.expires <= now + datetime.timedelta(days=2)


def test_fingerprints_format_rfc8122() -> None:
    cert = cached_certificate("client")
    fingerprints = cert.getFingerprints()
    assert [f.algorithm for f in fingerprints] == ["sha-256", "sha-384", "sha-512"]
    for fingerprint, name in zip(fingerprints, ["sha256", "sha384", "sha512"], strict=True):
        assert re.fullmatch(r"([0-9A-F]{2}:)+[0-9A-F]{2}", fingerprint.value)
        assert fingerprint.value.replace(":", "") == hashlib.new(name, cert.der).hexdigest().upper()


def test_fingerprint_matching() -> None:
    cert = cached_certificate("client")
    other = cached_certificate("server")
    sha256 = cert.getFingerprints()[0]
    assert fingerprint_matches(cert.der, [sha256])
    lower = RTCDtlsFingerprint("SHA-256", sha256.value.lower())
    assert fingerprint_matches(cert.der, [lower])
    assert not fingerprint_matches(other.der, [sha256])
    assert not fingerprint_matches(cert.der, [RTCDtlsFingerprint("md5", sha256.value)])
    assert not fingerprint_matches(cert.der, [])


def test_unknown_algorithm_and_key_type_are_errors() -> None:
    with pytest.raises(DtlsError):
        certificate_fingerprint(b"x", "md5")
    with pytest.raises(DtlsError):
        RTCCertificate.generateCertificate("dsa")  # type: ignore[arg-type]
