"""Cross-check with aiortc 1.16 (``aiortc.rtp``): its packets parse equal with ours and back.

aiortc models NACK as ``RtcpRtpfbPacket(fmt=1, lost=...)`` and PLI/REMB as ``RtcpPsfbPacket``
with raw FCI; pyrtc has dedicated classes, so fields are compared one by one.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

aiortc_rtp = __import__("pytest").importorskip("aiortc.rtp")

from pyrtc.rtcp import (  # noqa: E402
    RtcpByePacket,
    RtcpNackPacket,
    RtcpPliPacket,
    RtcpReceiverInfo,
    RtcpRembPacket,
    RtcpRrPacket,
    RtcpSdesPacket,
    RtcpSenderInfo,
    RtcpSourceInfo,
    RtcpSrPacket,
    parse_compound,
    serialize_compound,
)

u32 = st.integers(0, 2**32 - 1)
report_fields = st.tuples(
    u32, st.integers(0, 255), st.integers(-(2**23), 2**23 - 1), u32, u32, u32, u32
)
reports = st.lists(report_fields, max_size=31)
sender_fields = st.tuples(st.integers(0, 2**64 - 1), u32, u32, u32)
item_values = st.binary(max_size=255)
sdes_items = st.lists(st.tuples(st.integers(1, 8), item_values), max_size=4)
bitrates = st.integers(0, 0x3FFFF << 40)


def their_reports(fields: list[tuple[int, ...]]) -> list[Any]:
    return [aiortc_rtp.RtcpReceiverInfo(*f) for f in fields]


def our_reports(fields: list[tuple[int, ...]]) -> list[RtcpReceiverInfo]:
    return [RtcpReceiverInfo(*f) for f in fields]


def report_tuple(report: Any) -> tuple[int, ...]:
    return (
        report.ssrc,
        report.fraction_lost,
        report.packets_lost,
        report.highest_sequence,
        report.jitter,
        report.lsr,
        report.dlsr,
    )


@given(u32, sender_fields, reports, u32, reports)
def test_sr_rr_both_ways(
    ssrc: int,
    sender: tuple[int, int, int, int],
    sr_reports: list[tuple[int, ...]],
    rr_ssrc: int,
    rr_reports: list[tuple[int, ...]],
) -> None:
    theirs = [
        aiortc_rtp.RtcpSrPacket(
            ssrc=ssrc,
            sender_info=aiortc_rtp.RtcpSenderInfo(*sender),
            reports=their_reports(sr_reports),
        ),
        aiortc_rtp.RtcpRrPacket(ssrc=rr_ssrc, reports=their_reports(rr_reports)),
    ]
    ours = [
        RtcpSrPacket(ssrc, RtcpSenderInfo(*sender), our_reports(sr_reports)),
        RtcpRrPacket(rr_ssrc, our_reports(rr_reports)),
    ]
    their_bytes = b"".join(bytes(p) for p in theirs)
    assert parse_compound(their_bytes, strict=True) == ours
    assert serialize_compound(ours) == their_bytes
    sr, rr = aiortc_rtp.RtcpPacket.parse(serialize_compound(ours))
    assert (sr.ssrc, [report_tuple(r) for r in sr.reports]) == (ssrc, sr_reports)
    assert (sr.sender_info.ntp_timestamp, sr.sender_info.octet_count) == (sender[0], sender[3])
    assert (rr.ssrc, [report_tuple(r) for r in rr.reports]) == (rr_ssrc, rr_reports)


@given(u32, sdes_items)
def test_sdes_single_chunk_both_ways(ssrc: int, items: list[tuple[int, bytes]]) -> None:
    # aiortc ends every chunk with two nulls and aligns only the end of the packet, which is
    # only RFC 3550-conformant for a single chunk; so the cross-check uses one chunk.
    theirs = aiortc_rtp.RtcpSdesPacket(chunks=[aiortc_rtp.RtcpSourceInfo(ssrc=ssrc, items=items)])
    ours = RtcpSdesPacket([RtcpSourceInfo(ssrc, items)])
    assert parse_compound(bytes(theirs)) == [ours]
    (parsed,) = aiortc_rtp.RtcpPacket.parse(bytes(ours))
    assert [(c.ssrc, c.items) for c in parsed.chunks] == [(ssrc, items)]


@given(st.lists(u32, max_size=31))
def test_bye_both_ways(sources: list[int]) -> None:
    theirs = aiortc_rtp.RtcpByePacket(sources=sources)
    assert parse_compound(bytes(theirs)) == [RtcpByePacket(sources)]
    (parsed,) = aiortc_rtp.RtcpPacket.parse(bytes(RtcpByePacket(sources, b"bye")))
    assert parsed.sources == sources


@given(
    u32, u32, st.integers(0, 0xFFFF - 200), st.sets(st.integers(0, 200), min_size=1, max_size=50)
)
def test_nack_both_ways(ssrc: int, media_ssrc: int, base: int, offsets: set[int]) -> None:
    # aiortc's encoder needs ascending numbers below 2**16 and its decoder does not wrap.
    lost = sorted(base + offset for offset in offsets)
    theirs = aiortc_rtp.RtcpRtpfbPacket(fmt=1, ssrc=ssrc, media_ssrc=media_ssrc, lost=lost)
    (ours,) = parse_compound(bytes(theirs))
    assert isinstance(ours, RtcpNackPacket)
    assert (ours.ssrc, ours.media_ssrc) == (ssrc, media_ssrc)
    assert set(ours.lost) == {seq & 0xFFFF for seq in lost}
    (parsed,) = aiortc_rtp.RtcpPacket.parse(bytes(ours))
    assert (parsed.fmt, parsed.ssrc, parsed.media_ssrc) == (1, ssrc, media_ssrc)
    assert {seq & 0xFFFF for seq in parsed.lost} == set(ours.lost)


@given(u32, u32)
def test_pli_both_ways(ssrc: int, media_ssrc: int) -> None:
    theirs = aiortc_rtp.RtcpPsfbPacket(fmt=1, ssrc=ssrc, media_ssrc=media_ssrc)
    assert parse_compound(bytes(theirs)) == [RtcpPliPacket(ssrc, media_ssrc)]
    (parsed,) = aiortc_rtp.RtcpPacket.parse(bytes(RtcpPliPacket(ssrc, media_ssrc)))
    assert (parsed.fmt, parsed.ssrc, parsed.media_ssrc, parsed.fci) == (1, ssrc, media_ssrc, b"")


@given(u32, bitrates, st.lists(u32, max_size=20))
def test_remb_both_ways(ssrc: int, bitrate: int, ssrcs: list[int]) -> None:
    fci = aiortc_rtp.pack_remb_fci(bitrate, ssrcs)
    theirs = aiortc_rtp.RtcpPsfbPacket(fmt=15, ssrc=ssrc, media_ssrc=0, fci=fci)
    expected_bitrate, _ = aiortc_rtp.unpack_remb_fci(fci)
    assert parse_compound(bytes(theirs)) == [RtcpRembPacket(ssrc, expected_bitrate, ssrcs)]
    ours = RtcpRembPacket(ssrc, bitrate, ssrcs)
    assert bytes(ours) == bytes(theirs)  # same exponent choice, same bytes
    (parsed,) = aiortc_rtp.RtcpPacket.parse(bytes(ours))
    assert aiortc_rtp.unpack_remb_fci(parsed.fci) == (expected_bitrate, ssrcs)
