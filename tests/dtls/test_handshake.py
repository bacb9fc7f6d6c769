"""pyrtc <-> pyrtc handshakes over a perfect in-memory link."""

from __future__ import annotations

import io

import pytest
from dtls_testkit import cached_certificate, drain, make_pair, p384_certificate, pump

from pyrtc.dtls import (
    SRTP_EXPORTER_LABEL,
    ApplicationDataReceived,
    CipherSuite,
    ConnectionClosed,
    ConnectionFailed,
    DtlsConnection,
    DtlsError,
    HandshakeCompleted,
    SignatureScheme,
    SrtpProfile,
)
from pyrtc.dtls.messages import ServerKeyExchange
from pyrtc.dtls.record import parse_records


def handshake(client: DtlsConnection, server: DtlsConnection) -> tuple[list, list]:
    client.connect(0.0)
    pump(client, server, 0.0)
    return drain(client), drain(server)


ECDSA_SUITES = [s for s in CipherSuite if s != CipherSuite.ECDHE_RSA_WITH_AES_128_GCM_SHA256]


@pytest.mark.parametrize("suite", ECDSA_SUITES, ids=lambda s: s.name)
@pytest.mark.parametrize("hello_verify", [False, True], ids=["no-cookie", "cookie"])
def test_handshake_each_suite(suite: CipherSuite, hello_verify: bool) -> None:
    client, server = make_pair(cipher_suites=[suite], server_hello_verify=hello_verify)
    client_events, server_events = handshake(client, server)
    assert len(client_events) == 1 and len(server_events) == 1
    done_c, done_s = client_events[0], server_events[0]
    assert isinstance(done_c, HandshakeCompleted) and isinstance(done_s, HandshakeCompleted)
    assert done_c.cipher_suite == done_s.cipher_suite == suite
    assert done_c.peer_certificate == cached_certificate("server").der
    assert done_s.peer_certificate == cached_certificate("client").der
    assert client.is_established and server.is_established
    assert client.dropped_records == server.dropped_records == 0

    client.send(b"ping")
    pump(client, server, 0.1)
    server.send(b"pong" * 300)
    pump(client, server, 0.2)
    assert drain(server) == [ApplicationDataReceived(b"ping")]
    assert drain(client) == [ApplicationDataReceived(b"pong" * 300)]


def test_rsa_server_and_client_certificates() -> None:
    client, server = make_pair(
        client_certificate=cached_certificate("rsa-client", "rsa"),
        server_certificate=cached_certificate("rsa-server", "rsa"),
    )
    client_events, server_events = handshake(client, server)
    assert isinstance(client_events[0], HandshakeCompleted)
    assert client_events[0].cipher_suite == CipherSuite.ECDHE_RSA_WITH_AES_128_GCM_SHA256
    assert isinstance(server_events[0], HandshakeCompleted)


@pytest.mark.parametrize("profile", list(SrtpProfile), ids=lambda p: p.name)
def test_srtp_profile_and_keys(profile: SrtpProfile) -> None:
    client, server = make_pair(client_srtp_profiles=[profile])
    (done_c,), (done_s,) = handshake(client, server)
    assert done_c.srtp_profile == done_s.srtp_profile == profile
    keys_c, keys_s = done_c.srtp_keys, done_s.srtp_keys
    assert keys_c is not None and keys_s is not None
    key_len = 32 if profile == SrtpProfile.AEAD_AES_256_GCM else 16
    salt_len = 14 if profile in (1, 2) else 12
    material = client.export_keying_material(SRTP_EXPORTER_LABEL, 2 * (key_len + salt_len))
    assert material == server.export_keying_material(SRTP_EXPORTER_LABEL, len(material))
    # RFC 5764 §4.2: client key | server key | client salt | server salt
    assert keys_c.client_master_key == material[:key_len]
    assert keys_c.server_master_key == material[key_len : 2 * key_len]
    assert keys_c.client_master_salt == material[2 * key_len : 2 * key_len + salt_len]
    assert keys_c.server_master_salt == material[2 * key_len + salt_len :]
    assert keys_c.local_master_key == keys_s.remote_master_key == keys_c.client_master_key
    assert keys_s.local_master_salt == keys_c.remote_master_salt == keys_c.server_master_salt


def test_server_srtp_preference_wins() -> None:
    client, server = make_pair(
        client_srtp_profiles=[SrtpProfile.AES128_CM_HMAC_SHA1_80, SrtpProfile.AEAD_AES_256_GCM],
        server_srtp_profiles=[SrtpProfile.AEAD_AES_256_GCM, SrtpProfile.AES128_CM_HMAC_SHA1_80],
    )
    (done_c,), _ = handshake(client, server)
    assert done_c.srtp_profile == SrtpProfile.AEAD_AES_256_GCM


def test_no_common_srtp_profile_means_no_srtp() -> None:
    client, server = make_pair(
        client_srtp_profiles=[SrtpProfile.AES128_CM_HMAC_SHA1_32],
        server_srtp_profiles=[SrtpProfile.AEAD_AES_128_GCM],
    )
    (done_c,), (done_s,) = handshake(client, server)
    assert done_c.srtp_profile is None and done_c.srtp_keys is None
    assert done_s.srtp_profile is None and server.srtp_keying_material() is None


