"""Hostile and broken input: every failure is a typed event or a counted drop, never a crash."""

from __future__ import annotations

import os

import pytest
from dtls_testkit import cached_certificate, drain, make_pair, pump
from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc.dtls import (
    SRTP_EXPORTER_LABEL,
    ApplicationDataReceived,
    ConnectionFailed,
    DtlsConnection,
    DtlsError,
    HandshakeCompleted,
    RTCCertificate,
    RTCDtlsFingerprint,
)
from pyrtc.dtls.fragments import handshake_header, whole_message
from pyrtc.dtls.messages import (
    AlertDescription,
    ClientHello,
    ExtensionType,
    HandshakeType,
    HelloVerifyRequest,
    ServerHello,
)
from pyrtc.dtls.record import build_record, parse_records
from pyrtc.dtls.suites import CipherSuite


def run(client: DtlsConnection, server: DtlsConnection) -> tuple[list, list]:
    client.connect(0.0)
    pump(client, server, 0.0)
    return drain(client), drain(server)


def assert_dead(conn: DtlsConnection) -> None:
    """A failed connection keeps no usable state: no timer, no keys, no traffic."""
    conn.datagrams_to_send(1.0)  # the alert it may have queued
    assert conn.get_timer() is None and not conn.is_established
    with pytest.raises(DtlsError):
        conn.export_keying_material(SRTP_EXPORTER_LABEL, 60)
    with pytest.raises(DtlsError):
        conn.send(b"x")
    conn.receive(os.urandom(100), 1.0)
    assert conn.datagrams_to_send(1.0) == [] and conn.next_event() is None


def test_fingerprint_mismatch_fails_with_bad_certificate() -> None:
    stranger = cached_certificate("stranger")
    client, server = make_pair(client_remote_fingerprints=stranger.getFingerprints())
    client_events, server_events = run(client, server)
    (failure,) = client_events
    assert isinstance(failure, ConnectionFailed)
    assert failure.reason == "peer certificate does not match the remote fingerprint"
    assert failure.alert == AlertDescription.BAD_CERTIFICATE and not failure.remote
    assert server_events == [
        ConnectionFailed("peer sent fatal alert bad_certificate", 42, remote=True)
    ]
    assert_dead(client)
    assert_dead(server)


def test_server_checks_client_fingerprint() -> None:
    wrong = [RTCDtlsFingerprint("sha-256", "00:" * 31 + "00")]
    client, server = make_pair(server_remote_fingerprints=wrong)
    client_events, server_events = run(client, server)
    assert isinstance(server_events[0], ConnectionFailed)
    assert server_events[0].alert == AlertDescription.BAD_CERTIFICATE
    assert isinstance(client_events[0], ConnectionFailed) and client_events[0].remote


def test_bad_certificate_verify_signature() -> None:
    # A certificate whose private key is not the certified one: the signature cannot verify.
    honest = cached_certificate("client")
    impostor = RTCCertificate(cached_certificate("stranger").private_key, honest.x509)
    client, server = make_pair(client_certificate=impostor)
    _, server_events = run(client, server)
    (failure,) = server_events
    assert isinstance(failure, ConnectionFailed)
    assert failure.reason == "bad signature" and failure.alert == AlertDescription.DECRYPT_ERROR
    assert_dead(server)


def test_bad_server_key_exchange_signature() -> None:
    honest = cached_certificate("server")
    impostor = RTCCertificate(cached_certificate("stranger").private_key, honest.x509)
    client, server = make_pair(server_certificate=impostor)
    client_events, _ = run(client, server)
    assert isinstance(client_events[0], ConnectionFailed)
    assert client_events[0].reason == "bad signature"


@pytest.mark.parametrize("liar", ["client", "server"])
def test_bad_finished(liar: str) -> None:
    client, server = make_pair()
    cheater = client if liar == "client" else server
    honest = cheater._handshake._verify_data

    def lie(is_client: bool) -> bytes:  # wrong for what the cheater sends, right for checks
        return bytes(12) if is_client == (liar == "client") else honest(is_client)

    cheater._handshake._verify_data = lie  # type: ignore[method-assign]
    client_events, server_events = run(client, server)
    victim_events = server_events if liar == "client" else client_events
    assert (
        ConnectionFailed(
            "peer Finished does not verify", AlertDescription.DECRYPT_ERROR, remote=False
        )
        in victim_events
    )
    assert not any(isinstance(e, HandshakeCompleted) for e in victim_events)
    # The liar hears about it: the alert travels in the epoch the liar reads by then.
    liar_events = client_events if liar == "client" else server_events
    assert liar_events[-1] == ConnectionFailed(
        "peer sent fatal alert decrypt_error", AlertDescription.DECRYPT_ERROR, remote=True
    )


