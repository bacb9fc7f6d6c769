"""Transport-wide CC feedback: round trips over random arrival patterns and chunk choice."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc.rtcp import RtcpError, RtcpTransportCcPacket, TwccPacketStatus, parse_compound
from pyrtc.rtcp.twcc import _chunk_symbols, _encode_chunks


def round_trip(packet: RtcpTransportCcPacket) -> RtcpTransportCcPacket:
    data = bytes(packet)
    assert len(data) % 4 == 0
    (parsed,) = parse_compound(data)
    assert isinstance(parsed, RtcpTransportCcPacket)
    assert bytes(parsed) == data
    return parsed


@st.composite
def feedback(draw: st.DrawFn) -> RtcpTransportCcPacket:
    """Random arrivals: losses, reordering (negative deltas), large gaps, base seq wrap."""
    base = draw(st.integers(0, 0xFFFF))
    reference_time = draw(st.integers(-0x800000, 0x7FFFFF))
    ticks = reference_time * 256
    small = st.integers(0, 255)
    large = st.integers(-0x8000, 0x7FFF)
    packets = []
    for index, kind in enumerate(
        draw(st.lists(st.sampled_from("rrrrlLx"), min_size=1, max_size=400))
    ):
        seq = (base + index) & 0xFFFF
        if kind == "x":
            packets.append(TwccPacketStatus(seq, None))
            continue
        ticks += draw(small if kind == "r" else large)
        packets.append(TwccPacketStatus(seq, ticks * 250))
    return RtcpTransportCcPacket(
        draw(st.integers(0, 2**32 - 1)),
        draw(st.integers(0, 2**32 - 1)),
        reference_time,
        draw(st.integers(0, 255)),
        packets,
    )


@settings(max_examples=200)
@given(feedback())
def test_round_trip_random_arrivals(packet: RtcpTransportCcPacket) -> None:
    assert round_trip(packet) == packet


def test_long_runs_split_at_8191() -> None:
    packets = [TwccPacketStatus(i, None) for i in range(20000)] + [TwccPacketStatus(20000, 0)]
    packet = RtcpTransportCcPacket(1, 2, 0, 0, packets)
    data = bytes(packet)
    # chunks: 8191 lost, 8191 lost, 3618 lost, 1 received
    assert data[20:28] == bytes.fromhex("1fff 1fff 0e22 2001")
    assert round_trip(packet) == packet


def test_receive_times_are_quantised_to_250us() -> None:
    packet = RtcpTransportCcPacket(1, 2, 1, 0, [(7, 64000 + 124), (8, 64000 + 376)])
    assert round_trip(packet).packets == [(7, 64000), (8, 64500)]


def test_zero_padding_inside_the_body_is_ignored() -> None:
    packet = RtcpTransportCcPacket(1, 2, 0, 0, [(5, 250)])
    data = bytes(packet)  # 16 + 2 + 1 body bytes, padded to 20 with the P bit
    zero_padded = bytes((data[0] & ~0x20,)) + data[1:-1] + b"\x00"
    assert parse_compound(zero_padded) == [packet]


def test_encoder_rejects_what_the_format_cannot_carry() -> None:
    with pytest.raises(ValueError, match="at least one"):
        bytes(RtcpTransportCcPacket(1, 2, 0, 0, []))
    with pytest.raises(ValueError, match="not consecutive"):
        bytes(RtcpTransportCcPacket(1, 2, 0, 0, [(1, 0), (3, 0)]))
    with pytest.raises(ValueError, match="signed 16-bit"):
        bytes(RtcpTransportCcPacket(1, 2, 0, 0, [(1, 0), (2, 0x8000 * 250)]))
    with pytest.raises(ValueError, match="24 bits"):
        bytes(RtcpTransportCcPacket(1, 2, 0x800000, 0, [(1, None)]))


def symbols_of(chunks: list[int], count: int) -> list[int]:
    out: list[int] = []
    for chunk in chunks:
        out += _chunk_symbols(chunk, count - len(out))
    return out


@given(st.lists(st.sampled_from([0, 1, 1, 1, 2]), min_size=1, max_size=300))
def test_chunks_decode_to_the_symbols_and_never_beat_naive_two_bit(symbols: list[int]) -> None:
    chunks = _encode_chunks(symbols)
    assert symbols_of(chunks, len(symbols)) == symbols
    assert len(chunks) <= -(-len(symbols) // 7)


def test_chunk_choices_match_libwebrtc_rules() -> None:
    # uniform symbols: one run-length chunk, even when short
    assert _encode_chunks([1, 1, 1]) == [0x2003]
    # 14 small/lost symbols: one 1-bit vector
    assert _encode_chunks([1, 0] * 7) == [0xAAAA]
    # a large delta among mixed symbols forces 2-bit vectors of 7
    # (01 00 10 01 00 01 01), then the leftover 01 00 in a final short 2-bit vector
    assert _encode_chunks([1, 0, 2, 1, 0, 1, 1, 1, 0]) == [0xD245, 0xD000]


@pytest.mark.parametrize(
    ("hex_body", "message"),
    [
        ("00000001 00000002 0000 0000 00000000", "reports no packets"),
        ("00000001 00000002 0000 0002 00000000", "status chunks truncated"),
        ("00000001 00000002 0000 0002 00000000 2002", "receive deltas truncated"),
        ("00000001 00000002 0000 0001 00000000 6001 00", "reserved status symbol"),
        ("00000001 00000002 0000 0001 00000000 f000 00", "reserved status symbol"),
    ],
)
def test_malformed_feedback(hex_body: str, message: str) -> None:
    body = bytes.fromhex(hex_body)
    first = 0x8F
    if len(body) % 4:  # pad with the P bit so the padding is not read as deltas
        pad = -len(body) % 4
        body += bytes(pad - 1) + bytes((pad,))
        first |= 0x20
    data = bytes((first, 205)) + (len(body) // 4).to_bytes(2, "big") + body
    with pytest.raises(RtcpError, match=message):
        parse_compound(data)
