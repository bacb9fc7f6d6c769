"""The fragment loop and payload joining that VP8 and VP9 share (``packetize_common.pxd``):
each codec keeps its own descriptor and its own error messages."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from balance import assert_balanced

from pyrtc.media import (
    DepacketizeError,
    vp8_depacketize,
    vp8_packetize,
    vp8_payload_info,
    vp9_depacketize,
    vp9_packetize,
    vp9_payload_info,
)

KEY_640x480 = bytes.fromhex("824983422027f01df0")  # VP9 profile 0 keyframe header
DELTA = bytes([0x86])  # VP9 delta frame header

Join = Callable[[list[bytes]], bytes]


@pytest.mark.parametrize(
    ("join", "payloads", "message"),
    [
        (vp8_depacketize, [], "no VP8 payloads"),
        (vp8_depacketize, [b"\x10"], "VP8 payload has no data after the descriptor"),
        (vp8_depacketize, [b"\x80\x00\x01"], "VP8 frame does not start with S=1, PID=0"),
        (vp8_depacketize, [b"\x10\x01", b"\x00"], "VP8 payload has no data after"),
        (vp9_depacketize, [], "no VP9 payloads"),
        (vp9_depacketize, [b"\x08"], "VP9 payload has no data after the descriptor"),
        (vp9_depacketize, [b"\x00\x01"], "VP9 frame does not start with B=1"),
        (vp9_depacketize, [b"\x08\x01", b"\x80\x01"], "VP9 payload has no data after"),
    ],
)
def test_join_errors_name_the_codec(join: Join, payloads: list[bytes], message: str) -> None:
    with pytest.raises(DepacketizeError, match=message):
        join(payloads)


def test_payload_info_needs_data_after_the_descriptor() -> None:
    with pytest.raises(DepacketizeError, match="VP8 payload has no data"):
        vp8_payload_info(b"\x90\x80\x80\x01")
    with pytest.raises(DepacketizeError, match="VP9 payload has no data"):
        vp9_payload_info(b"\x88\x80\x01")


@pytest.mark.parametrize("size", [1, 99, 100, 101, 1000, 4321])
def test_vp8_fragments_carry_the_frame_in_order(size: int) -> None:
    frame = bytes(i % 251 for i in range(size))
    payloads = vp8_packetize(frame, mtu=104, picture_id=0x1234)
    assert all(len(p) <= 104 for p in payloads)
    assert [p[0] for p in payloads] == [0x90] + [0x80] * (len(payloads) - 1)
    assert all(p[1:4] == b"\x80\x92\x34" for p in payloads)
    assert b"".join(p[4:] for p in payloads) == frame
    assert_balanced([len(p) for p in payloads])


@pytest.mark.parametrize("size", [0, 90, 91, 92, 1000, 4321])
def test_vp9_keyframe_ss_counts_in_the_first_share(size: int) -> None:
    frame = KEY_640x480 + bytes(i % 251 for i in range(size))
    payloads = vp9_packetize(frame, mtu=103, picture_id=0x0102)
    assert all(len(p) <= 103 for p in payloads)
    assert payloads[0][3:8] == b"\x10\x02\x80\x01\xe0"  # SS: one layer, 640x480
    assert payloads[0][0] & 0x0A == 0x0A and payloads[-1][0] & 0x04  # B+V first, E last
    data = [payloads[0][8:], *(p[3:] for p in payloads[1:])]
    assert b"".join(data) == frame
    assert_balanced([len(p) for p in payloads])  # whole payloads, SS included
    assert vp9_depacketize(payloads) == frame


def test_vp9_delta_frame_has_no_ss() -> None:
    frame = DELTA + bytes(300)
    payloads = vp9_packetize(frame, mtu=103)
    assert [p[0] for p in payloads] == [0xC8, 0xC0, 0xC0, 0xC4]  # I+P, B first, E last
    assert b"".join(p[3:] for p in payloads) == frame
