"""AV1 payload format (AOMedia RTP spec): aggregation header, OBU elements, round trips, fuzz."""

from __future__ import annotations

import contextlib
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc import ParseError
from pyrtc.media import (
    DepacketizeError,
    PacketizeError,
    av1_depacketize,
    av1_is_keyframe,
    av1_packetize,
    av1_payload_info,
    av1_split_obus,
)

TD = b"\x12\x00"  # temporal delimiter, obu_has_size_field=1, size 0


def leb128(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def obu(obu_type: int, payload: bytes, extension: int | None = None) -> bytes:
    """An OBU in low-overhead format (AV1 spec §5.3): header, [extension], LEB128 size, payload."""
    header = (obu_type << 3) | 0x02 | (0x04 if extension is not None else 0)
    ext = b"" if extension is None else bytes([extension])
    return bytes([header]) + ext + leb128(len(payload)) + payload


def test_split_obus_drops_delimiters_and_size_fields() -> None:
    tu = TD + obu(1, b"\x0a\x0b\x0c") + obu(6, b"\x01\x02", extension=0x28) + obu(8, b"\x00")
    assert av1_split_obus(tu) == [b"\x08\x0a\x0b\x0c", b"\x34\x28\x01\x02"]
    assert av1_split_obus(b"\x30\x55\x66") == [b"\x30\x55\x66"]  # no size field: runs to end
    with pytest.raises(PacketizeError):
        av1_split_obus(b"\x8a\x00")  # forbidden bit
    with pytest.raises(PacketizeError):
        av1_split_obus(b"\x32\x05\x00")  # size beyond the input
    with pytest.raises(PacketizeError):
        av1_packetize(TD)


def test_aggregated_payload_layout() -> None:
    tu = TD + obu(1, b"\x0a\x0b\x0c") + obu(6, b"\x01\x02\x03\x04\x05", extension=0x28)
    payloads = av1_packetize(tu)
    # aggregation header: Z=0 Y=0 W=2 N=1; element 1 with LEB128 length, last one without
    assert payloads == [b"\x28" + b"\x04\x08\x0a\x0b\x0c" + b"\x34\x28\x01\x02\x03\x04\x05"]
    assert av1_payload_info(payloads[0]) == 3 and av1_is_keyframe(payloads[0])
    assert av1_depacketize(payloads) == tu


def test_fragmented_obu() -> None:
    frame = obu(6, os.urandom(2500))
    payloads = av1_packetize(TD + frame, mtu=1000)
    assert len(payloads) == 3 and all(len(p) <= 1000 for p in payloads)
    assert [p[0] for p in payloads] == [0x50, 0xD0, 0x90]  # Y; Z+Y; Z (W=1 each)
    assert av1_payload_info(payloads[0]) == 1 and av1_payload_info(payloads[1]) == 0
    assert av1_depacketize(payloads) == TD + frame


@pytest.mark.parametrize(
    "payloads",
    [
        [],
        [b""],
        [b"\x10"],  # header only
        [b"\x90\x30\x00"],  # Z on the first payload
        [b"\x50\x30\x00"],  # Y on the last payload
        [b"\x10\x30\x00", b"\x90\x00"],  # Z without the previous Y
        [b"\x00\x05\x30"],  # element length beyond the payload
        [b"\x00\x00\x30"],  # empty element
        [b"\x30\x02\x30\x00"],  # W=3 but only two elements
        [b"\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff"],  # LEB128 longer than 8 bytes
        [b"\x10\xb0\x00"],  # forbidden bit in the OBU header
        [b"\x10\x36"],  # extension byte missing
        [b"\x10\x32\x05\x00"],  # kept obu_size disagrees with the element
    ],
)
def test_malformed(payloads: list[bytes]) -> None:
    with pytest.raises(DepacketizeError):
        av1_depacketize(payloads)


obus = st.builds(
    obu,
    st.sampled_from([1, 3, 4, 5, 6, 15]),
    st.one_of(st.binary(max_size=200), st.binary(min_size=1000, max_size=30_000)),
    st.one_of(st.none(), st.integers(0, 255)),
)


@settings(max_examples=60, deadline=None)
@given(units=st.lists(obus, min_size=1, max_size=8), mtu=st.integers(100, 1500))
def test_round_trip(units: list[bytes], mtu: int) -> None:
    tu = TD + b"".join(units)
    payloads = av1_packetize(tu, mtu=mtu)
    sizes = [len(p) for p in payloads]
    assert max(sizes) <= mtu
    if len(payloads) > 1:  # balanced: no near-empty tail packet
        assert min(sizes) >= max(sizes) - len(payloads) - 8
    assert av1_depacketize(payloads) == tu
    # N is set exactly when the unit holds a sequence header (OBU type 1)
    assert av1_is_keyframe(payloads[0]) == any(u[0] >> 3 == 1 for u in units)


@settings(max_examples=10, deadline=None)
@given(size=st.integers(100_000, 200_000))
def test_round_trip_large(size: int) -> None:
    tu = TD + obu(1, b"\x00\x00\x00") + obu(6, os.urandom(size))
    payloads = av1_packetize(tu, mtu=1200)
    assert all(len(p) <= 1200 for p in payloads)
    assert av1_depacketize(payloads) == tu


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=40), min_size=1, max_size=4))
def test_fuzz_only_parse_errors(payloads: list[bytes]) -> None:
    with contextlib.suppress(ParseError):
        av1_depacketize(payloads)
    for p in payloads:
        with contextlib.suppress(ParseError):
            av1_payload_info(p)