def established() -> tuple[DtlsConnection, DtlsConnection]:
    client, server = make_pair()
    run(client, server)
    assert client.is_established and server.is_established
    return client, server


def test_replayed_and_mangled_records_are_dropped_and_counted() -> None:
    client, server = established()
    client.send(b"once")
    (datagram,) = client.datagrams_to_send(1.0)
    server.receive(datagram, 1.0)
    server.receive(datagram, 1.1)  # replay
    mangled = bytearray(datagram)
    mangled[-3] ^= 0x40
    server.receive(bytes(mangled), 1.2)
    server.receive(datagram[:20], 1.3)  # torn record
    assert drain(server) == [ApplicationDataReceived(b"once")]
    assert server.dropped_records == 3
    # An alert or data in the clear after the handshake is ignored.
    server.receive(build_record(21, 0, 99, bytes([2, 40])), 1.4)
    server.receive(build_record(23, 0, 100, b"cleartext"), 1.5)
    assert drain(server) == [] and server.is_established
    assert server.dropped_records == 5


def test_unknown_epoch_and_version_dropped() -> None:
    _client, server = established()
    server.receive(build_record(23, 7, 0, os.urandom(40)), 1.0)
    server.receive(build_record(23, 1, 0, os.urandom(40), version=0x0303), 1.0)
    assert server.dropped_records == 2 and drain(server) == []


def test_oversized_handshake_length_is_dropped() -> None:
    server = DtlsConnection("server", cached_certificate("server"))
    header = handshake_header(1, 1 << 24 - 1, 0, 0, 10)
    server.receive(build_record(22, 0, 0, header + bytes(10)), 0.0)
    assert server.dropped_records == 1
    assert server.datagrams_to_send(0.0) == [] and server.next_event() is None
    assert server.get_timer() is None


def client_hello_of(client: DtlsConnection) -> ClientHello:
    client.connect(0.0)
    (datagram,) = client.datagrams_to_send(0.0)
    (record,) = parse_records(datagram)
    return ClientHello.parse(record.fragment[12:])


def test_client_hello_without_extended_master_secret_is_refused() -> None:
    client, server = make_pair()
    hello = client_hello_of(client)
    hello.extensions = [
        (t, d) for t, d in hello.extensions if t != ExtensionType.EXTENDED_MASTER_SECRET
    ]
    server.receive(build_record(22, 0, 0, whole_message(1, 0, hello.build())), 0.0)
    (failure,) = drain(server)
    assert isinstance(failure, ConnectionFailed)
    assert failure.alert == AlertDescription.HANDSHAKE_FAILURE
    ((alert,),) = [parse_records(d) for d in server.datagrams_to_send(0.0)]
    assert alert.content_type == 21 and alert.fragment == bytes([2, 40])


SERVER_HELLO_DEFECTS = {
    "version": (lambda sh: setattr(sh, "version", 0xFEFF), AlertDescription.PROTOCOL_VERSION),
    "suite": (lambda sh: setattr(sh, "cipher_suite", 0x002F), AlertDescription.ILLEGAL_PARAMETER),
    "no-ems": (
        lambda sh: setattr(sh, "extensions", [e for e in sh.extensions if e[0] != 23]),
        AlertDescription.HANDSHAKE_FAILURE,
    ),
    "unsolicited": (
        lambda sh: sh.extensions.append((ExtensionType.SUPPORTED_VERSIONS, b"\xfe\xfc")),
        AlertDescription.UNSUPPORTED_EXTENSION,
    ),
    "srtp": (
        lambda sh: sh.extensions.append((ExtensionType.USE_SRTP, b"\x00\x02\x00\x05\x00")),
        AlertDescription.ILLEGAL_PARAMETER,
    ),
}


@pytest.mark.parametrize("defect", list(SERVER_HELLO_DEFECTS))
def test_client_rejects_bad_server_hello(defect: str) -> None:
    mutate, alert = SERVER_HELLO_DEFECTS[defect]
    client, _ = make_pair(client_srtp_profiles=[1])
    client.connect(0.0)
    client.datagrams_to_send(0.0)
    hello = ServerHello(
        0xFEFD, os.urandom(32), b"", CipherSuite.ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, 0,
        [(ExtensionType.EXTENDED_MASTER_SECRET, b"")],
    )  # fmt: skip
    mutate(hello)
    client.receive(build_record(22, 0, 0, whole_message(2, 0, hello.build())), 0.1)
    (failure,) = drain(client)
    assert isinstance(failure, ConnectionFailed) and failure.alert == alert
    assert_dead(client)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=400))
def test_random_datagrams_never_raise(data: bytes) -> None:
    server = DtlsConnection("server", cached_certificate("server"))
    server.receive(data, 0.0)
    server.receive(b"\x16\xfe\xfd" + data, 0.0)
    for event in drain(server):
        assert isinstance(event, ConnectionFailed)


