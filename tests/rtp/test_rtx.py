"""RTX (RFC 4588 §4): wrap a packet for retransmission and recover it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyrtc.rtp import RtpPacket, RtpParseError, unwrap_rtx, wrap_rtx


def test_wrap_layout() -> None:
    original = RtpPacket(
        payload_type=96,
        marker=1,
        sequence_number=0xABCD,
        timestamp=90000,
        ssrc=0x11111111,
        payload=b"frame",
        csrc=[7],
        extensions={4: b"0", 3: b"\x00\x09"},
        padding_size=8,
    )
    rtx = wrap_rtx(original, payload_type=97, sequence_number=5, ssrc=0x22222222)
    assert rtx.payload == b"\xab\xcd" + b"frame"  # OSN first (RFC 4588 §4)
    assert (rtx.payload_type, rtx.sequence_number, rtx.ssrc) == (97, 5, 0x22222222)
    assert (rtx.marker, rtx.timestamp, rtx.csrc) == (1, 90000, [7])
    assert rtx.extensions == {4: b"0", 3: b"\x00\x09"}
    assert rtx.padding_size == 0
    wire = bytes.fromhex("91e1 0005 00015f90 22222222 00000007 bede0002 40 30 31 0009 000000")
    assert rtx.serialize() == wire + b"\xab\xcdframe"
    # copies, not shared: changing the RTX packet leaves the original alone
    rtx.extensions[3] = b"\x00\x0a"
    rtx.csrc.append(8)
    assert original.extensions[3] == b"\x00\x09" and original.csrc == [7]


def test_unwrap_parsed_rtx() -> None:
    wire = bytes.fromhex("80e1 0005 00015f90 22222222") + b"\xab\xcdframe"
    packet = unwrap_rtx(RtpPacket.parse(wire), payload_type=96, ssrc=0x11111111)
    assert (packet.payload_type, packet.sequence_number, packet.ssrc) == (96, 0xABCD, 0x11111111)
    assert (packet.marker, packet.timestamp, packet.payload) == (1, 90000, b"frame")


def test_unwrap_without_osn() -> None:
    # RTX packets that are only padding (bandwidth probes) carry no OSN
    probe = RtpPacket.parse(RtpPacket(payload_type=97, padding_size=200).serialize())
    with pytest.raises(RtpParseError, match="no original sequence number"):
        unwrap_rtx(probe, 96, 1)
    with pytest.raises(RtpParseError):
        unwrap_rtx(RtpPacket(payload=b"\x01"), 96, 1)
    assert unwrap_rtx(RtpPacket(payload=b"\x01\x02"), 96, 1).payload == b""


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        wrap_rtx(RtpPacket(), payload_type=128, sequence_number=0, ssrc=0)
    with pytest.raises(ValueError):
        unwrap_rtx(RtpPacket(payload=b"\x00\x00"), payload_type=96, ssrc=-1)


@given(
    st.integers(0, 0xFFFF),
    st.binary(max_size=300),
    st.dictionaries(st.integers(1, 14), st.binary(min_size=1, max_size=16), max_size=4),
    st.integers(0, 127),
    st.integers(0, 0xFFFF),
)
def test_round_trip(seq: int, payload: bytes, ext: dict[int, bytes], pt: int, rtx_seq: int) -> None:
    original = RtpPacket(
        payload_type=100,
        sequence_number=seq,
        timestamp=3,
        ssrc=4,
        payload=payload,
        extensions=ext,
    )
    rtx = RtpPacket.parse(wrap_rtx(original, pt, rtx_seq, 99).serialize())
    recovered = unwrap_rtx(rtx, 100, 4)
    assert recovered.serialize() == original.serialize()
