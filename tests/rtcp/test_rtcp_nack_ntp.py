"""NACK PID/BLP helpers (RFC 4585 6.2.1) and NTP / RTT helpers (RFC 3550 6.4.1)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyrtc.rtcp import (
    NTP_UNIX_OFFSET,
    RtcpNackPacket,
    lost_from_nack_pairs,
    nack_pairs_from_lost,
    ntp_middle32,
    ntp_to_seconds,
    parse_compound,
    rtt_from_report,
    seconds_to_ntp,
)


def test_pairs_pack_up_to_16_following_packets() -> None:
    assert nack_pairs_from_lost([]) == []
    assert nack_pairs_from_lost([5]) == [(5, 0)]
    assert nack_pairs_from_lost(range(10, 27)) == [(10, 0xFFFF)]
    assert nack_pairs_from_lost(range(10, 28)) == [(10, 0xFFFF), (27, 0)]
    assert nack_pairs_from_lost([7, 5, 5, 6]) == [(5, 0b11)]


def test_pairs_across_wraparound() -> None:
    assert nack_pairs_from_lost([0, 1, 65535, 65534]) == [(65534, 0b111)]
    assert nack_pairs_from_lost([65535, 15]) == [(65535, 1 << 15)]
    assert nack_pairs_from_lost([65535, 16]) == [(65535, 0), (16, 0)]
    assert nack_pairs_from_lost([-1, 65536]) == [(65535, 1)]  # taken modulo 2**16


def test_lost_from_pairs_wraps_and_drops_repeats() -> None:
    assert lost_from_nack_pairs([(65535, 0b101)]) == [65535, 0, 2]
    assert lost_from_nack_pairs([(1, 1), (2, 0)]) == [1, 2]


def minimal_pair_count(seqs: set[int]) -> int:
    """Brute force: the fewest windows [pid, pid+16] covering seqs on the 2**16 circle."""
    best = None
    for start in seqs:
        ordered = sorted((s - start) & 0xFFFF for s in seqs)
        count, covered_to = 0, -1
        for value in ordered:
            if value > covered_to:
                count += 1
                covered_to = value + 16
        best = count if best is None else min(best, count)
    return best or 0


window_losses = st.tuples(st.integers(0, 0xFFFF), st.sets(st.integers(0, 300), max_size=60)).map(
    lambda t: {(t[0] + offset) & 0xFFFF for offset in t[1]}
)


@given(window_losses)
def test_pairs_round_trip_and_are_minimal(lost: set[int]) -> None:
    pairs = nack_pairs_from_lost(lost)
    assert set(lost_from_nack_pairs(pairs)) == lost
    assert len(pairs) == minimal_pair_count(lost)


@given(window_losses, st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
def test_nack_packet_round_trip(lost: set[int], ssrc: int, media_ssrc: int) -> None:
    packet = RtcpNackPacket(ssrc, media_ssrc, sorted(lost))
    (parsed,) = parse_compound(bytes(packet))
    assert isinstance(parsed, RtcpNackPacket)
    assert (parsed.ssrc, parsed.media_ssrc, set(parsed.lost)) == (ssrc, media_ssrc, lost)
    assert bytes(parsed) == bytes(packet)


def test_ntp_conversions() -> None:
    assert ntp_to_seconds(0x0000000180000000) == 1.5
    assert seconds_to_ntp(1.5) == 0x0000000180000000
    unix = 1_700_000_000.25
    assert ntp_to_seconds(seconds_to_ntp(unix + NTP_UNIX_OFFSET)) - NTP_UNIX_OFFSET == unix
    assert ntp_middle32(0xE54A1B2C80000000) == 0x1B2C8000


def test_rtt_example_from_rfc3550() -> None:
    # RFC 3550 6.4.1: A = 0xb710:8000 (46864.5 s), LSR = 0xb705:2000 (46853.125 s),
    # DLSR = 0x0005:4000 (5.25 s) give an RTT of 0x0006:2000, 6.125 s.
    arrival = 0xB7108000 << 16
    assert rtt_from_report(arrival, 0xB7052000, 0x00054000) == 6.125


def test_rtt_edge_cases() -> None:
    assert rtt_from_report(0x1234 << 32, 0, 0) is None  # no SR received yet
    # LSR just before the 32-bit wrap, arrival just after it: still 1 s.
    assert rtt_from_report(0x00008000 << 16, 0xFFFF8000, 0) == 1.0
    assert rtt_from_report(0x00010000 << 16, 0x00010000, 0x00008000) == pytest.approx(-0.5)
