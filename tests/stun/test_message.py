"""STUN message behaviour: header bits, attribute container, unknown and trailing attributes."""

from __future__ import annotations

import hashlib
import hmac

import pytest
import stun_vectors as v

from pyrtc import ParseError
from pyrtc.stun import (
    Attributes,
    Class,
    ErrorCode,
    Message,
    Method,
    StunEncodeError,
    StunError,
    is_stun,
    read_header,
)
from pyrtc.stun.message import decode_type, encode_type

TID = bytes(range(12))


def attribute(attr_type: int, value: bytes) -> bytes:
    return attr_type.to_bytes(2) + len(value).to_bytes(2) + value + bytes(-len(value) & 3)


def message(body: bytes, message_type: int = 0x0001) -> bytes:
    return message_type.to_bytes(2) + len(body).to_bytes(2) + b"\x21\x12\xa4\x42" + TID + body


@pytest.mark.parametrize(
    ("method", "message_class", "message_type"),
    [
        (Method.BINDING, Class.REQUEST, 0x0001),
        (Method.BINDING, Class.INDICATION, 0x0011),
        (Method.BINDING, Class.SUCCESS, 0x0101),
        (Method.BINDING, Class.ERROR, 0x0111),
        (Method.ALLOCATE, Class.REQUEST, 0x0003),
        (Method.REFRESH, Class.SUCCESS, 0x0104),
        (Method.SEND, Class.INDICATION, 0x0016),
        (Method.DATA, Class.INDICATION, 0x0017),
        (Method.CREATE_PERMISSION, Class.ERROR, 0x0118),
        (Method.CHANNEL_BIND, Class.REQUEST, 0x0009),
        (0xFFF, Class.ERROR, 0x3FFF),
        (0x080, Class.REQUEST, 0x0200),
    ],
)
def test_message_type_interleaving(method: int, message_class: Class, message_type: int) -> None:
    # RFC 8489 §5 figure 3: M11..M7 C1 M6..M4 C0 M3..M0.
    assert encode_type(method, message_class) == message_type
    assert decode_type(message_type) == (method, message_class)
    wire = Message(method, message_class, TID).encode()
    assert wire[:2] == message_type.to_bytes(2)
    parsed = Message.parse(wire)
    assert (parsed.method, parsed.message_class) == (method, message_class)


def test_stun_error_is_a_parse_error() -> None:
    assert issubclass(StunError, ParseError)
    with pytest.raises(ParseError):
        Message.parse(b"\x00")


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "short"),
        (message(b"")[:19], "short"),
        (b"\x40" + message(b"")[1:], "most significant"),
        (message(b"")[:4] + b"\x21\x12\xa4\x43" + TID, "cookie"),
        (message(b"") + b"\x00\x00\x00\x00", "length"),
        (message(b"\x00\x06\x00\x08abcd"), "overruns"),
        (message(attribute(0x0024, b"\x00\x00\x01")), "PRIORITY"),
        (message(attribute(0x0020, bytes(12))), "length"),
        (message(attribute(0x0001, b"\x00\x03" + bytes(6))), "family"),
        (message(attribute(0x0006, b"\xff\xfe")), "utf-8"),
        (message(attribute(0x0009, b"\x00\x00\x07\x00")), "class"),
        (message(attribute(0x0009, b"\x00\x00\x04\x64")), "number"),
        (message(attribute(0x8028, bytes(4)) + attribute(0x8022, b"x")), "FINGERPRINT"),
        (message(b"\x00\x1c\x00\x12" + bytes(20)), "multiple of 4"),
        (message(b"\x00\x08\x00\x10" + bytes(16)), "bad length"),
    ],
)
def test_malformed_messages(data: bytes, why: str) -> None:
    with pytest.raises(StunError, match=f"(?i){why}"):
        Message.parse(data)


def test_unknown_attributes_are_kept_in_order_and_required_ones_reported() -> None:
    body = (
        attribute(0x8055, b"opt")
        + attribute(0x0024, (7).to_bytes(4))
        + attribute(0x7777, b"required!")
        + attribute(0x0099, b"")
    )
    msg = Message.parse(message(body))
    assert msg.attributes.entries() == [
        (0x8055, b"opt"),
        ("PRIORITY", 7),
        (0x7777, b"required!"),
        (0x0099, b""),
    ]
    assert msg.unknown_required == [0x7777, 0x0099]
    assert msg.encode() == message(body)


