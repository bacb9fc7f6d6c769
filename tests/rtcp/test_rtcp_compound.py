"""Compound and reduced-size RTCP (RFC 3550 6.1 and A.2, RFC 5506), padding and errors."""

from __future__ import annotations

import pytest

from pyrtc import ParseError
from pyrtc.rtcp import (
    RtcpByePacket,
    RtcpError,
    RtcpNackPacket,
    RtcpPacket,
    RtcpPliPacket,
    RtcpRawPacket,
    RtcpRrPacket,
    RtcpSdesPacket,
    RtcpSourceInfo,
    is_rtcp,
    parse_compound,
    parse_compound_partial,
    serialize_compound,
)

RR = RtcpRrPacket(1)
SDES = RtcpSdesPacket([RtcpSourceInfo(1, [(1, b"cname")])])
NACK = RtcpNackPacket(1, 2, [10])
PLI = RtcpPliPacket(1, 2)


def test_rtcp_packet_parse_is_the_aiortc_spelling() -> None:
    data = serialize_compound([RR, SDES])
    assert RtcpPacket.parse(data) == parse_compound(data) == [RR, SDES]


def test_reduced_size_accepted_by_default_rejected_when_strict() -> None:
    data = bytes(NACK)
    assert parse_compound(data) == [NACK]
    with pytest.raises(RtcpError, match="not SR or RR") as info:
        parse_compound(data, strict=True)
    assert info.value.offset == 0
    assert parse_compound(serialize_compound([RR, SDES, NACK]), strict=True) == [RR, SDES, NACK]


def with_padding(packet: bytes, pad: int) -> bytes:
    """Re-frame an RTCP packet with ``pad`` bytes of padding and the P bit."""
    words = (len(packet) - 4 + pad) // 4
    header = bytes((packet[0] | 0x20, packet[1])) + words.to_bytes(2, "big")
    return header + packet[4:] + bytes(pad - 1) + bytes((pad,))


def test_padding_on_last_packet() -> None:
    data = bytes(RR) + with_padding(bytes(PLI), 8)
    assert parse_compound(data, strict=True) == [RR, PLI]
    # Padding is normalised away: the packet re-serializes without it.
    assert serialize_compound(parse_compound(data)) == bytes(RR) + bytes(PLI)


def test_padding_on_a_middle_packet_only_rejected_when_strict() -> None:
    data = with_padding(bytes(RR), 4) + bytes(PLI)
    assert parse_compound(data) == [RR, PLI]
    with pytest.raises(RtcpError, match="only the last packet") as info:
        parse_compound(data, strict=True)
    assert info.value.offset == 0


@pytest.mark.parametrize("pad_byte", [0, 13])
def test_bad_padding_count(pad_byte: int) -> None:
    data = bytearray(with_padding(bytes(PLI), 4))
    data[-1] = pad_byte
    with pytest.raises(RtcpError, match="padding count"):
        parse_compound(bytes(data))


def test_raw_packet_with_unaligned_body_reserializes_padded() -> None:
    data = bytes.fromhex("a3d20001 0102 0002")  # P=1, one word: body 01 02 + 2 padding bytes
    (raw,) = parse_compound(data)
    assert raw == RtcpRawPacket(210, 3, b"\x01\x02")
    assert bytes(raw) == data


def test_header_errors_name_the_offset() -> None:
    good = bytes(RR)
    with pytest.raises(RtcpError, match="version 1") as info:
        parse_compound(good + b"\x41" + good[1:])
    assert info.value.offset == len(good)
    with pytest.raises(RtcpError, match="length says") as info:
        parse_compound(good + good[:-1])
    assert info.value.offset == len(good)
    with pytest.raises(RtcpError, match="too short for a header"):
        parse_compound(good + b"\x80\xc9")
    with pytest.raises(RtcpError, match="empty"):
        parse_compound(b"")


def test_body_error_is_a_parse_error_naming_offset_and_type() -> None:
    bad_pli = bytes.fromhex("81ce0003 00000001 00000002 00000000")  # PLI must have no FCI
    with pytest.raises(ParseError, match="at offset 8: packet type 206") as info:
        parse_compound(bytes(RR) + bad_pli)
    assert isinstance(info.value, RtcpError)
    assert info.value.offset == 8


def test_partial_parse_skips_bad_packets_and_stops_at_broken_framing() -> None:
    bad_pli = bytes.fromhex("81ce0003 00000001 00000002 00000000")
    packets, errors = parse_compound_partial(bytes(RR) + bad_pli + bytes(NACK))
    assert packets == [RR, NACK]
    assert [e.offset for e in errors] == [8]
    packets, errors = parse_compound_partial(bytes(RR) + b"\x00" * 8 + bytes(NACK))
    assert packets == [RR]
    assert len(errors) == 1 and "version 0" in str(errors[0])
    assert parse_compound_partial(bytes(NACK)) == ([NACK], [])


def test_is_rtcp() -> None:
    assert is_rtcp(bytes(RR))
    assert is_rtcp(bytes(NACK))
    assert not is_rtcp(bytes.fromhex("80600001"))  # RTP, payload type 96
    assert not is_rtcp(bytes.fromhex("80e0"))  # RTP, marker set and payload type 96
    assert not is_rtcp(b"\x80")


def test_serialization_rejects_values_that_do_not_fit() -> None:
    with pytest.raises(ValueError, match="RtcpRrPacket"):
        bytes(RtcpRrPacket(2**32))
    with pytest.raises(ValueError, match="31"):
        bytes(RtcpByePacket(list(range(32))))
    with pytest.raises(ValueError, match="out of range"):
        bytes(RtcpSdesPacket([RtcpSourceInfo(1, [(1, b"x" * 256)])]))
    with pytest.raises(ValueError, match="5 bits"):
        bytes(RtcpRawPacket(210, 32, b""))
