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
    for kind in draw(st.lists(st.sampled_from("rrrrlLxG"), min_size=1, max_size=300)):
        seq = (base + len(packets)) & 0xFFFF
        if kind == "G":  # a long gap: a run of lost packets, possibly past 8191
            gap = min(draw(st.integers(2, 9000)), 60000 - len(packets))  # status count <= 65535
            packets += [TwccPacketStatus((seq + i) & 0xFFFF, None) for i in range(gap)]
        elif kind == "x":
            packets.append(TwccPacketStatus(seq, None))
        else:
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


# Transport-cc packets from browsers, as used for test vectors in pion/rtcp's
# transport_layer_cc_test.go. pyrtc re-encodes the libwebrtc-made ones byte for byte.
BROWSER_PACKETS = [
    (
        # 1 packet, run-length chunk "received, small delta" x1, delta 148 (37 ms)
        "afcd0005 fa17fa17 43032fa0 0099 0001 3de802 17 2001 94 01",
        4057090,
        23,
        [(153, [148])],
    ),
    (
        # 7 packets, run-length chunk x7, 3 bytes of padding
        "afcd0007 fa17fa17 193dd8bb 0004 0007 10636e 01 2007 4c2424100c0c10 000003",
        1074030,
        1,
        [(4, [0x4C, 0x24, 0x24, 0x10, 0x0C, 0x0C, 0x10])],
    ),
    (
        # 14 packets in a 1-bit vector: received x3, lost, received, lost x9
        "afcd0006 fa17fa17 193dd8bb 0001 000e 10636d 00 ba00 100c0c10 0002",
        1074029,
        0,
        [(1, [0x10, 0x0C, 0x0C]), (5, [0x10])],
    ),
    (
        # 12 packets in a 1-bit vector: received x5, lost, received x2, lost x4
        "afcd0007 fa17fa17 43032fa0 9c14 000c 758420 00 bec0 c13f3b3f53903b 000003",
        7701536,
        0,
        [(39956, [0xC1, 0x3F, 0x3B, 0x3F, 0x53]), (39962, [0x90, 0x3B])],
    ),
]


def expected_packets(
    reference_time: int, count: int, runs: list[tuple[int, list[int]]]
) -> list[tuple[int, int | None]]:
    """Build (seq, time) from runs of consecutive received packets and their deltas."""
    received = {}
    ticks = reference_time * 256
    for first, deltas in runs:
        for i, delta in enumerate(deltas):
            ticks += delta
            received[first + i] = ticks * 250
    base = runs[0][0]
    return [(base + i, received.get(base + i)) for i in range(count)]


@pytest.mark.parametrize(("hex_text", "reference_time", "fb_count", "runs"), BROWSER_PACKETS)
def test_browser_packets(
    hex_text: str, reference_time: int, fb_count: int, runs: list[tuple[int, list[int]]]
) -> None:
    data = bytes.fromhex(hex_text.replace(" ", ""))
    (packet,) = parse_compound(data)
    assert isinstance(packet, RtcpTransportCcPacket)
    count = int.from_bytes(data[14:16], "big")
    assert (packet.reference_time, packet.fb_pkt_count) == (reference_time, fb_count)
    assert packet.packets == expected_packets(reference_time, count, runs)
    assert bytes(packet) == data


def test_browser_packet_with_overlong_run_decodes() -> None:
    # From the same source: the last run-length chunk announces 48 lost packets where only 2
    # remain of the status count; decoders clamp it. pyrtc re-encodes that run as length 2.
    data = bytes.fromhex(
        "afcd0007 9b74f61f 9371dcbc 853c 0009 63f916 b3 d552 0030 9baa6aaa7b 0109 01"
    )
    (packet,) = parse_compound(data)
    assert isinstance(packet, RtcpTransportCcPacket)
    assert packet.packets == expected_packets(
        6551830, 9, [(34108, [0x9B, 0xAA, 0x6A, 0xAA, 0x7B]), (34114, [0x0109])]
    )
    assert bytes(packet) == data.replace(bytes.fromhex("0030"), bytes.fromhex("0002"))
