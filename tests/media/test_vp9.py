"""VP9 payload format (RFC 9628): descriptor layouts in both modes, SS, round trips, fuzz."""

from __future__ import annotations

import contextlib
import os

import pytest
from balance import assert_balanced
from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc import ParseError
from pyrtc.media import (
    DepacketizeError,
    PacketizeError,
    Vp9Descriptor,
    Vp9Packetizer,
    vp9_depacketize,
    vp9_frame_info,
    vp9_is_keyframe,
    vp9_packetize,
    vp9_payload_info,
)

# VP9 spec §6.2 uncompressed header of a profile 0 keyframe: frame_marker 2, profile 0,
# show_existing 0, frame_type 0, show_frame 1, error_res 0, sync code 49 83 42, color_space 1,
# color_range 0, width-1 = 639, height-1 = 479 (bits packed MSB first).
KEY_640x480 = bytes.fromhex("824983422027f01df0")
DELTA = bytes([0x86])  # frame_marker 2, profile 0, show_existing 0, frame_type 1


def test_frame_info() -> None:
    assert vp9_frame_info(KEY_640x480 + b"\x00" * 10) == (True, 640, 480)
    assert vp9_frame_info(DELTA + b"\x00") == (False, 0, 0)
    with pytest.raises(PacketizeError):
        vp9_frame_info(b"\x00\x00")  # frame_marker 0
    with pytest.raises(PacketizeError):
        vp9_frame_info(KEY_640x480[:5])


def test_non_flexible_descriptor_layout() -> None:
    # I=1 P=1 L=1 F=0 B=1 E=0 V=0 Z=1 | M=1 PictureID 0x0102 | TID=2 U=1 SID=1 D=1 | TL0PICIDX 9
    data = bytes([0b1110_1001, 0x81, 0x02, 0b010_1_001_1, 9]) + b"\xaa"
    d, length = Vp9Descriptor.parse(data)
    assert length == 5
    assert (d.picture_id, d.inter_picture, d.flexible, d.start, d.end) == (
        0x0102,
        True,
        False,
        True,
        False,
    )
    assert (d.not_reference_upper, d.tid, d.switching_up, d.sid, d.inter_layer) == (
        True,
        2,
        True,
        1,
        True,
    )
    assert d.tl0picidx == 9 and d.p_diffs == []
    assert d.serialize() == data[:5]
    assert vp9_payload_info(data) == 0  # B=1 but spatial layer 1 does not start the picture


def test_flexible_descriptor_with_p_diffs() -> None:
    # I=1 P=1 L=1 F=1 B=0 E=1 | 7-bit PictureID 5 | TID=1 SID=0 | P_DIFF 1 (N=1), 3 (N=0)
    data = bytes([0b1111_0100, 0x05, 0b001_0_000_0, (1 << 1) | 1, 3 << 1]) + b"\xbb"
    d, length = Vp9Descriptor.parse(data)
    assert length == 5
    assert (d.picture_id, d.long_picture_id, d.flexible, d.end) == (5, False, True, True)
    assert d.p_diffs == [1, 3] and d.tl0picidx is None
    assert d.serialize() == data[:5]


def test_scalability_structure() -> None:
    d = Vp9Descriptor(
        picture_id=300,
        start=True,
        spatial_layers=2,
        resolutions=[(320, 180), (640, 360)],
        picture_group=[(0, False, [1]), (1, True, [1, 2])],
    )
    data = d.serialize()
    # V byte: N_S=1, Y=1, G=1; then 2x(W,H), N_G=2, and the two PG entries
    assert data[:3] == bytes([0x8A, 0x81, 0x2C])  # I B V, M=1 PictureID 300
    assert data[3:] == bytes.fromhex("38014000b402800168020401380102")
    parsed, length = Vp9Descriptor.parse(data + b"\x00")
    assert length == len(data) and parsed == d


def test_packetize_keyframe_carries_resolution() -> None:
    frame = KEY_640x480 + os.urandom(3000)
    payloads = vp9_packetize(frame, mtu=1000, picture_id=0x1234)
    assert all(len(p) <= 1000 for p in payloads)
    assert_balanced([len(p) for p in payloads])  # whole packets, SS included
    first, _ = Vp9Descriptor.parse(payloads[0])
    assert (first.start, first.inter_picture, first.picture_id) == (True, False, 0x1234)
    assert first.resolutions == [(640, 480)] and first.spatial_layers == 1
    last, _ = Vp9Descriptor.parse(payloads[-1])
    assert (last.start, last.end, last.spatial_layers) == (False, True, None)
    assert vp9_payload_info(payloads[0]) == 3 and vp9_is_keyframe(payloads[0])
    assert vp9_payload_info(payloads[1]) == 0
    assert vp9_depacketize(payloads) == frame


def test_delta_frame_and_packetizer() -> None:
    packetizer = Vp9Packetizer(picture_id=0x7FFF)
    payloads = packetizer.packetize(DELTA + b"\x01" * 100)
    assert payloads[0][0] == 0b1100_1100  # I P B E
    assert vp9_payload_info(payloads[0]) == 1
    assert Vp9Descriptor.parse(packetizer.packetize(DELTA + b"x")[0])[0].picture_id == 0


@pytest.mark.parametrize(
    "payloads",
    [
        [],
        [b""],
        [b"\x88"],  # I set, PictureID missing
        [b"\x0c\x00\x00"[:1]],  # descriptor only
        [b"\x04\x00"],  # first packet without B
        [b"\x5c\x03\x03\x03\x03\x00"],  # four chained P_DIFF
        [b"\x0e\x10\x00\x00"],  # SS resolution truncated
        [b"\x0e\x08\x02\x04"],  # SS picture group truncated
    ],
)
def test_malformed(payloads: list[bytes]) -> None:
    with pytest.raises(DepacketizeError):
        vp9_depacketize(payloads)


@settings(max_examples=50, deadline=None)
@given(
    size=st.integers(1, 200_000),
    mtu=st.integers(100, 1500),
    key=st.booleans(),
    pid=st.integers(0, 0x7FFF),
)
def test_round_trip(size: int, mtu: int, key: bool, pid: int) -> None:
    frame = (KEY_640x480 if key else DELTA) + os.urandom(size)
    payloads = vp9_packetize(frame, mtu=mtu, picture_id=pid)
    assert all(len(p) <= mtu for p in payloads)
    assert vp9_depacketize(payloads) == frame
    assert vp9_is_keyframe(payloads[0]) == key


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=40), min_size=1, max_size=4))
def test_fuzz_only_parse_errors(payloads: list[bytes]) -> None:
    with contextlib.suppress(ParseError):
        vp9_depacketize(payloads)
    for p in payloads:
        with contextlib.suppress(ParseError):
            vp9_payload_info(p)
        with contextlib.suppress(ParseError):
            Vp9Descriptor.parse(p)
