"""Helpers shared by the DTLS tests: cached certificates and a lossless in-memory link.

``conftest.py`` puts this directory on ``sys.path`` (the suite runs in importlib mode).
"""

from __future__ import annotations

import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pyrtc.dtls import DtlsConnection, RTCCertificate
from pyrtc.sansio import Event

_CERTS: dict[str, RTCCertificate] = {}


def cached_certificate(name: str, key_type: str = "ecdsa") -> RTCCertificate:
    """One certificate per name for the whole run (RSA key generation is slow)."""
    if name not in _CERTS:
        _CERTS[name] = RTCCertificate.generateCertificate(key_type)  # type: ignore[arg-type]
    return _CERTS[name]


def p384_certificate(name: str) -> RTCCertificate:
    """A self-signed ECDSA P-384 certificate (generateCertificate only makes P-256 or RSA)."""
    if name not in _CERTS:
        key = ec.generate_private_key(ec.SECP384R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(1)
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA384())
        )
        _CERTS[name] = RTCCertificate(key, cert)
    return _CERTS[name]


def drain(conn: DtlsConnection) -> list[Event]:
    events = []
    while (event := conn.next_event()) is not None:
        events.append(event)
    return events


def pump(a: DtlsConnection, b: DtlsConnection, now: float, rounds: int = 50) -> None:
    """Deliver datagrams back and forth at time ``now`` until both sides are quiet."""
    for _ in range(rounds):
        moved = False
        for src, dst in ((a, b), (b, a)):
            for datagram in src.datagrams_to_send(now):
                moved = True
                dst.receive(datagram, now)
        if not moved:
            return


def make_pair(**kwargs: Any) -> tuple[DtlsConnection, DtlsConnection]:
    """A client and a server that check each other's fingerprints; kwargs go to both,
    ``client_*`` / ``server_*`` prefixed kwargs to one side."""
    client_cert = kwargs.pop("client_certificate", cached_certificate("client"))
    server_cert = kwargs.pop("server_certificate", cached_certificate("server"))
    client_kw = {k[7:]: v for k, v in kwargs.items() if k.startswith("client_")}
    server_kw = {k[7:]: v for k, v in kwargs.items() if k.startswith("server_")}
    common = {k: v for k, v in kwargs.items() if not k.startswith(("client_", "server_"))}
    client = DtlsConnection(
        "client",
        client_cert,
        **{"remote_fingerprints": server_cert.getFingerprints(), **common, **client_kw},
    )
    server = DtlsConnection(
        "server",
        server_cert,
        **{"remote_fingerprints": client_cert.getFingerprints(), **common, **server_kw},
    )
    return client, server
