"""The native record protection (pyrtc._native.dtls_record) against the Python reference."""

from __future__ import annotations

import pytest
from dtls_testkit import drain, make_pair, pump
from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc._native.dtls_record import ReplayWindow as NativeReplayWindow
from pyrtc.dtls import DtlsError
from pyrtc.dtls.record import (
    NativeRecordProtection,
    RecordProtection,
    ReplayWindow,
    parse_records,
)
from pyrtc.dtls.suites import SUITES, CipherSuite

SUITE = st.sampled_from(list(CipherSuite))
KEYS = st.binary(min_size=44, max_size=44)  # enough for any suite's key || fixed IV


def _pair(suite: CipherSuite, material: bytes) -> tuple[RecordProtection, NativeRecordProtection]:
    params = SUITES[suite]
    key = material[: params.key_length]
    iv = material[params.key_length : params.key_length + params.fixed_iv_length]
    return RecordProtection(params, key, iv), NativeRecordProtection(params, key, iv)


@settings(max_examples=150)
@given(
    SUITE,
    KEYS,
    st.integers(20, 255),
    st.integers(0, 0xFFFF),
    st.integers(0, (1 << 48) - 1),
    st.binary(max_size=1500),
)
def test_native_seals_the_same_bytes_and_opens_the_reference(
    suite: CipherSuite, material: bytes, content_type: int, epoch: int, seq: int, data: bytes
) -> None:
    reference, native = _pair(suite, material)
    assert native.overhead == reference.overhead
    record = native.seal(content_type, epoch, seq, data)
    assert record == reference.seal(content_type, epoch, seq, data)
    (parsed,) = parse_records(record)
    assert native.decrypt(parsed) == reference.decrypt(parsed) == data


@settings(max_examples=150)
@given(SUITE, KEYS, st.binary(min_size=1, max_size=300), st.integers(0, 10_000), st.data())
def test_native_rejects_exactly_what_the_reference_rejects(
    suite: CipherSuite, material: bytes, data: bytes, flip: int, draw: st.DataObject
) -> None:
    reference, native = _pair(suite, material)
    (parsed,) = parse_records(native.seal(23, 1, 7, data))
    fragment = bytearray(parsed.fragment)
    fragment[flip % len(fragment)] ^= 1 << (flip % 8)
    cut = draw.draw(st.integers(0, len(fragment)))
    for content_type, version, epoch, seq, body in (
        (23, parsed.version, 1, 7, bytes(fragment)),  # one flipped bit
        (23, parsed.version, 1, 7, parsed.fragment[:cut]),  # truncated (cut may keep it whole)
        (22, parsed.version, 1, 7, parsed.fragment),  # other content type
        (23, parsed.version, 1, 8, parsed.fragment),  # other sequence number
        (23, parsed.version, 2, 7, parsed.fragment),  # other epoch
        (23, 0xFEFF, 1, 7, parsed.fragment),  # other version
    ):
        expected = reference.open(content_type, version, epoch, seq, body)
        assert native.open(content_type, version, epoch, seq, body) == expected
    assert native.open(23, 0xFEFF, 1, 7, parsed.fragment) is None


@settings(max_examples=200)
@given(SUITE, KEYS, st.binary(max_size=200), st.integers(0, 255), st.integers(0, 0xFFFF))
def test_native_open_never_crashes_on_random_fragments(
    suite: CipherSuite, material: bytes, fragment: bytes, content_type: int, version: int
) -> None:
    _, native = _pair(suite, material)
    assert native.open(content_type, version, 1, 0, fragment) is None


