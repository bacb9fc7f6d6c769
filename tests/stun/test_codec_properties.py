"""Hypothesis properties of the STUN codec: round trips for every attribute, robustness."""

from __future__ import annotations

import ipaddress
import string
from typing import Any

import stun_vectors as v
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyrtc.stun import Class, ErrorCode, Message, Method, StunError
from pyrtc.stun.attributes import BY_NAME

TRAILERS = {"MESSAGE-INTEGRITY", "MESSAGE-INTEGRITY-SHA256", "FINGERPRINT"}

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
u64 = st.integers(0, 2**64 - 1)
hosts = st.one_of(
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(str),
)
addresses = st.tuples(hosts, u16)


def utf8_text(max_bytes: int) -> st.SearchStrategy[str]:
    return st.text(max_size=max_bytes // 4)


algorithm = st.tuples(u16, st.binary(max_size=12))

VALUES: dict[str, st.SearchStrategy[Any]] = {
    "MAPPED-ADDRESS": addresses,
    "XOR-MAPPED-ADDRESS": addresses,
    "XOR-PEER-ADDRESS": addresses,
    "XOR-RELAYED-ADDRESS": addresses,
    "ALTERNATE-SERVER": addresses,
    "USERNAME": utf8_text(512),
    "REALM": utf8_text(762),
    "NONCE": utf8_text(762),
    "SOFTWARE": utf8_text(762),
    "ALTERNATE-DOMAIN": st.text(string.ascii_letters + string.digits + ".-", min_size=1),
    "USERHASH": st.binary(min_size=32, max_size=32),
    "DATA": st.binary(max_size=300),
    "RESERVATION-TOKEN": st.binary(min_size=8, max_size=8),
    "PRIORITY": u32,
    "LIFETIME": u32,
    "ICE-CONTROLLED": u64,
    "ICE-CONTROLLING": u64,
    "CHANNEL-NUMBER": u16,
    "REQUESTED-TRANSPORT": u8,
    "REQUESTED-ADDRESS-FAMILY": u8,
    "ADDITIONAL-ADDRESS-FAMILY": u8,
    "USE-CANDIDATE": st.none(),
    "DONT-FRAGMENT": st.none(),
    "EVEN-PORT": st.booleans(),
    "ERROR-CODE": st.builds(ErrorCode, st.integers(300, 699), utf8_text(200)),
    "ADDRESS-ERROR-CODE": st.tuples(u8, st.integers(300, 699), utf8_text(200)),
    "ICMP": st.tuples(u8, u8, u32),
    "UNKNOWN-ATTRIBUTES": st.lists(u16, max_size=10).map(tuple),
    "PASSWORD-ALGORITHM": algorithm,
    "PASSWORD-ALGORITHMS": st.lists(algorithm, min_size=1, max_size=4).map(tuple),
}
methods = st.sampled_from(list(Method)) | st.integers(0, 0xFFF)
classes = st.sampled_from(list(Class))
tids = st.binary(min_size=12, max_size=12)


def normalized(name: str, value: Any) -> Any:
    """Values as compared after a round trip (IPv6 text forms may differ, lists are tuples)."""
    if name in ("MAPPED-ADDRESS", "ALTERNATE-SERVER") or "XOR" in name:
        return ipaddress.ip_address(value[0]), value[1]
    return value


def test_every_attribute_has_a_strategy() -> None:
    assert set(VALUES) | TRAILERS == set(BY_NAME)


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), method=methods, message_class=classes, tid=tids)
def test_each_attribute_round_trips(
    data: st.DataObject, method: int, message_class: Class, tid: bytes
) -> None:
    for name, strategy in VALUES.items():
        value = data.draw(strategy, label=name)
        msg = Message(method, message_class, tid, {name: value})
        parsed = Message.parse(msg.encode())
        assert parsed.method == method and parsed.message_class == message_class
        assert parsed.transaction_id == tid
        assert normalized(name, parsed.attributes[name]) == normalized(name, value)