def test_attributes_after_message_integrity_are_dropped() -> None:
    # RFC 8489 §14.5: everything after MESSAGE-INTEGRITY but MI-SHA256 and FINGERPRINT is
    # unauthenticated and ignored.
    signed = Message(Method.BINDING, Class.REQUEST, TID, {"USERNAME": "a:b"}).encode(b"k")
    extra = attribute(0x0024, (1).to_bytes(4)) + attribute(0x7000, b"x")
    tampered = signed[:2] + (len(signed) - 20 + len(extra)).to_bytes(2) + signed[4:] + extra
    msg = Message.parse(tampered)
    assert list(msg.attributes) == ["USERNAME", "MESSAGE-INTEGRITY"]
    assert msg.unknown_required == []
    assert msg.verify_integrity(b"k")


def test_both_integrity_attributes() -> None:
    msg = Message(Method.BINDING, Class.REQUEST, TID, {"USERNAME": "a:b"})
    wire = msg.encode(b"key", fingerprint=True, integrity="both")
    parsed = Message.parse(wire)
    assert list(parsed.attributes) == [
        "USERNAME",
        "MESSAGE-INTEGRITY",
        "MESSAGE-INTEGRITY-SHA256",
        "FINGERPRINT",
    ]
    assert parsed.verify_integrity(b"key") and parsed.verify_fingerprint()
    # Corrupting the SHA-256 MAC alone is enough to fail: every integrity attribute must match.
    broken = bytearray(wire)
    broken[-9] ^= 1
    bad = Message.parse(bytes(broken))
    assert not bad.verify_integrity(b"key")
    with pytest.raises(StunEncodeError):
        msg.encode(b"key", integrity="md5")  # type: ignore[arg-type]


def test_truncated_sha256_integrity_is_verified() -> None:
    # RFC 8489 §14.6 allows MESSAGE-INTEGRITY-SHA256 truncated to 16..32 bytes (multiple of 4).
    full = Message.parse(v.SHA256_REQUEST)
    mac = full.attributes["MESSAGE-INTEGRITY-SHA256"]
    assert len(mac) == 32
    prefix = v.SHA256_REQUEST[: len(v.SHA256_REQUEST) - 36]
    key = hashlib.sha256(f"{v.LONG_TERM_USERNAME}:example.org:TheMatrIX".encode()).digest()
    covered = prefix[:2] + (len(prefix) - 20 + 4 + 16).to_bytes(2) + prefix[4:]
    short_mac = hmac.digest(key, covered, "sha256")[:16]
    wire = covered + b"\x00\x1c\x00\x10" + short_mac
    assert Message.parse(wire).verify_integrity(key)
    assert not Message.parse(wire[:-1] + bytes([wire[-1] ^ 1])).verify_integrity(key)


def test_constructed_messages_have_nothing_to_verify() -> None:
    msg = Message(Method.BINDING, Class.REQUEST, TID)
    assert not msg.verify_integrity(b"k")
    assert not msg.verify_fingerprint()


def test_attributes_container() -> None:
    attrs = Attributes([("XOR-PEER-ADDRESS", ("10.0.0.1", 1)), ("LIFETIME", 600)])
    attrs.add("XOR-PEER-ADDRESS", ("10.0.0.2", 2))
    assert attrs["XOR-PEER-ADDRESS"] == ("10.0.0.1", 1)
    assert attrs[0x0012] == ("10.0.0.1", 1)  # numeric keys of known types map to names
    assert attrs.get_all("XOR-PEER-ADDRESS") == [("10.0.0.1", 1), ("10.0.0.2", 2)]
    assert list(attrs) == ["XOR-PEER-ADDRESS", "LIFETIME"]
    assert len(attrs) == 2
    assert "LIFETIME" in attrs and "DATA" not in attrs
    assert attrs.get("DATA") is None
    attrs["XOR-PEER-ADDRESS"] = ("10.0.0.3", 3)
    assert attrs.entries() == [("XOR-PEER-ADDRESS", ("10.0.0.3", 3)), ("LIFETIME", 600)]
    del attrs["LIFETIME"]
    assert attrs.entries() == [("XOR-PEER-ADDRESS", ("10.0.0.3", 3))]
    with pytest.raises(KeyError):
        del attrs["LIFETIME"]
    with pytest.raises(KeyError):
        attrs["NOT-AN-ATTRIBUTE"] = 1
    with pytest.raises(KeyError):
        attrs[0x1_0000] = b""


