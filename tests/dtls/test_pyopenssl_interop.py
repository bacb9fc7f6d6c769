"""In-memory interop with OpenSSL through pyOpenSSL (what aiortc uses), both roles."""

from __future__ import annotations

import pytest
from dtls_testkit import cached_certificate

from pyrtc.dtls import (
    SRTP_EXPORTER_LABEL,
    ApplicationDataReceived,
    CipherSuite,
    DtlsConnection,
    HandshakeCompleted,
)

SSL = pytest.importorskip("OpenSSL.SSL")

OPENSSL_NAMES = {
    CipherSuite.ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: b"ECDHE-ECDSA-AES128-GCM-SHA256",
    CipherSuite.ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: b"ECDHE-ECDSA-AES256-GCM-SHA384",
    CipherSuite.ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: b"ECDHE-ECDSA-CHACHA20-POLY1305",
}


def openssl_peer(role: str, suite: CipherSuite) -> object:
    cert = cached_certificate("openssl")
    ctx = SSL.Context(SSL.DTLS_METHOD)
    ctx.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT, lambda *args: True)
    ctx.use_certificate(cert.x509)
    ctx.use_privatekey(cert.private_key)
    ctx.set_cipher_list(OPENSSL_NAMES[suite])
    ctx.set_tlsext_use_srtp(b"SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80")
    conn = SSL.Connection(ctx, None)
    if role == "client":
        conn.set_connect_state()
    else:
        conn.set_accept_state()
    return conn


@pytest.mark.parametrize("suite", list(OPENSSL_NAMES), ids=lambda s: s.name)
@pytest.mark.parametrize("our_role", ["client", "server"])
def test_pyrtc_and_pyopenssl(suite: CipherSuite, our_role: str) -> None:
    theirs = openssl_peer("server" if our_role == "client" else "client", suite)
    ours = DtlsConnection(
        our_role,  # type: ignore[arg-type]
        cached_certificate("client"),
        remote_fingerprints=cached_certificate("openssl").getFingerprints(),
    )
    if our_role == "client":
        ours.connect(0.0)
    openssl_done = False
    for step in range(20):
        if not openssl_done:
            try:
                theirs.do_handshake()
                openssl_done = True
            except SSL.WantReadError:
                pass
        while True:
            try:
                ours.receive(theirs.bio_read(65536), step * 0.01)
            except SSL.WantReadError:
                break
        for datagram in ours.datagrams_to_send(step * 0.01):
            theirs.bio_write(datagram)
        if openssl_done and ours.is_established:
            break
    done = ours.next_event()
    assert isinstance(done, HandshakeCompleted) and done.cipher_suite == suite
    assert done.srtp_profile == 0x0007
    assert theirs.get_selected_srtp_profile() == b"SRTP_AEAD_AES_128_GCM"
    assert ours.export_keying_material(SRTP_EXPORTER_LABEL, 56) == theirs.export_keying_material(
        SRTP_EXPORTER_LABEL.encode(), 56
    )
    ours.send(b"to openssl")
    for datagram in ours.datagrams_to_send(1.0):
        theirs.bio_write(datagram)
    assert theirs.recv(100) == b"to openssl"
    theirs.send(b"to pyrtc")
    ours.receive(theirs.bio_read(65536), 1.0)
    assert ours.next_event() == ApplicationDataReceived(b"to pyrtc")
