"""RtpPacket parse/serialize against hand-built RFC 3550 §5.1 packets."""

from __future__ import annotations

import copy
import pickle

import pytest

from pyrtc import ParseError
from pyrtc.rtp import RtpPacket, RtpParseError

# V=2 P=0 X=0 CC=0 | M=1 PT=96 | seq=0x1234 | ts=0xDEADBEEF | ssrc=0x01020304 | payload
MINIMAL = bytes.fromhex("80e0 1234 deadbeef 01020304") + b"payload"

# V=2 P=1 X=1 CC=2 | M=0 PT=111 | seq=65535 | ts=1 | ssrc=0xFFFFFFFF | 2 CSRCs |
# one-byte extension block (0xBEDE, 2 words: id 1 "a", id 2 "\x00\x01", 3 padding bytes)
# | payload "xyz" | 3 bytes of padding (count byte included)
FULL = (
    bytes.fromhex("b26f ffff 00000001 ffffffff")
    + bytes.fromhex("0000000a 0000000b")
    + bytes.fromhex("bede 0002 1061 21 0001 000000")
    + b"xyz"
    + bytes.fromhex("0000 03")
)


def test_parse_minimal() -> None:
    packet = RtpPacket.parse(MINIMAL)
    assert packet.version == 2
    assert packet.padding is False
    assert packet.padding_size == 0
    assert packet.marker == 1
    assert packet.payload_type == 96
    assert packet.sequence_number == 0x1234
    assert packet.timestamp == 0xDEADBEEF
    assert packet.ssrc == 0x01020304
    assert packet.csrc == []
    assert packet.extensions == {}
    assert packet.payload == b"payload"
    assert packet.payload_length == 7
    assert packet.serialize() == MINIMAL


def test_parse_full() -> None:
    packet = RtpPacket.parse(FULL)
    assert packet.padding is True
    assert packet.padding_size == 3
    assert packet.marker == 0
    assert packet.payload_type == 111
    assert packet.sequence_number == 65535
    assert packet.timestamp == 1
    assert packet.ssrc == 0xFFFFFFFF
    assert packet.csrc == [10, 11]
    assert packet.extensions == {1: b"a", 2: b"\x00\x01"}
    assert packet.payload == b"xyz"
    # never touched after parse: the extension block and payload are copied verbatim
    assert RtpPacket.parse(FULL).serialize() == FULL
    # read: rebuilt from the dict, which encodes to the same block here
    assert packet.serialize() == FULL


def test_build_matches_hand_layout() -> None:
    packet = RtpPacket(
        payload_type=111,
        sequence_number=65535,
        timestamp=1,
        ssrc=0xFFFFFFFF,
        payload=b"xyz",
        csrc=[10, 11],
        extensions={1: b"a", 2: b"\x00\x01"},
        padding_size=3,
    )
    assert packet.serialize() == FULL
    assert repr(packet) == "RtpPacket(seq=65535, ts=1, marker=0, payload=111, 3 bytes)"


def test_defaults() -> None:
    packet = RtpPacket()
    assert packet.serialize() == bytes.fromhex("80000000 00000000 00000000")
    assert (packet.payload_type, packet.marker, packet.sequence_number) == (0, 0, 0)
    assert (packet.timestamp, packet.ssrc, packet.payload) == (0, 0, b"")