@settings(max_examples=150, deadline=None)
@given(position=st.integers(0, 10_000), value=st.integers(0, 255), cut=st.integers(0, 10_000))
def test_mutated_client_hello_never_raises(position: int, value: int, cut: int) -> None:
    client, server = make_pair()
    client.connect(0.0)
    (datagram,) = client.datagrams_to_send(0.0)
    mutated = bytearray(datagram)
    mutated[position % len(mutated)] = value
    server.receive(bytes(mutated[: max(13, cut % (len(mutated) + 1))]), 0.0)
    for event in drain(server):
        assert isinstance(event, ConnectionFailed)
    server.datagrams_to_send(0.0)


@settings(max_examples=60, deadline=None)
@given(position=st.integers(0, 10_000), value=st.integers(1, 255))
def test_mutated_server_flight_never_raises(position: int, value: int) -> None:
    client, server = make_pair()
    client.connect(0.0)
    for datagram in client.datagrams_to_send(0.0):
        server.receive(datagram, 0.0)
    flight = server.datagrams_to_send(0.0)
    mutated = bytearray(flight[0])
    mutated[position % len(mutated)] ^= value
    client.receive(bytes(mutated), 0.1)
    events = drain(client)
    assert all(isinstance(e, ConnectionFailed) for e in events)
    if not events:  # dropped or unaffected: the handshake still completes with the real flight
        for datagram in flight:
            client.receive(datagram, 0.2)
        pump(client, server, 0.3)
        assert client.is_established or any(isinstance(e, ConnectionFailed) for e in drain(client))


def test_renegotiation_is_refused_with_a_warning() -> None:
    client, server = established()
    # A HelloRequest from the server, properly protected in epoch 1 with a new message_seq.
    server._outgoing.append(
        server._protect(22, 1, whole_message(HandshakeType.HELLO_REQUEST, 9, b""))
    )
    for datagram in server.datagrams_to_send(1.0):
        client.receive(datagram, 1.0)
    (reply,) = client.datagrams_to_send(1.0)
    (record,) = parse_records(reply)
    assert record.content_type == 21 and record.epoch == 1
    protection = server._read[1]
    assert protection is not None
    assert protection.decrypt(record) == bytes([1, AlertDescription.NO_RENEGOTIATION])
    server.receive(reply, 1.1)  # a warning: both stay up
    assert client.is_established and server.is_established
    assert drain(client) == [] and drain(server) == []


@pytest.mark.parametrize("message_seq", [0xFFFA, 0xFFFB, 0xFFFF])
def test_client_hello_message_seq_near_the_16_bit_limit(message_seq: int) -> None:
    # The server numbers its flight (six messages up to its Finished) from the ClientHello's
    # message_seq, as a stateless cookie exchange requires. A forged message_seq above
    # 0xFFFA used to overflow the 16-bit field and raise struct.error out of receive().
    client, server = make_pair()
    client.connect(0.0)
    (datagram,) = client.datagrams_to_send(0.0)
    (record,) = parse_records(datagram)
    forged = whole_message(HandshakeType.CLIENT_HELLO, message_seq, record.fragment[12:])
    server.receive(build_record(22, 0, 0, forged), 0.0)
    events = drain(server)
    if message_seq == 0xFFFA:
        assert events == [] and server.datagrams_to_send(0.0)  # flight 4 numbered to 0xFFFE
        return
    (failed,) = events
    assert isinstance(failed, ConnectionFailed)
    assert failed.alert == AlertDescription.ILLEGAL_PARAMETER
    assert_dead(server)


def test_endless_hello_verify_requests_fail_cleanly() -> None:
    # Each HelloVerifyRequest makes the client send a new ClientHello with the next
    # message_seq; a peer sending ~65536 of them used to overflow the 16-bit field and raise
    # struct.error out of receive().
    client, _ = make_pair()
    client.connect(0.0)
    client.datagrams_to_send(0.0)
    body = HelloVerifyRequest(0xFEFF, b"c" * 20).build()

    def request(seq: int) -> bytes:
        return build_record(
            22, 0, seq, whole_message(HandshakeType.HELLO_VERIFY_REQUEST, seq, body)
        )

    hellos = []
    for seq in range(0x10000):
        client.receive(request(seq), 0.0)
        hellos += [
            d for d in client.datagrams_to_send(0.0) if parse_records(d)[0].content_type == 22
        ]
    # ClientHellos numbered 1 to 0xFFFB leave room for flight 5; then the client gives up.
    assert len(hellos) == 0xFFFB
    assert parse_records(hellos[-1])[0].fragment[4:6] == b"\xff\xfb"
    (failed,) = drain(client)
    assert isinstance(failed, ConnectionFailed)
    assert_dead(client)
