"""H.264 payload format (RFC 6184): Annex B, single NAL / STAP-A / FU-A, aiortc cross-check."""

from __future__ import annotations

import contextlib
import os

import pytest
from aiortc.codecs.h264 import H264Encoder, H264PayloadDescriptor
from balance import assert_balanced
from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc import ParseError
from pyrtc.media import (
    DepacketizeError,
    PacketizeError,
    h264_depacketize,
    h264_is_keyframe,
    h264_packetize,
    h264_payload_info,
    h264_split_annexb,
)

SPS = bytes.fromhex("6742c01fda0140167b0110000003001000000303c0f18319e0")
PPS = bytes.fromhex("68ce3c80")


def annexb(nals: list[bytes]) -> bytes:
    return b"".join(b"\x00\x00\x00\x01" + nal for nal in nals)


def escape(body: bytes) -> bytes:
    """Emulation prevention (H.264 §7.4.1): no 00 00 0x (x <= 3) inside a NAL unit."""
    out = bytearray()
    zeros = 0
    for b in body:
        if zeros >= 2 and b <= 3:
            out.append(3)
            zeros = 0
        out.append(b)
        zeros = zeros + 1 if b == 0 else 0
    if out and out[-1] == 0:
        out.append(0x80)  # rbsp_stop_one_bit: a NAL unit never ends with a zero byte
    return bytes(out)


def test_split_annexb_start_code_forms() -> None:
    frame = b"\x00\x00\x01" + SPS + b"\x00\x00\x00\x01" + PPS + b"\x00\x00\x01\x65\x88\x00\x00"
    assert h264_split_annexb(frame) == [SPS, PPS, b"\x65\x88"]
    with pytest.raises(PacketizeError):
        h264_split_annexb(b"\x65\x88\x84")
    with pytest.raises(PacketizeError):
        h264_split_annexb(b"\x01\x00\x00\x01\x65")


def test_stap_a_layout() -> None:
    idr = b"\x65\x88\x84\x21"
    payloads = h264_packetize(annexb([SPS, PPS, idr]))
    # RFC 6184 §5.7.1: STAP-A header (F|max NRI|24), then 16-bit size + NAL unit each.
    expected = (
        bytes([0x78])
        + len(SPS).to_bytes(2, "big")
        + SPS
        + len(PPS).to_bytes(2, "big")
        + PPS
        + len(idr).to_bytes(2, "big")
        + idr
    )
    assert payloads == [expected]
    assert h264_payload_info(expected) == 3 and h264_is_keyframe(expected)
    assert h264_depacketize(payloads) == annexb([SPS, PPS, idr])


def test_fu_a_layout_and_balance() -> None:
    nal = b"\x65" + bytes(range(256)) * 10  # 2561 bytes: IDR with first_mb_in_slice 0
    payloads = h264_packetize(annexb([nal]), mtu=1000)
    assert len(payloads) == 3
    assert [p[:2] for p in payloads] == [b"\x7c\x85", b"\x7c\x05", b"\x7c\x45"]
    sizes = [len(p) - 2 for p in payloads]
    assert sum(sizes) == 2560
    assert_balanced(sizes)
    assert h264_payload_info(payloads[0]) == 2  # first byte 0x00: first_mb_in_slice != 0
    assert h264_payload_info(payloads[1]) == 2
    assert h264_depacketize(payloads) == annexb([nal])


def test_frame_start_detection() -> None:
    assert h264_payload_info(b"\x41\x9a\x00") == 1  # P slice, first_mb_in_slice 0
    assert h264_payload_info(b"\x41\x1a\x00") == 0  # a later slice of the picture
    assert h264_payload_info(b"\x09\xf0") == 1  # access unit delimiter


def test_mode_0() -> None:
    nals = [SPS, PPS, b"\x65" + b"\x11" * 500]
    assert h264_packetize(annexb(nals), mode=0) == nals
    with pytest.raises(PacketizeError):
        h264_packetize(annexb([b"\x65" + b"\x11" * 1500]), mode=0)


def test_rejects_rtp_nal_types_in_input() -> None:
    with pytest.raises(PacketizeError):
        h264_packetize(annexb([b"\x7c\x85\x00"]))


@pytest.mark.parametrize(
    "payloads",
    [
        [],
        [b""],
        [b"\x7c\x85"],  # FU-A without data
        [b"\x7c\xc5\x00"],  # FU-A with both S and E
        [b"\x7c\x05\x00"],  # FU-A continuation without a start
        [b"\x7c\x85\x00"],  # FU-A never ends
        [b"\x7c\x85\x00", b"\x65\x00"],  # single NAL interrupts a FU-A
        [b"\x78\x00"],  # STAP-A truncated
        [b"\x78\x00\x05\x67"],  # STAP-A size beyond the payload
        [b"\x78\x00\x00\x67"],  # STAP-A zero size
        [b"\x79\x00\x01\x67"],  # STAP-B unsupported
        [b"\x00\x01"],  # NAL type 0
    ],
)
def test_malformed(payloads: list[bytes]) -> None:
    with pytest.raises(DepacketizeError):
        h264_depacketize(payloads)


nal_bodies = st.builds(
    lambda header, body: bytes([header]) + escape(body),
    st.sampled_from([0x67, 0x68, 0x06, 0x65, 0x41, 0x01, 0x21]),
    st.one_of(st.binary(min_size=1, max_size=300), st.binary(min_size=1000, max_size=40_000)),
)


@settings(max_examples=60, deadline=None)
@given(nals=st.lists(nal_bodies, min_size=1, max_size=8), mtu=st.integers(100, 1500))
def test_round_trip(nals: list[bytes], mtu: int) -> None:
    frame = annexb(nals)
    payloads = h264_packetize(frame, mtu=mtu)
    assert all(len(p) <= mtu for p in payloads)
    assert h264_depacketize(payloads) == frame
    # aiortc's depayloader rebuilds the same Annex B stream from our packets
    assert b"".join(H264PayloadDescriptor.parse(p)[1] for p in payloads) == frame
    # and ours rebuilds aiortc's packets (its MTU is 1300)
    assert h264_depacketize(H264Encoder._packetize(nals)) == frame


@settings(max_examples=10, deadline=None)
@given(size=st.integers(100_000, 200_000))
def test_round_trip_large(size: int) -> None:
    nal = b"\x65" + escape(os.urandom(size))
    payloads = h264_packetize(annexb([SPS, PPS, nal]), mtu=1200)
    assert all(len(p) <= 1200 for p in payloads)
    assert h264_depacketize(payloads) == annexb([SPS, PPS, nal])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=40), min_size=1, max_size=4))
def test_fuzz_only_parse_errors(payloads: list[bytes]) -> None:
    with contextlib.suppress(ParseError):
        h264_depacketize(payloads)
    for p in payloads:
        with contextlib.suppress(ParseError):
            h264_payload_info(p)