def test_padding_only_packet() -> None:
    # a probe: no payload, 255 bytes of padding
    packet = RtpPacket(payload_type=96, padding_size=255)
    data = packet.serialize()
    assert len(data) == 12 + 255
    assert data[-1] == 255 and data[12:-1] == bytes(254)
    parsed = RtpPacket.parse(data)
    assert parsed.padding_size == 255
    assert parsed.payload == b""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "shorter than its 12-byte header"),
        (MINIMAL[:11], "shorter than its 12-byte header"),
        (b"\x40" + MINIMAL[1:], "version 1 is not 2"),
        (b"\x00" + MINIMAL[1:], "version 0 is not 2"),
        (bytes.fromhex("81e0 1234 deadbeef 01020304"), "inside its CSRC list"),
        (bytes.fromhex("90e0 1234 deadbeef 01020304 bede"), "inside its extension header"),
        (bytes.fromhex("90e0 1234 deadbeef 01020304 bede0001 1061"), "runs past the end"),
        (bytes.fromhex("a0e0 1234 deadbeef 01020304 00"), "padding count 0"),
        (bytes.fromhex("a0e0 1234 deadbeef 01020304 0005"), "padding count 5"),
        # P bit, nothing after the header: the count byte would be the SSRC's last byte
        (bytes.fromhex("a0e0 1234 deadbeef 01020304"), "padding count 4"),
    ],
)
def test_malformed(data: bytes, message: str) -> None:
    with pytest.raises(RtpParseError, match=message):
        RtpPacket.parse(data)


def test_parse_error_is_a_parse_error() -> None:
    assert issubclass(RtpParseError, ParseError)
    assert issubclass(RtpParseError, ValueError)


def test_padding_may_consume_whole_payload() -> None:
    data = bytes.fromhex("a0e0 1234 deadbeef 01020304 000004")
    assert len(data) == 15
    with pytest.raises(RtpParseError):
        RtpPacket.parse(data)  # count 4 exceeds the 3 bytes after the header
    packet = RtpPacket.parse(data[:12] + b"\x00\x00\x03")
    assert packet.payload == b"" and packet.padding_size == 3


def test_buffer_inputs_are_copied() -> None:
    buffer = bytearray(FULL)
    packet = RtpPacket.parse(memoryview(buffer))
    buffer[:] = bytes(len(buffer))  # the receive buffer is reused
    assert packet.payload == b"xyz"
    assert packet.extensions == {1: b"a", 2: b"\x00\x01"}
    assert packet.serialize() == FULL
    assert RtpPacket.parse(bytearray(MINIMAL)).payload == b"payload"