entry = st.one_of(
    *(st.tuples(st.just(name), strategy) for name, strategy in VALUES.items()),
    st.tuples(st.integers(0x8100, 0xFFFF), st.binary(max_size=40)),  # unknown optional
    st.tuples(st.integers(0x0040, 0x7FFF), st.binary(max_size=40)),  # unknown required
)


@settings(max_examples=150)
@given(
    method=methods,
    message_class=classes,
    tid=tids,
    entries=st.lists(entry, max_size=8),
    key=st.none() | st.binary(min_size=1, max_size=40),
    integrity=st.sampled_from(["sha1", "sha256", "both"]),
    fingerprint=st.booleans(),
)
def test_messages_round_trip_in_order(
    method: int,
    message_class: Class,
    tid: bytes,
    entries: list[tuple[Any, Any]],
    key: bytes | None,
    integrity: Any,
    fingerprint: bool,
) -> None:
    msg = Message(method, message_class, tid, entries)
    wire = msg.encode(key, fingerprint=fingerprint, integrity=integrity)
    parsed = Message.parse(wire)
    got = [(k, val) for k, val in parsed.attributes.entries() if k not in TRAILERS]
    assert [(k, normalized(k, val) if isinstance(k, str) else val) for k, val in got] == [
        (k, normalized(k, val) if isinstance(k, str) else val) for k, val in entries
    ]
    assert parsed.unknown_required == [k for k, _ in entries if isinstance(k, int) and k < 0x8000]
    assert parsed.verify_fingerprint() is fingerprint
    if key is None:
        assert not parsed.verify_integrity(b"any")
    else:
        assert parsed.verify_integrity(key)
        assert not parsed.verify_integrity(key + b"x")
        names = {k for k, _ in parsed.attributes.entries()}
        assert ("MESSAGE-INTEGRITY" in names) is (integrity != "sha256")
        assert ("MESSAGE-INTEGRITY-SHA256" in names) is (integrity != "sha1")
    assert parsed.encode(key, fingerprint=fingerprint, integrity=integrity) == wire


def _exercise(data: bytes) -> None:
    """Parse ``data``; if it parses, every accessor must work without raising."""
    try:
        msg = Message.parse(data)
    except StunError:
        return
    for key in msg.attributes:
        msg.attributes[key]
    msg.verify_integrity(b"key")
    msg.verify_fingerprint()
    assert isinstance(msg.unknown_required, list)
    repr(msg)


@settings(max_examples=300)
@given(st.binary(max_size=120))
def test_random_bytes_only_raise_stun_error(data: bytes) -> None:
    _exercise(data)


@settings(max_examples=300)
@given(
    message_type=st.integers(0, 0x3FFF),
    body=st.lists(st.binary(min_size=4, max_size=4), max_size=30).map(b"".join),
)
def test_random_bodies_behind_a_valid_header_only_raise_stun_error(
    message_type: int, body: bytes
) -> None:
    header = message_type.to_bytes(2) + len(body).to_bytes(2) + b"\x21\x12\xa4\x42" + bytes(12)
    _exercise(header + body)


VALID = [v.REQUEST, v.IPV4_RESPONSE, v.IPV6_RESPONSE, v.LONG_TERM_REQUEST, v.SHA256_REQUEST]


@settings(max_examples=300)
@given(vector=st.sampled_from(VALID), cut=st.integers(0, 200))
def test_truncations_only_raise_stun_error(vector: bytes, cut: int) -> None:
    _exercise(vector[: min(cut, len(vector) - 1)])


@settings(max_examples=500)
@given(vector=st.sampled_from(VALID), flips=st.lists(st.integers(0, 10_000), min_size=1))
def test_bit_flips_only_raise_stun_error(vector: bytes, flips: list[int]) -> None:
    data = bytearray(vector)
    for flip in flips:
        data[flip // 8 % len(data)] ^= 1 << (flip % 8)
    _exercise(bytes(data))
