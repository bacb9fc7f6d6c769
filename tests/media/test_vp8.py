"""VP8 payload format (RFC 7741): descriptor layouts, round trips, aiortc cross-check, fuzz."""

from __future__ import annotations

import contextlib
import os

import pytest
from aiortc.codecs.vpx import VpxPayloadDescriptor
from balance import assert_balanced
from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc import ParseError
from pyrtc.media import (
    DepacketizeError,
    PacketizeError,
    Vp8Descriptor,
    Vp8Packetizer,
    vp8_depacketize,
    vp8_is_keyframe,
    vp8_packetize,
    vp8_payload_info,
)


def test_descriptor_all_fields() -> None:
    # RFC 7741 §4.2: X=1 S=1 PID=0, I L T K, M=1 PictureID=0x1234, TL0PICIDX, TID=2 Y=1 KEYIDX=5
    data = bytes([0x90, 0xF0, 0x92, 0x34, 0x56, 0b10_1_00101]) + b"\x00"
    d, length = Vp8Descriptor.parse(data)
    assert length == 6
    assert (d.start, d.partition_id, d.non_reference) == (True, 0, False)
    assert (d.picture_id, d.long_picture_id, d.tl0picidx) == (0x1234, True, 0x56)
    assert (d.tid, d.layer_sync, d.keyidx) == (2, True, 5)
    assert d.serialize() == data[:6]


def test_descriptor_minimal_and_short_picture_id() -> None:
    d, length = Vp8Descriptor.parse(b"\x23\xff")  # X=0 N=1 S=0 PID=3
    assert length == 1
    assert (d.non_reference, d.start, d.partition_id, d.picture_id) == (True, False, 3, None)
    assert d.serialize() == b"\x23"
    d, length = Vp8Descriptor.parse(b"\x80\x80\x11\xaa")  # 7-bit PictureID
    assert (length, d.picture_id, d.long_picture_id) == (3, 0x11, False)
    assert d.serialize() == b"\x80\x80\x11"


def test_descriptor_k_without_t() -> None:
    d, length = Vp8Descriptor.parse(bytes([0x80, 0x10, 0xC7, 0x00]))
    assert (length, d.tid, d.keyidx) == (3, None, 7)
    assert d.serialize() == bytes([0x80, 0x10, 0x07])


def test_packetize_layout_and_balance() -> None:
    frame = bytes([0x10]) + os.urandom(2999)  # P bit 0: keyframe
    payloads = vp8_packetize(frame, mtu=1000, picture_id=0x1ABC)
    sizes = [len(p) - 4 for p in payloads]
    assert sum(sizes) == 3000 and len(payloads) == 4
    assert_balanced(sizes)
    assert all(len(p) <= 1000 for p in payloads)
    assert payloads[0][:4] == bytes([0x90, 0x80, 0x9A, 0xBC])
    assert all(p[:4] == bytes([0x80, 0x80, 0x9A, 0xBC]) for p in payloads[1:])
    assert vp8_payload_info(payloads[0]) == 3 and vp8_is_keyframe(payloads[0])
    assert vp8_payload_info(payloads[1]) == 0
    assert vp8_depacketize(payloads) == frame


def test_delta_frame_is_not_keyframe() -> None:
    payloads = vp8_packetize(b"\x01" + b"x" * 10)
    assert vp8_payload_info(payloads[0]) == 1 and not vp8_is_keyframe(payloads[0])


def test_packetizer_advances_picture_id() -> None:
    packetizer = Vp8Packetizer(picture_id=0x7FFF)
    first = packetizer.packetize(b"a")
    second = packetizer.packetize(b"b")
    assert Vp8Descriptor.parse(first[0])[0].picture_id == 0x7FFF
    assert Vp8Descriptor.parse(second[0])[0].picture_id == 0


def test_bad_arguments() -> None:
    with pytest.raises(PacketizeError):
        vp8_packetize(b"")
    with pytest.raises(ValueError):
        vp8_packetize(b"abc", mtu=4)
    with pytest.raises(ValueError):
        vp8_packetize(b"abc", picture_id=0x8000)


@pytest.mark.parametrize(
    "payloads",
    [
        [],
        [b""],
        [b"\x90"],  # descriptor only
        [b"\x90\x80"],  # I set, PictureID missing
        [b"\x90\x80\x80"],  # long PictureID truncated
        [b"\x80\x80\x01\x00"],  # first packet without S
        [b"\x91\x00"],  # S=1 but PID=1
        [b"\x90\x00", b"\x80\x40"],  # L set, TL0PICIDX missing
    ],
)
def test_malformed(payloads: list[bytes]) -> None:
    with pytest.raises(DepacketizeError):
        vp8_depacketize(payloads)


@settings(max_examples=60, deadline=None)
@given(size=st.integers(1, 200_000), mtu=st.integers(100, 1500), pid=st.integers(0, 0x7FFF))
def test_round_trip(size: int, mtu: int, pid: int) -> None:
    frame = os.urandom(size)
    payloads = vp8_packetize(frame, mtu=mtu, picture_id=pid)
    assert all(len(p) <= mtu for p in payloads)
    assert_balanced([len(p) for p in payloads])
    assert vp8_depacketize(payloads) == frame
    # aiortc parses our descriptors and gets the same frame
    parsed = [VpxPayloadDescriptor.parse(p) for p in payloads]
    assert b"".join(data for _, data in parsed) == frame
    assert parsed[0][0].partition_start == 1 and parsed[0][0].picture_id == pid


@settings(max_examples=40, deadline=None)
@given(size=st.integers(1, 20_000), pid=st.integers(0, 0x7FFF))
def test_aiortc_descriptors_depacketize(size: int, pid: int) -> None:
    frame = os.urandom(size)
    chunks = [frame[i : i + 1000] for i in range(0, size, 1000)]
    payloads = [
        bytes(VpxPayloadDescriptor(partition_start=int(i == 0), partition_id=0, picture_id=pid))
        + chunk
        for i, chunk in enumerate(chunks)
    ]
    assert vp8_depacketize(payloads) == frame


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=40), min_size=1, max_size=4))
def test_fuzz_only_parse_errors(payloads: list[bytes]) -> None:
    with contextlib.suppress(ParseError):
        vp8_depacketize(payloads)
    for p in payloads:
        with contextlib.suppress(ParseError):
            vp8_payload_info(p)
        with contextlib.suppress(ParseError):
            Vp8Descriptor.parse(p)