def test_native_refuses_bad_keys_and_out_of_range_fields() -> None:
    params = SUITES[CipherSuite.ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]
    with pytest.raises(ValueError):
        NativeRecordProtection(params, bytes(15), bytes(4))
    with pytest.raises(ValueError):
        NativeRecordProtection(params, bytes(16), bytes(12))
    chacha = SUITES[CipherSuite.ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256]
    with pytest.raises(ValueError):
        NativeRecordProtection(chacha, bytes(32), bytes(4))
    native = NativeRecordProtection(params, bytes(16), bytes(4))
    for content_type, epoch, seq in ((256, 1, 0), (23, 1 << 16, 0), (23, 1, 1 << 48)):
        with pytest.raises((ValueError, OverflowError)):
            native.seal(content_type, epoch, seq, b"x")
    with pytest.raises(ValueError):
        native.seal(23, 1, 0, bytes(2**14 + 2048))


def test_receive_data_returns_application_records_and_queues_the_rest() -> None:
    client, server = make_pair()
    client.connect(0.0)
    pump(client, server, 0.0)
    assert client.is_established and server.is_established
    drain(client)
    drain(server)
    client.send(b"hello")
    (datagram,) = client.datagrams_to_send(1.0)
    assert server.receive_data(datagram, 1.0) == b"hello"
    assert server.next_event() is None
    assert server.receive_data(datagram, 1.0) is None  # a replay is dropped
    assert server.dropped_records == 1
    forged = bytearray(datagram)
    forged[-1] ^= 1
    client.send(b"next")
    (genuine,) = client.datagrams_to_send(1.0)
    assert server.receive_data(bytes(forged[:-1]) + b"x", 1.0) is None
    assert server.receive_data(genuine, 1.0) == b"next"
    client.close()
    (alert,) = client.datagrams_to_send(1.0)
    assert server.receive_data(alert, 1.0) is None  # not application data: an event
    assert type(server.next_event()).__name__ == "ConnectionClosed"


def test_send_many_continues_the_record_sequence_and_refuses_an_oversized_batch() -> None:
    client, server = make_pair()
    client.connect(0.0)
    pump(client, server, 0.0)
    drain(client)
    drain(server)
    client.send(b"first")
    client.send_many([b"second", b"third"])
    with pytest.raises(DtlsError, match="exceeds one record"):
        client.send_many([b"never", bytes(2**14 + 1), b"never"])
    client.send(b"fourth")
    datagrams = client.datagrams_to_send(1.0)
    sequences = [parse_records(d)[0].sequence for d in datagrams]
    assert sequences == list(range(sequences[0], sequences[0] + 4))
    received = [server.receive_data(d, 1.0) for d in datagrams]
    assert received == [b"first", b"second", b"third", b"fourth"]
    with pytest.raises(DtlsError, match="before the handshake"):
        make_pair()[0].send_many([b"x"])


@settings(max_examples=100)
@given(
    st.lists(
        st.tuples(st.sampled_from(["check", "mark"]), st.integers(0, 300) | st.just((1 << 48) - 1)),
        max_size=120,
    )
)
def test_native_replay_window_agrees_with_the_reference(ops: list[tuple[str, int]]) -> None:
    reference, native = ReplayWindow(), NativeReplayWindow()
    for op, sequence in ops:
        if op == "mark":
            reference.mark(sequence)
            native.mark(sequence)
        assert native.is_duplicate(sequence) == reference.is_duplicate(sequence)
        for probe in (0, 1, 63, 64, 65, sequence - 64, sequence - 1, sequence + 1):
            if probe >= 0:
                assert native.is_duplicate(probe) == reference.is_duplicate(probe)


@settings(max_examples=100)
@given(SUITE, KEYS, st.lists(st.binary(max_size=1300), max_size=8), st.integers(0, 1 << 40))
def test_seal_many_is_seal_with_consecutive_sequences(
    suite: CipherSuite, material: bytes, plaintexts: list[bytes], first: int
) -> None:
    reference, native = _pair(suite, material)
    expected = [native.seal(23, 1, first + i, p) for i, p in enumerate(plaintexts)]
    assert native.seal_many(23, 1, first, plaintexts) == expected
    assert reference.seal_many(23, 1, first, plaintexts) == expected