def test_key_log_lines_match_on_both_sides() -> None:
    client_log, server_log = io.StringIO(), io.StringIO()
    client, server = make_pair(client_key_log=client_log, server_key_log=server_log)
    handshake(client, server)
    line = client_log.getvalue()
    assert line == server_log.getvalue()
    label, client_random, master = line.split()
    assert label == "CLIENT_RANDOM" and len(bytes.fromhex(client_random)) == 32
    assert len(bytes.fromhex(master)) == 48


def test_flights_respect_small_mtu() -> None:
    client, server = make_pair(mtu=256)
    client.connect(0.0)
    sizes = []
    for _ in range(20):
        for src, dst in ((client, server), (server, client)):
            for datagram in src.datagrams_to_send(0.0):
                sizes.append(len(datagram))
                dst.receive(datagram, 0.0)
    assert max(sizes) <= 256
    assert client.is_established and server.is_established


def test_close_notify_both_sides() -> None:
    client, server = make_pair()
    handshake(client, server)
    client.close()
    pump(client, server, 1.0)
    assert drain(client) == [ConnectionClosed()]
    assert drain(server) == [ConnectionClosed()]
    with pytest.raises(DtlsError):
        client.send(b"late")


def test_misuse_raises_dtls_error() -> None:
    client, server = make_pair()
    with pytest.raises(DtlsError):
        server.connect(0.0)
    with pytest.raises(DtlsError):
        client.send(b"too early")
    with pytest.raises(DtlsError):
        client.export_keying_material(SRTP_EXPORTER_LABEL, 60)
    handshake(client, server)
    with pytest.raises(DtlsError):
        client.connect(1.0)
    with pytest.raises(DtlsError):
        client.send(bytes(2**14 + 1))


def test_no_common_suite_fails_both_sides() -> None:
    client, server = make_pair(client_cipher_suites=[CipherSuite.ECDHE_RSA_WITH_AES_128_GCM_SHA256])
    client_events, server_events = handshake(client, server)
    assert isinstance(server_events[0], ConnectionFailed) and not server_events[0].remote
    assert isinstance(client_events[0], ConnectionFailed) and client_events[0].remote
    assert "handshake_failure" in client_events[0].reason
    assert client.get_timer() is None and server.get_timer() is None


@pytest.mark.parametrize(
    "bad",
    [{"role": "peer"}, {"mtu": 100}, {"cipher_suites": [0x002F]}, {"cipher_suites": []},
     {"srtp_profiles": [5]}],
    ids=["role", "mtu", "suite", "no-suite", "profile"],
)  # fmt: skip
def test_bad_configuration_raises_dtls_error(bad: dict) -> None:
    kwargs = {"role": "client", **bad}
    role = kwargs.pop("role")
    with pytest.raises(DtlsError):
        DtlsConnection(role, cached_certificate("client"), **kwargs)  # type: ignore[arg-type]


def test_flights_delivered_in_reverse_order_need_no_retransmission() -> None:
    """Fragments out of order are reassembled; a Finished that overtakes the key exchange
    is held until its epoch's keys exist (RFC 6347 §4.1)."""
    client, server = make_pair(mtu=256)
    client.connect(0.0)
    for _ in range(6):
        for src, dst in ((client, server), (server, client)):
            for datagram in reversed(src.datagrams_to_send(0.0)):
                dst.receive(datagram, 0.0)
    assert client.is_established and server.is_established
    assert client.dropped_records == server.dropped_records == 0


def test_p384_certificates_sign_with_sha384() -> None:
    client, server = make_pair(
        client_certificate=p384_certificate("p384-client"),
        server_certificate=p384_certificate("p384-server"),
    )
    client.connect(0.0)
    for datagram in client.datagrams_to_send(0.0):
        server.receive(datagram, 0.0)
    flight = server.datagrams_to_send(0.0)
    records = [r for d in flight for r in parse_records(d)]
    key_exchange = ServerKeyExchange.parse(records[2].fragment[12:])
    assert key_exchange.scheme == SignatureScheme.ECDSA_SECP384R1_SHA384
    for datagram in flight:
        client.receive(datagram, 0.0)
    pump(client, server, 0.0)
    assert client.is_established and server.is_established


def test_application_data_that_overtakes_the_final_flight_is_kept() -> None:
    client, server = make_pair()
    client.connect(0.0)
    for datagram in client.datagrams_to_send(0.0):
        server.receive(datagram, 0.0)
    for datagram in server.datagrams_to_send(0.0):
        client.receive(datagram, 0.0)
    for datagram in client.datagrams_to_send(0.0):
        server.receive(datagram, 0.0)
    assert server.is_established and not client.is_established
    final_flight = server.datagrams_to_send(0.0)
    server.send(b"early")
    (data,) = server.datagrams_to_send(0.0)
    client.receive(data, 0.0)  # overtakes ChangeCipherSpec + Finished
    for datagram in final_flight:
        client.receive(datagram, 0.0)
    events = drain(client)
    assert isinstance(events[0], HandshakeCompleted)
    assert events[1:] == [ApplicationDataReceived(b"early")]
