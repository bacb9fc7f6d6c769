"""Real Chromium 156 and Firefox 153 ClientHellos fed to our server.

The fixtures are the UDP payloads of the browsers' first flight, extracted from the shared
pcapng captures by ``fixtures/extract_client_hellos.py``. Both browsers offer DTLS 1.3 via
supported_versions (0xfefc) and TLS 1.3 suites; Chromium's default hello also carries an
X25519MLKEM768 (0x11ec) key share and is 1413 bytes in two fragments. Our server must answer
with a clean DTLS 1.2 flight 4 that the browser accepts.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from dtls_testkit import cached_certificate

from pyrtc.dtls import DtlsConnection, SignatureScheme
from pyrtc.dtls.fragments import Reassembler, parse_fragments, whole_message
from pyrtc.dtls.messages import (
    DTLS_1_2,
    DTLS_1_3,
    ClientHello,
    ExtensionType,
    HandshakeType,
    HelloVerifyRequest,
    ServerHello,
    ServerKeyExchange,
    parse_certificate,
    parse_supported_versions,
    parse_u16_list_extension,
    parse_use_srtp,
)
from pyrtc.dtls.record import build_record, parse_records
from pyrtc.dtls.suites import SUITES

FIXTURES = Path(__file__).parent / "fixtures"
CAPTURES = sorted(p.name.removesuffix("_client_hello.hex") for p in FIXTURES.glob("*.hex"))
X25519MLKEM768 = 0x11EC
DOWNGRADE_SENTINELS = (b"DOWNGRD\x01", b"DOWNGRD\x00")


def load(name: str) -> list[bytes]:
    return [
        bytes.fromhex(line) for line in (FIXTURES / f"{name}_client_hello.hex").read_text().split()
    ]


def messages(datagrams: list[bytes], first_seq: int = 0) -> list[tuple[int, bytes]]:
    """Reassemble every epoch-0 handshake message carried by ``datagrams``."""
    reassembler = Reassembler()
    reassembler.reset(first_seq)
    for datagram in datagrams:
        for record in parse_records(datagram):
            assert record.epoch == 0 and record.content_type == 22
            for fragment in parse_fragments(record.fragment):
                reassembler.add(fragment)
    out = []
    while (message := reassembler.peek()) is not None:
        out.append(message)
        reassembler.advance()
    return out


def client_hello(name: str) -> ClientHello:
    ((msg_type, body),) = messages(load(name))
    assert msg_type == HandshakeType.CLIENT_HELLO
    return ClientHello.parse(body)


def check_server_flight(hello: ClientHello, datagrams: list[bytes], first_seq: int) -> None:
    assert datagrams and max(map(len, datagrams)) <= 1200
    flight = messages(datagrams, first_seq)
    assert [t for t, _ in flight] == [
        HandshakeType.SERVER_HELLO,
        HandshakeType.CERTIFICATE,
        HandshakeType.SERVER_KEY_EXCHANGE,
        HandshakeType.CERTIFICATE_REQUEST,
        HandshakeType.SERVER_HELLO_DONE,
    ]
    server_hello = ServerHello.parse(flight[0][1])
    assert server_hello.version == DTLS_1_2
    # Not DTLS 1.3 capable: no downgrade sentinel (RFC 8446 §4.1.3), no supported_versions.
    assert server_hello.random[-8:] not in DOWNGRADE_SENTINELS
    extensions = dict(server_hello.extensions)
    assert ExtensionType.SUPPORTED_VERSIONS not in extensions
    assert set(extensions) <= {t for t, _ in hello.extensions}
    assert server_hello.cipher_suite in hello.cipher_suites and server_hello.cipher_suite in SUITES
    assert extensions[ExtensionType.EXTENDED_MASTER_SECRET] == b""
    assert extensions[ExtensionType.RENEGOTIATION_INFO] == b"\x00"
    (profile,) = parse_use_srtp(extensions[ExtensionType.USE_SRTP])
    assert profile in parse_use_srtp(dict(hello.extensions)[ExtensionType.USE_SRTP])

    (der,) = parse_certificate(flight[1][1])
    assert der == cached_certificate("server").der
    key_exchange = ServerKeyExchange.parse(flight[2][1])
    offered_groups = parse_u16_list_extension(
        dict(hello.extensions)[ExtensionType.SUPPORTED_GROUPS]
    )
    assert key_exchange.group in offered_groups and key_exchange.group != X25519MLKEM768
    assert key_exchange.scheme == SignatureScheme.ECDSA_SECP256R1_SHA256
    public_key = cached_certificate("server").private_key.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(
        key_exchange.signature,
        hello.random + server_hello.random + key_exchange.params,
        ec.ECDSA(hashes.SHA256()),
    )


@pytest.mark.parametrize("name", CAPTURES)
def test_browser_offers_dtls13_and_we_answer_dtls12(name: str) -> None:
    hello = client_hello(name)
    assert DTLS_1_3 in parse_supported_versions(
        dict(hello.extensions)[ExtensionType.SUPPORTED_VERSIONS]
    )
    server = DtlsConnection("server", cached_certificate("server"))
    for datagram in load(name):
        server.receive(datagram, 0.0)
    assert server.next_event() is None
    check_server_flight(hello, server.datagrams_to_send(0.0), first_seq=0)
    assert server.dropped_records == 0 and server.get_timer() == 1.0


def test_chromium_pqc_hello_is_two_fragments_with_mlkem_share() -> None:
    datagrams = load("chromium156")
    assert len(datagrams) == 2
    hello = client_hello("chromium156")
    assert len(hello.build()) == 1413
    groups = parse_u16_list_extension(dict(hello.extensions)[ExtensionType.SUPPORTED_GROUPS])
    assert groups[0] == X25519MLKEM768


@pytest.mark.parametrize("name", CAPTURES)
def test_browser_hello_with_cookie_round(name: str) -> None:
    """HelloVerifyRequest, then the browser's hello again with the cookie and message_seq 1."""
    server = DtlsConnection("server", cached_certificate("server"), hello_verify=True)
    for datagram in load(name):
        server.receive(datagram, 0.0)
    (reply,) = server.datagrams_to_send(0.0)
    ((msg_type, body),) = messages([reply])
    assert msg_type == HandshakeType.HELLO_VERIFY_REQUEST
    assert server.get_timer() is None  # stateless until the cookie comes back
    hello = client_hello(name)
    hello.cookie = HelloVerifyRequest.parse(body).cookie
    second = build_record(22, 0, 2, whole_message(HandshakeType.CLIENT_HELLO, 1, hello.build()))
    server.receive(second, 0.1)
    check_server_flight(hello, server.datagrams_to_send(0.1), first_seq=1)