@settings(max_examples=150)
@given(SUITE, KEYS, st.binary(max_size=1300), st.integers(0, 10_000), st.data())
def test_open_datagram_agrees_with_the_reference(
    suite: CipherSuite, material: bytes, data: bytes, flip: int, draw: st.DataObject
) -> None:
    """Genuine, replayed, tampered, truncated, extended and foreign datagrams: both
    implementations give the same answer and mark their windows alike."""
    reference, native = _pair(suite, material)
    ref_window, native_window = ReplayWindow(), NativeReplayWindow()
    genuine = native.seal(23, 1, 5, data)
    tampered = bytearray(genuine)
    tampered[flip % len(tampered)] ^= 1 << (flip % 8)
    cut = draw.draw(st.integers(0, len(genuine) - 1))
    candidates = [
        bytes(tampered),
        genuine[:cut],
        genuine + b"\x00",
        native.seal(22, 1, 6, data),  # handshake content type
        native.seal(23, 2, 7, data),  # other epoch
        genuine,
        genuine,  # replayed
        native.seal(23, 1, 4, data),  # older but new: accepted
    ]
    outcomes = []
    for datagram in candidates:
        ours = native.open_datagram(23, 1, native_window, datagram)
        assert ours == reference.open_datagram(23, 1, ref_window, datagram)
        outcomes.append(ours)
    assert outcomes[-3:] == [(data,), (), (data,)]
    assert outcomes[3] is None and outcomes[4] is None
    for sequence in range(10):
        assert native_window.is_duplicate(sequence) == ref_window.is_duplicate(sequence)


def test_open_datagram_refuses_a_missing_window() -> None:
    _, native = _pair(CipherSuite.ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, bytes(44))
    with pytest.raises(TypeError):
        native.open_datagram(23, 1, None, b"")  # type: ignore[arg-type]


def test_seal_many_takes_the_last_sequence_numbers_and_nothing_past_them() -> None:
    """RFC 6347 §4.1: 48-bit sequence numbers; the batch may end exactly at 2^48 - 1."""
    _, native = _pair(CipherSuite.ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, bytes(44))
    last = (1 << 48) - 1
    assert native.seal_many(23, 1, last - 1, [b"x", b"y"]) == [
        native.seal(23, 1, last - 1, b"x"),
        native.seal(23, 1, last, b"y"),
    ]
    for first, batch in ((last, [b"x", b"y"]), (1 << 48, [b"x"]), ((1 << 64) - 1, [b"x"])):
        with pytest.raises(ValueError):
            native.seal_many(23, 1, first, batch)


def test_send_many_uses_the_epoch_up_to_its_last_sequence_number() -> None:
    client, server = make_pair()
    client.connect(0.0)
    pump(client, server, 0.0)
    client._write_seq[1] = (1 << 48) - 2  # jump to the end of the epoch
    client.send_many([b"a", b"b"])
    sequences = [parse_records(d)[0].sequence for d in client.datagrams_to_send(1.0)]
    assert sequences == [(1 << 48) - 2, (1 << 48) - 1]
    with pytest.raises(DtlsError, match="exhausted"):
        client.send_many([b"c"])


def test_an_oversized_record_is_not_opened_on_the_data_path() -> None:
    """RFC 6347 §4.1: a record longer than 2^14 + 2048 bytes is left to the general parser,
    which drops it, even when it authenticates."""
    reference, native = _pair(CipherSuite.ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, bytes(44))
    oversized = reference.seal(23, 1, 3, bytes(2**14 + 2048 - 24 + 1))
    fitting = reference.seal(23, 1, 4, bytes(2**14 + 2048 - 24))
    native_window, ref_window = NativeReplayWindow(), ReplayWindow()
    assert native.open_datagram(23, 1, native_window, oversized) is None
    assert reference.open_datagram(23, 1, ref_window, oversized) is None
    plaintext = (bytes(2**14 + 2048 - 24),)
    assert native.open_datagram(23, 1, native_window, fitting) == plaintext
    assert reference.open_datagram(23, 1, ref_window, fitting) == plaintext
