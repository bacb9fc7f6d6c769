"""Audio payload formats: Opus TOC durations (RFC 6716 §3.1), G.711/G.722 timestamps."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc import ParseError
from pyrtc.media import G722, OPUS, PCMA, PCMU, DepacketizeError, PacketizeError, opus_samples


@pytest.mark.parametrize(
    ("payload", "samples"),
    [
        (bytes([0x78]) + b"\x00" * 10, 960),  # config 15: hybrid 20 ms, code 0
        (bytes([0xFC]) + b"\x00" * 10, 960),  # config 31: CELT 20 ms
        (bytes([0x08]) + b"\x00", 960),  # config 1: SILK 20 ms
        (bytes([0x18]) + b"\x00", 2880),  # config 3: SILK 60 ms
        (bytes([0x79]) + b"\x00" * 10, 1920),  # code 1: two 20 ms frames
        (bytes([0x83, 0x03]) + b"\x00" * 6, 360),  # config 16 (2.5 ms), code 3, M=3
        (bytes([0x1B, 0x02]) + b"\x00" * 6, 5760),  # SILK 60 ms x2 = 120 ms
    ],
)
def test_opus_samples(payload: bytes, samples: int) -> None:
    assert opus_samples(payload) == samples
    assert OPUS.timestamp_increment(payload) == samples


@pytest.mark.parametrize("payload", [b"", b"\x03", b"\x03\x00", b"\x1b\x03\x00"])
def test_opus_malformed(payload: bytes) -> None:
    with pytest.raises(DepacketizeError):
        opus_samples(payload)


def test_g711_and_g722_timestamps() -> None:
    frame = b"\xd5" * 160  # 20 ms
    assert PCMU.timestamp_increment(frame) == 160 and PCMU.clock_rate == 8000
    assert PCMA.timestamp_increment(frame) == 160
    # RFC 3551 §4.5.2: 20 ms of 16 kHz G.722 is 160 bytes but the RTP clock says 8000 Hz
    assert G722.clock_rate == 8000 and G722.timestamp_increment(frame) == 160


def test_one_frame_per_packet() -> None:
    frame = b"\x78" + b"\x01" * 159
    assert OPUS.packetize(frame) == [frame]
    assert OPUS.depacketize([frame]) == frame
    with pytest.raises(PacketizeError):
        OPUS.packetize(b"x" * 1300)
    with pytest.raises(PacketizeError):
        PCMU.packetize(b"")
    with pytest.raises(DepacketizeError):
        OPUS.depacketize([frame, frame])


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=8))
def test_opus_fuzz(payload: bytes) -> None:
    with contextlib.suppress(ParseError):
        assert 120 <= opus_samples(payload) <= 5760
