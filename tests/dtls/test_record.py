"""Record framing, AEAD protection, replay window, handshake fragmentation and codecs."""

from __future__ import annotations

import contextlib
import os
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc.dtls import DtlsParseError
from pyrtc.dtls.fragments import (
    Fragment,
    Reassembler,
    parse_fragments,
    split_message,
    whole_message,
)
from pyrtc.dtls.messages import (
    CertificateRequest,
    ClientHello,
    ContentType,
    HelloVerifyRequest,
    ServerHello,
    ServerKeyExchange,
    parse_certificate,
    parse_client_key_exchange,
    parse_digitally_signed,
    parse_use_srtp,
)
from pyrtc.dtls.record import (
    Record,
    RecordProtection,
    ReplayWindow,
    build_record,
    parse_records,
)
from pyrtc.dtls.suites import SUITES, CipherSuite


@pytest.mark.parametrize("suite", list(CipherSuite), ids=lambda s: s.name)
def test_protect_unprotect_round_trip(suite: CipherSuite) -> None:
    params = SUITES[suite]
    key, iv = os.urandom(params.key_length), os.urandom(params.fixed_iv_length)
    sender, receiver = RecordProtection(params, key, iv), RecordProtection(params, key, iv)
    plaintext = os.urandom(1200)
    fragment = sender.encrypt(ContentType.APPLICATION_DATA, 1, 0x123456789A, plaintext)
    assert len(fragment) == len(plaintext) + sender.overhead
    (record,) = parse_records(build_record(ContentType.APPLICATION_DATA, 1, 0x123456789A, fragment))
    assert receiver.decrypt(record) == plaintext
    # Any flipped bit, a different sequence number or content type fails authentication.
    mangled = bytearray(fragment)
    mangled[-1] ^= 1
    for bad in (
        Record(record.content_type, record.version, 1, record.sequence, bytes(mangled)),
        Record(record.content_type, record.version, 1, record.sequence + 1, fragment),
        Record(ContentType.HANDSHAKE, record.version, 1, record.sequence, fragment),
        Record(record.content_type, record.version, 1, record.sequence, fragment[:10]),
    ):
        with pytest.raises(DtlsParseError):
            receiver.decrypt(bad)


def test_several_records_per_datagram_and_truncation() -> None:
    datagram = build_record(22, 0, 1, b"abc") + build_record(20, 0, 2, b"\x01")
    records = parse_records(datagram)
    assert [(r.content_type, r.sequence, r.fragment) for r in records] == [
        (22, 1, b"abc"),
        (20, 2, b"\x01"),
    ]
    assert len(parse_records(datagram[:-1])) == 1  # the torn second record is dropped
    with pytest.raises(DtlsParseError):
        parse_records(datagram[:5])


def test_replay_window() -> None:
    window = ReplayWindow(size=64)
    for seq in (5, 3, 70, 69):
        assert not window.is_duplicate(seq)
        window.mark(seq)
    assert window.is_duplicate(70) and window.is_duplicate(69)
    assert window.is_duplicate(5)  # 65 behind the highest: outside the window
    assert not window.is_duplicate(7) and not window.is_duplicate(71)
    window.mark(1 << 47)
    assert window.is_duplicate(70)


def test_fragmentation_reassembly_out_of_order_overlapping_duplicated() -> None:
    body = os.urandom(1000)
    pieces = [parse_fragments(f)[0] for f in split_message(11, 3, body, 97)]
    extra = [Fragment(11, 1000, 3, 50, body[50:400]), Fragment(11, 1000, 3, 0, body[:10])]
    stream = pieces + extra + pieces[:3]
    random.Random(7).shuffle(stream)
    reassembler = Reassembler()
    reassembler.reset(3)
    for fragment in stream[:-1]:
        reassembler.add(fragment)
    reassembler.add(stream[-1])
    assert reassembler.peek() == (11, body)
    reassembler.advance()
    assert reassembler.next_seq == 4 and reassembler.peek() is None
    assert not reassembler.add(pieces[0])  # stale message_seq


def test_reassembler_inconsistent_fragment_replaces_buffered_one() -> None:
    reassembler = Reassembler()
    assert reassembler.add(Fragment(1, 10, 0, 0, b"12345"))
    assert reassembler.add(Fragment(2, 10, 0, 5, b"67890"))  # other type: starts over
    assert reassembler.peek() is None
    assert reassembler.add(Fragment(2, 10, 0, 0, b"abcde"))
    assert reassembler.peek() == (2, b"abcde67890")
    assert not reassembler.add(Fragment(1, 10, 500, 0, b"x"))  # far ahead


def test_fragment_header_checks() -> None:
    whole = whole_message(1, 0, b"abc")
    assert parse_fragments(whole) == [Fragment(1, 3, 0, 0, b"abc")]
    with pytest.raises(DtlsParseError):
        parse_fragments(whole[:-1])
    oversized = bytes([1]) + (1 << 20).to_bytes(3, "big") + bytes(2) + bytes(3) + bytes(3)
    with pytest.raises(DtlsParseError):
        parse_fragments(oversized)
    past_end = bytes([1, 0, 0, 2, 0, 0, 0, 0, 1, 0, 0, 2]) + b"ab"
    with pytest.raises(DtlsParseError):
        parse_fragments(past_end)


