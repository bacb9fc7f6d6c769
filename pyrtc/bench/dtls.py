"""DTLS 1.2: full WebRTC handshake and application records, pyrtc against pyOpenSSL.

Both sides run in one process over memory: ECDHE-ECDSA-AES128-GCM-SHA256 with mutual
certificate authentication, use_srtp and a 60-byte DTLS-SRTP export. pyOpenSSL is driven
the way aiortc drives it (``DTLS_METHOD`` contexts, memory BIOs). Certificates and OpenSSL
contexts are made once; each handshake builds fresh connections on both sides.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from pyrtc.bench import Case
from pyrtc.dtls import (
    SRTP_EXPORTER_LABEL,
    CipherSuite,
    DtlsConnection,
    RTCCertificate,
    SrtpProfile,
)

RECORD_SIZE = 1200
RECORDS_PER_CALL = 100


def _pyrtc_pair(
    client_cert: RTCCertificate, server_cert: RTCCertificate
) -> tuple[DtlsConnection, DtlsConnection]:
    client = DtlsConnection(
        "client",
        client_cert,
        remote_fingerprints=server_cert.getFingerprints(),
        cipher_suites=[CipherSuite.ECDHE_ECDSA_WITH_AES_128_GCM_SHA256],
        srtp_profiles=[SrtpProfile.AES128_CM_HMAC_SHA1_80],
    )
    server = DtlsConnection(
        "server",
        server_cert,
        remote_fingerprints=client_cert.getFingerprints(),
        srtp_profiles=[SrtpProfile.AES128_CM_HMAC_SHA1_80],
    )
    client.connect(0.0)
    for _ in range(10):
        for src, dst in ((client, server), (server, client)):
            for datagram in src.datagrams_to_send(0.0):
                dst.receive(datagram, 0.0)
        if client.is_established and server.is_established:
            return client, server
    raise RuntimeError("pyrtc handshake did not complete")


def _pyrtc_cases() -> tuple[Callable[[], object], Callable[[], object]]:
    client_cert = RTCCertificate.generateCertificate()
    server_cert = RTCCertificate.generateCertificate()

    def handshake() -> object:
        client, server = _pyrtc_pair(client_cert, server_cert)
        client.export_keying_material(SRTP_EXPORTER_LABEL, 60)
        return server.export_keying_material(SRTP_EXPORTER_LABEL, 60)

    client, server = _pyrtc_pair(client_cert, server_cert)
    payload = os.urandom(RECORD_SIZE)

    def records() -> object:
        for _ in range(RECORDS_PER_CALL):
            client.send(payload)
            for datagram in client.datagrams_to_send(0.0):
                server.receive(datagram, 0.0)
            server.next_event()
        return None

    return handshake, records


def _pyopenssl_cases() -> tuple[Callable[[], object], Callable[[], object]] | None:
    try:
        from OpenSSL import SSL
    except ImportError:
        return None

    def context() -> SSL.Context:
        cert = RTCCertificate.generateCertificate()
        ctx = SSL.Context(SSL.DTLS_METHOD)
        ctx.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT, lambda *args: True)
        ctx.use_certificate(cert.x509)
        ctx.use_privatekey(cert.private_key)
        ctx.set_cipher_list(b"ECDHE-ECDSA-AES128-GCM-SHA256")
        ctx.set_tlsext_use_srtp(b"SRTP_AES128_CM_SHA1_80")
        return ctx

    client_ctx, server_ctx = context(), context()

    def move(src: SSL.Connection, dst: SSL.Connection) -> None:
        while True:
            try:
                data = src.bio_read(65536)
            except SSL.WantReadError:
                return
            dst.bio_write(data)

    def pair() -> tuple[SSL.Connection, SSL.Connection]:
        client = SSL.Connection(client_ctx, None)
        client.set_connect_state()
        server = SSL.Connection(server_ctx, None)
        server.set_accept_state()
        done = [False, False]
        for _ in range(10):
            for i, conn in enumerate((client, server)):
                if not done[i]:
                    try:
                        conn.do_handshake()
                        done[i] = True
                    except SSL.WantReadError:
                        pass
            move(client, server)
            move(server, client)
            if all(done):
                return client, server
        raise RuntimeError("pyOpenSSL handshake did not complete")

    def handshake() -> object:
        client, server = pair()
        client.export_keying_material(SRTP_EXPORTER_LABEL.encode(), 60)
        return server.export_keying_material(SRTP_EXPORTER_LABEL.encode(), 60)

    client, server = pair()
    payload = os.urandom(RECORD_SIZE)

    def records() -> object:
        for _ in range(RECORDS_PER_CALL):
            client.send(payload)
            move(client, server)
            server.recv(65536)
        return None

    return handshake, records


def cases() -> list[Case]:
    ours_handshake, ours_records = _pyrtc_cases()
    baseline = _pyopenssl_cases()
    return [
        Case(
            group="dtls",
            name="handshake ECDHE-ECDSA-AES128-GCM + use_srtp + export",
            ours=ours_handshake,
            baseline=baseline[0] if baseline else None,
            baseline_name="pyOpenSSL",
            target=0.5,
        ),
        Case(
            group="dtls",
            name="1200 B application record protect+unprotect",
            ours=ours_records,
            baseline=baseline[1] if baseline else None,
            baseline_name="pyOpenSSL",
            ops_per_call=RECORDS_PER_CALL,
            bytes_per_op=RECORD_SIZE,
        ),
    ]