def test_non_buffer_input_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        RtpPacket.parse("not bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        RtpPacket.parse(1200)  # type: ignore[arg-type]


def test_fields_are_settable_and_checked() -> None:
    packet = RtpPacket.parse(MINIMAL)
    packet.marker = 0
    packet.payload_type = 0
    packet.sequence_number = 0xFFFF
    packet.timestamp = 0xFFFFFFFF
    packet.ssrc = 5
    packet.payload = bytearray(b"new")
    packet.padding_size = 1
    packet.csrc.append(7)
    packet.extensions[14] = b"e"
    data = packet.serialize()
    again = RtpPacket.parse(data)
    assert (again.marker, again.payload_type, again.sequence_number) == (0, 0, 0xFFFF)
    assert (again.timestamp, again.ssrc, again.payload) == (0xFFFFFFFF, 5, b"new")
    assert (again.padding_size, again.csrc, again.extensions) == (1, [7], {14: b"e"})
    assert type(again.payload) is bytes

    for name, bad in [
        ("payload_type", 128),
        ("payload_type", -1),
        ("sequence_number", 0x10000),
        ("timestamp", 1 << 32),
        ("ssrc", 1 << 80),
        ("padding_size", 256),
    ]:
        with pytest.raises(ValueError, match="outside"):
            setattr(packet, name, bad)
    with pytest.raises(ValueError):
        RtpPacket(payload_type=200)


def test_serialize_rejects_bad_lists() -> None:
    with pytest.raises(ValueError, match="at most 15 CSRCs"):
        RtpPacket(csrc=range(16)).serialize()
    with pytest.raises(ValueError, match="CSRC"):
        RtpPacket(csrc=[1 << 32]).serialize()
    with pytest.raises(ValueError, match="outside 1-255"):
        RtpPacket(extensions={0: b"x"}).serialize()
    with pytest.raises(ValueError, match="outside 1-255"):
        RtpPacket(extensions={256: b"x"}).serialize()
    with pytest.raises(ValueError, match="longer than 255"):
        RtpPacket(extensions={1: bytes(256)}).serialize()
    with pytest.raises(TypeError, match="must be bytes"):
        RtpPacket(extensions={1: "text"}).serialize()  # type: ignore[dict-item]


def test_touching_extensions_rebuilds_the_block() -> None:
    # a block with padding between elements and a trailing ID 15 element
    block = bytes.fromhex("1061 00 2100 01 f0 00 0000 0000")
    assert len(block) == 12
    data = bytes.fromhex("90e0 1234 deadbeef 01020304 bede 0003") + block + b"pl"
    assert RtpPacket.parse(data).serialize() == data  # untouched: verbatim
    packet = RtpPacket.parse(data)
    assert packet.extensions == {1: b"a", 2: b"\x00\x01"}
    rebuilt = bytes.fromhex("90e0 1234 deadbeef 01020304 bede 0002 1061 21 0001 000000") + b"pl"
    assert packet.serialize() == rebuilt
    packet.extensions.clear()
    assert packet.serialize() == bytes.fromhex("80e0 1234 deadbeef 01020304") + b"pl"


def test_empty_extension_block_and_foreign_profile() -> None:
    empty = bytes.fromhex("90e0 1234 deadbeef 01020304 bede 0000") + b"p"
    packet = RtpPacket.parse(empty)
    assert packet.payload == b"p"
    assert packet.extensions == {}
    # RFC 3550 §5.3.1 block with a profile that is not RFC 8285: no elements, payload intact
    foreign = bytes.fromhex("90e0 1234 deadbeef 01020304 abcd 0001 01020304") + b"p"
    packet = RtpPacket.parse(foreign)
    assert packet.payload == b"p"
    assert RtpPacket.parse(foreign).serialize() == foreign
    assert packet.extensions == {}
    assert packet.serialize() == bytes.fromhex("80e0 1234 deadbeef 01020304") + b"p"


def test_bare_new_instance_is_an_empty_packet() -> None:
    # RtpPacket.__new__ skips __init__: the native code must still not touch missing data
    for read in ("serialize", "csrc", "extensions", "payload", "payload_length"):
        packet = RtpPacket.__new__(RtpPacket)
        value = getattr(packet, read)
        if read == "serialize":
            value = value()
        assert value in (bytes.fromhex("80000000 00000000 00000000"), [], {}, b"", 0)


def test_bare_new_instance_with_some_fields_set_serializes() -> None:
    # a field set before any view is read: the parts still unset are empty, not read from
    # a datagram the packet does not have
    header = bytes.fromhex("80000000 00000000 00000000")
    packet = RtpPacket.__new__(RtpPacket)
    packet.payload = b"abc"
    assert packet.serialize() == header + b"abc"
    packet = RtpPacket.__new__(RtpPacket)
    packet.csrc = [7]
    assert packet.serialize() == bytes.fromhex("81000000 00000000 00000000 00000007")
    packet = RtpPacket.__new__(RtpPacket)
    packet.extensions = {1: b"x"}
    assert packet.serialize() == bytes.fromhex("90000000 00000000 00000000 bede0001 10780000")


def test_copy_and_pickle() -> None:
    parsed = RtpPacket.parse(FULL)
    assert pickle.loads(pickle.dumps(parsed)).serialize() == FULL
    duplicate = copy.deepcopy(parsed)
    duplicate.extensions[3] = b"z"
    assert parsed.extensions == {1: b"a", 2: b"\x00\x01"}


def test_non_integers_are_type_errors() -> None:
    with pytest.raises(TypeError):
        RtpPacket(sequence_number=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        RtpPacket(csrc=["1"]).serialize()  # type: ignore[list-item]
    with pytest.raises(TypeError):
        RtpPacket(extensions={"1": b"x"}).serialize()  # type: ignore[dict-item]
