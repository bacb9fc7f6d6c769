"""Hypothesis: every packet type round-trips; random, framed-random and truncated input only
ever raises RtcpError."""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc.rtcp import (
    CcfbMetric,
    CcfbReportBlock,
    DlrrReport,
    FirEntry,
    RtcpAppPacket,
    RtcpByePacket,
    RtcpCcfbPacket,
    RtcpError,
    RtcpFirPacket,
    RtcpNackPacket,
    RtcpPacket,
    RtcpPliPacket,
    RtcpPsfbPacket,
    RtcpRawPacket,
    RtcpReceiverInfo,
    RtcpRembPacket,
    RtcpRrPacket,
    RtcpRtpfbPacket,
    RtcpSdesPacket,
    RtcpSenderInfo,
    RtcpSourceInfo,
    RtcpSrPacket,
    RtcpTransportCcPacket,
    RtcpXrPacket,
    TwccPacketStatus,
    XrDlrrBlock,
    XrRawBlock,
    XrRrtrBlock,
    lost_from_nack_pairs,
    nack_pairs_from_lost,
    parse_compound,
    parse_compound_partial,
    serialize_compound,
)

u8 = st.integers(0, 255)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 2**32 - 1)
words = st.integers(0, 8).flatmap(lambda n: st.binary(min_size=4 * n, max_size=4 * n))

report_blocks = st.builds(
    RtcpReceiverInfo, u32, u8, st.integers(-(2**23), 2**23 - 1), u32, u32, u32, u32
)
sender_info = st.builds(RtcpSenderInfo, st.integers(0, 2**64 - 1), u32, u32, u32)
sdes_chunks = st.builds(
    RtcpSourceInfo,
    u32,
    st.lists(st.tuples(st.integers(1, 255), st.binary(max_size=40)), max_size=4),
)
remb_bitrates = st.integers(0, 0x3FFFF).flatmap(
    lambda m: st.integers(0, 63).map(lambda e: m << e)  # exactly representable
)


def canonical_lost(lost: set[int]) -> list[int]:
    return lost_from_nack_pairs(nack_pairs_from_lost(lost))


@st.composite
def twcc(draw: st.DrawFn) -> RtcpTransportCcPacket:
    reference_time = draw(st.integers(-(2**23), 2**23 - 1))
    base = draw(u16)
    deltas = draw(st.lists(st.none() | st.integers(-(2**15), 2**15 - 1), min_size=1))
    ticks = reference_time * 256
    statuses = []
    for i, delta in enumerate(deltas):
        if delta is not None:
            ticks += delta
        statuses.append(
            TwccPacketStatus((base + i) & 0xFFFF, None if delta is None else ticks * 250)
        )
    return RtcpTransportCcPacket(draw(u32), draw(u32), reference_time, draw(u8), statuses)


ccfb_blocks = st.builds(
    CcfbReportBlock,
    u32,
    u16,
    st.lists(st.builds(CcfbMetric, st.booleans(), st.integers(0, 3), st.integers(0, 0x1FFF))),
)
xr_blocks = st.one_of(
    st.builds(XrRrtrBlock, st.integers(0, 2**64 - 1)),
    st.builds(XrDlrrBlock, st.lists(st.builds(DlrrReport, u32, u32, u32), max_size=4)),
    st.builds(XrRawBlock, st.integers(6, 255), u8, words),
)

packets: st.SearchStrategy[RtcpPacket] = st.one_of(
    st.builds(RtcpSrPacket, u32, sender_info, st.lists(report_blocks, max_size=31), words),
    st.builds(RtcpRrPacket, u32, st.lists(report_blocks, max_size=31), words),
    st.builds(RtcpSdesPacket, st.lists(sdes_chunks, max_size=31)),
    st.builds(RtcpByePacket, st.lists(u32, max_size=31), st.none() | st.binary(max_size=255)),
    st.builds(RtcpAppPacket, st.integers(0, 31), u32, st.binary(min_size=4, max_size=4), words),
    # lost numbers in the canonical order a parse produces (wire order of minimal pairs)
    st.builds(RtcpNackPacket, u32, u32, st.sets(u16, max_size=40).map(canonical_lost)),
    st.builds(RtcpPliPacket, u32, u32),
    st.builds(RtcpFirPacket, u32, st.lists(st.builds(FirEntry, u32, u8)), u32),
    st.builds(RtcpRembPacket, u32, remb_bitrates, st.lists(u32, max_size=255), u32),
    st.builds(RtcpRtpfbPacket, st.sampled_from([2, 3, 4, 5, 8, 31]), u32, u32, words),
    st.builds(RtcpPsfbPacket, st.sampled_from([2, 3, 5, 7]), u32, u32, words),
    twcc(),
    st.builds(RtcpCcfbPacket, u32, st.lists(ccfb_blocks, max_size=4), u32),
    st.builds(RtcpXrPacket, u32, st.lists(xr_blocks, max_size=4)),
    st.builds(RtcpRawPacket, st.sampled_from([192, 195, 208, 210, 223]), st.integers(0, 31), words),
)


@settings(max_examples=300)
@given(st.lists(packets, min_size=1, max_size=4))
def test_round_trip(compound: list[RtcpPacket]) -> None:
    data = serialize_compound(compound)
    assert parse_compound(data) == compound
    assert serialize_compound(parse_compound(data)) == data


def only_rtcp_errors(data: bytes) -> None:
    try:
        packets = parse_compound(data)
    except RtcpError:
        pass
    else:
        # whatever parses must serialize again
        serialize_compound(packets)
    with contextlib.suppress(RtcpError):
        parse_compound(data, strict=True)
    _, errors = parse_compound_partial(data)
    assert all(isinstance(e, RtcpError) for e in errors)


@settings(max_examples=300)
@given(st.binary(max_size=200))
def test_random_bytes(data: bytes) -> None:
    only_rtcp_errors(data)


@settings(max_examples=500)
@given(
    st.sampled_from([200, 201, 202, 203, 204, 205, 206, 207, 195]),
    st.integers(0, 31),
    st.booleans(),
    words,
    st.binary(max_size=8),
)
def test_correctly_framed_random_bodies(
    packet_type: int, count: int, padded: bool, body: bytes, tail: bytes
) -> None:
    # A valid header around random bytes reaches every body parser.
    first = 0x80 | count | (0x20 if padded else 0)
    only_rtcp_errors(bytes((first, packet_type)) + (len(body) // 4).to_bytes(2, "big") + body)
    only_rtcp_errors(
        bytes((first, packet_type)) + (len(body) // 4).to_bytes(2, "big") + body + tail
    )


@settings(max_examples=200)
@given(st.lists(packets, min_size=1, max_size=3), st.data())
def test_truncated_and_corrupted_packets(compound: list[RtcpPacket], data: st.DataObject) -> None:
    wire = serialize_compound(compound)
    cut = data.draw(st.integers(0, len(wire) - 1))
    only_rtcp_errors(wire[:cut])
    position = data.draw(st.integers(0, len(wire) - 1))
    corrupted = bytearray(wire)
    corrupted[position] ^= data.draw(st.integers(1, 255))
    only_rtcp_errors(bytes(corrupted))