def test_repeated_peer_addresses_survive_the_wire() -> None:
    peers = [("192.0.2.1", 1000), ("2001:db8::1", 2000), ("192.0.2.2", 3000)]
    msg = Message(
        Method.CREATE_PERMISSION, Class.REQUEST, TID, [("XOR-PEER-ADDRESS", p) for p in peers]
    )
    parsed = Message.parse(msg.encode())
    assert parsed.attributes.get_all("XOR-PEER-ADDRESS") == peers


def test_xor_mapped_address_wire_form() -> None:
    msg = Message(Method.BINDING, Class.SUCCESS, TID, {"XOR-MAPPED-ADDRESS": ("192.0.2.1", 32853)})
    # RFC 5769 §2.2: the same address XOR-ed with the cookie (transaction independent for v4).
    assert msg.encode()[20:] == bytes.fromhex("0020000800 01a147e112a643".replace(" ", ""))


def test_response_helpers() -> None:
    request = Message(Method.ALLOCATE, Class.REQUEST, TID)
    ok = Message.success_response(request, {"LIFETIME": 600})
    assert (ok.method, ok.message_class, ok.transaction_id) == (Method.ALLOCATE, Class.SUCCESS, TID)
    error = Message.error_response(request, 438, attributes={"NONCE": "n"})
    assert error.message_class is Class.ERROR
    assert error.attributes.entries() == [
        ("ERROR-CODE", ErrorCode(438, "Stale Nonce")),
        ("NONCE", "n"),
    ]
    assert Message.parse(error.encode()).attributes["ERROR-CODE"] == (438, "Stale Nonce")


@pytest.mark.parametrize(
    ("attributes", "match"),
    [
        ({"PRIORITY": -1}, "PRIORITY"),
        ({"PRIORITY": "high"}, "PRIORITY"),
        ({"XOR-MAPPED-ADDRESS": ("example.org", 1)}, "XOR-MAPPED-ADDRESS"),
        ({"XOR-MAPPED-ADDRESS": ("1.2.3.4", 70000)}, "XOR-MAPPED-ADDRESS"),
        ({"USERNAME": "x" * 513}, "USERNAME"),
        ({"USERHASH": b"short"}, "USERHASH"),
        ({"ERROR-CODE": (200, "OK")}, "200"),
        ({"USE-CANDIDATE": True}, "no value"),
        ({"CHANNEL-NUMBER": 0x10000}, "CHANNEL-NUMBER"),
        ({"DATA": bytes(70000)}, "DATA"),
    ],
)
def test_invalid_values_raise_encode_error(attributes: dict[str, object], match: str) -> None:
    with pytest.raises(StunEncodeError, match=match):
        Message(Method.BINDING, Class.REQUEST, TID, attributes).encode()


def test_invalid_header_values() -> None:
    with pytest.raises(StunEncodeError):
        Message(Method.BINDING, Class.REQUEST, b"short")
    with pytest.raises(StunEncodeError):
        Message(0x1000, Class.REQUEST)
    assert len(Message(Method.BINDING, Class.REQUEST).transaction_id) == 12
    assert Message(Method.BINDING, Class.REQUEST).transaction_id != (
        Message(Method.BINDING, Class.REQUEST).transaction_id
    )


def test_is_stun_demultiplexing() -> None:
    # RFC 7983: STUN 0..3, DTLS 20..63, RTP/RTCP 128..191.
    assert is_stun(v.REQUEST)
    assert not is_stun(v.REQUEST[:-1])
    assert not is_stun(v.REQUEST + b"\x00\x00\x00\x00")
    assert not is_stun(b"\x16" + v.REQUEST[1:])
    assert not is_stun(b"\x80" + v.REQUEST[1:])
    assert not is_stun(v.REQUEST[:4] + b"\x00\x00\x00\x00" + v.REQUEST[8:])
    assert not is_stun(b"")
    odd = message(b"")[:2] + b"\x00\x02" + message(b"")[4:] + b"\x00\x00"
    assert not is_stun(odd)


def test_read_header() -> None:
    assert read_header(v.REQUEST) == (Method.BINDING, Class.REQUEST, v.REQUEST[8:20])
    assert read_header(b"\x00\x01") is None
    assert read_header(b"\x80" + v.REQUEST[1:]) is None
