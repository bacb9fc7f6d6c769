"""In-memory interop with OpenSSL through pyOpenSSL (what aiortc uses), both roles."""

from __future__ import annotations

import contextlib
import time
from typing import Any

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


def openssl_peer(role: str, suite: CipherSuite) -> Any:
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


def handshake(ours: DtlsConnection, theirs: Any) -> bool:
    """Pump datagrams both ways until both sides are up (False after 5 s). OpenSSL's
    retransmission timer runs on the real clock, so ours is fed real elapsed time too."""
    start = time.monotonic()
    openssl_done = False
    while time.monotonic() - start < 5.0:
        now = time.monotonic() - start
        if not openssl_done:
            try:
                theirs.do_handshake()
                openssl_done = True
            except SSL.WantReadError:
                pass
        else:
            with contextlib.suppress(SSL.WantReadError):
                theirs.recv(100)  # lets a finished OpenSSL see retransmissions
        timeout = theirs.DTLSv1_get_timeout()
        if timeout is not None and timeout <= 0:
            theirs.DTLSv1_handle_timeout()
        while True:
            try:
                datagram = theirs.bio_read(65536)
            except SSL.WantReadError:
                break
            ours.receive(datagram, now)
        timer = ours.get_timer()
        if timer is not None and now >= timer:
            ours.handle_timer(now)
        for datagram in ours.datagrams_to_send(now):
            theirs.bio_write(datagram)
        if openssl_done and ours.is_established:
            return True
        time.sleep(0.005)
    return False


@pytest.mark.parametrize("mtu", [256, 576, 1200])
@pytest.mark.parametrize("suite", list(OPENSSL_NAMES), ids=lambda s: s.name)
@pytest.mark.parametrize("our_role", ["client", "server"])
def test_small_mtus_both_sides(mtu: int, suite: CipherSuite, our_role: str) -> None:
    theirs = openssl_peer("server" if our_role == "client" else "client", suite)
    theirs.set_ciphertext_mtu(mtu)
    ours = DtlsConnection(
        our_role,  # type: ignore[arg-type]
        cached_certificate("client"),
        remote_fingerprints=cached_certificate("openssl").getFingerprints(),
        mtu=mtu,
    )
    if our_role == "client":
        ours.connect(0.0)
    sent: list[bytes] = []
    original = ours.datagrams_to_send

    def record(now: float) -> list[bytes]:
        out = original(now)
        sent.extend(out)
        return out

    ours.datagrams_to_send = record  # type: ignore[method-assign]
    assert handshake(ours, theirs)
    assert max(len(d) for d in sent) <= mtu
    assert ours.export_keying_material(SRTP_EXPORTER_LABEL, 56) == theirs.export_keying_material(
        SRTP_EXPORTER_LABEL.encode(), 56
    )


def test_openssl_server_with_cookie_exchange() -> None:
    cert = cached_certificate("openssl")
    ctx = SSL.Context(SSL.DTLS_METHOD)
    ctx.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT, lambda *args: True)
    ctx.use_certificate(cert.x509)
    ctx.use_privatekey(cert.private_key)
    ctx.set_tlsext_use_srtp(b"SRTP_AEAD_AES_128_GCM")
    ctx.set_options(SSL.OP_COOKIE_EXCHANGE)
    ctx.set_cookie_generate_callback(lambda conn: b"cookie-0123456789")
    ctx.set_cookie_verify_callback(lambda conn, cookie: cookie == b"cookie-0123456789")
    theirs = SSL.Connection(ctx, None)
    theirs.set_accept_state()
    ours = DtlsConnection(
        "client", cached_certificate("client"), remote_fingerprints=cert.getFingerprints()
    )
    ours.connect(0.0)
    assert handshake(ours, theirs)
    assert ours.srtp_keying_material() is not None


def test_openssl_client_recovers_our_lost_final_flight() -> None:
    # Our final flight (ChangeCipherSpec + Finished) is lost: OpenSSL retransmits its flight 5
    # after its 1 s timer and we must answer with our final flight again (RFC 6347 §4.2.4).
    suite = CipherSuite.ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
    theirs = openssl_peer("client", suite)
    ours = DtlsConnection(
        "server",
        cached_certificate("client"),
        remote_fingerprints=cached_certificate("openssl").getFingerprints(),
    )
    lost: list[bytes] = []
    original = ours.datagrams_to_send

    def lose_final_flight(now: float) -> list[bytes]:
        out = original(now)
        if ours.is_established and not lost:
            lost.extend(out)
            return []
        return out

    ours.datagrams_to_send = lose_final_flight  # type: ignore[method-assign]
    assert handshake(ours, theirs)
    assert lost
    theirs.send(b"after recovery")
    ours.receive(theirs.bio_read(65536), 9.0)
    events = [ours.next_event(), ours.next_event()]
    assert events[1] == ApplicationDataReceived(b"after recovery")