def test_message_round_trips() -> None:
    hello = ClientHello(
        0xFEFD,
        os.urandom(32),
        b"",
        b"cookie",
        [0xC02B, 0xCCA9],
        b"\x00",
        [(10, b"\x00\x02\x00\x1d"), (23, b"")],
    )
    assert ClientHello.parse(hello.build()) == hello
    server = ServerHello(0xFEFD, os.urandom(32), b"", 0xC02B, 0, [(23, b"")])
    assert ServerHello.parse(server.build()) == server
    verify = HelloVerifyRequest(0xFEFF, os.urandom(20))
    assert HelloVerifyRequest.parse(verify.build()) == verify
    ske = ServerKeyExchange(29, os.urandom(32), 0x0403, os.urandom(71))
    assert ServerKeyExchange.parse(ske.build()) == ske
    request = CertificateRequest(b"\x40\x01", [0x0403, 0x0804])
    assert CertificateRequest.parse(request.build()) == request


PARSERS = [
    ClientHello.parse,
    ServerHello.parse,
    HelloVerifyRequest.parse,
    ServerKeyExchange.parse,
    CertificateRequest.parse,
    parse_certificate,
    parse_client_key_exchange,
    parse_digitally_signed,
    parse_use_srtp,
    parse_fragments,
    parse_records,
]


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=300), which=st.integers(0, len(PARSERS) - 1))
def test_random_bytes_only_raise_parse_error(data: bytes, which: int) -> None:
    with contextlib.suppress(DtlsParseError):
        PARSERS[which](data)


@settings(max_examples=100, deadline=None)
@given(cut=st.integers(0, 200))
def test_truncated_client_hello_raises_parse_error(cut: int) -> None:
    hello = ClientHello(0xFEFD, bytes(32), b"", b"", [0xC02B], b"\x00", [(23, b"")]).build()
    without_extensions = len(hello) - 6  # the extensions block is optional (RFC 5246 §7.4.1.2)
    if cut < len(hello) and cut != without_extensions:
        with pytest.raises(DtlsParseError):
            ClientHello.parse(hello[:cut])


extensions = st.lists(
    st.tuples(st.integers(0, 0xFFFF), st.binary(max_size=40)),
    max_size=6,
    unique_by=lambda e: e[0],
)


@settings(max_examples=100, deadline=None)
@given(
    random_=st.binary(min_size=32, max_size=32),
    session_id=st.binary(max_size=32),
    cookie=st.binary(max_size=255),
    suites=st.lists(st.integers(0, 0xFFFF), min_size=1, max_size=20),
    extensions=extensions,
)
def test_client_hello_round_trip_property(
    random_: bytes, session_id: bytes, cookie: bytes, suites: list[int], extensions: list
) -> None:
    hello = ClientHello(0xFEFD, random_, session_id, cookie, suites, b"\x00", extensions)
    assert ClientHello.parse(hello.build()) == hello


@settings(max_examples=100, deadline=None)
@given(
    random_=st.binary(min_size=32, max_size=32),
    suite=st.integers(0, 0xFFFF),
    extensions=extensions,
)
def test_server_hello_round_trip_property(random_: bytes, suite: int, extensions: list) -> None:
    hello = ServerHello(0xFEFD, random_, b"", suite, 0, extensions)
    assert ServerHello.parse(hello.build()) == hello


@settings(max_examples=100, deadline=None)
@given(
    records=st.lists(
        st.tuples(
            st.integers(20, 23), st.integers(0, 0xFFFF), st.integers(0, (1 << 48) - 1),
            st.binary(max_size=200),
        ),
        min_size=1,
        max_size=5,
    )
)  # fmt: skip
def test_record_framing_round_trip_property(records: list[tuple[int, int, int, bytes]]) -> None:
    datagram = b"".join(build_record(t, e, s, f) for t, e, s, f in records)
    parsed = parse_records(datagram)
    assert [(r.content_type, r.epoch, r.sequence, r.fragment) for r in parsed] == records


@settings(max_examples=100, deadline=None)
@given(body=st.binary(max_size=3000), max_fragment=st.integers(1, 1500), seed=st.integers())
def test_split_then_reassemble_in_any_order_property(
    body: bytes, max_fragment: int, seed: int
) -> None:
    fragments = [
        f for raw in split_message(11, 2, body, max_fragment) for f in parse_fragments(raw)
    ]
    random.Random(seed).shuffle(fragments)
    reassembler = Reassembler()
    reassembler.reset(2)
    for fragment in fragments:
        assert reassembler.peek() is None
        reassembler.add(fragment)
    assert reassembler.peek() == (11, body)
