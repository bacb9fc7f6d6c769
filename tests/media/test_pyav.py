"""Real frames (PyAV: libvpx, libx264, SVT-AV1) through packetizer, jitter buffer, decoder."""

from __future__ import annotations

import fractions
import random
from collections.abc import Iterator

import pytest

from pyrtc.media import AV1, H264, VP8, VP9, JitterBuffer, VideoCodec
from pyrtc.rtp import RtpPacket

av = pytest.importorskip("av", reason="PyAV is not installed")

WIDTH, HEIGHT, COUNT = 320, 240, 12


def encoded_frames(encoder: str, options: dict[str, str]) -> Iterator[tuple[bytes, bool]]:
    try:
        codec = av.CodecContext.create(encoder, "w")
    except av.codec.codec.UnknownCodecError:
        pytest.skip(f"PyAV has no {encoder} encoder")
    codec.width, codec.height, codec.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    codec.time_base = fractions.Fraction(1, 30)
    codec.options = options
    for i in range(COUNT + 1):
        frames = [] if i == COUNT else [_picture(i)]
        for frame in frames or [None]:
            for packet in codec.encode(frame):
                yield bytes(packet), packet.is_keyframe


def _picture(i: int) -> av.VideoFrame:
    frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
    for plane in frame.planes:
        plane.update(bytes((x * 3 + i * 5) & 0xFF for x in range(plane.buffer_size)))
    frame.pts = i
    return frame


def run_through_jitter_buffer(
    codec: VideoCodec, frames: list[tuple[bytes, bool]], mtu: int
) -> list[tuple[bytes, bool]]:
    jb = JitterBuffer(90000, codec)
    packets = []
    seq = 65500
    for i, (frame, _) in enumerate(frames):
        payloads = codec.packetize(frame, mtu)
        for j, payload in enumerate(payloads):
            packets.append(
                RtpPacket(96, j == len(payloads) - 1, seq & 0xFFFF, 3000 * i, 5, payload)
            )
            seq += 1
    random.Random(3).shuffle(packets)
    out = []
    for k, packet in enumerate(packets):
        jb.insert(packet, k * 0.001)
    while (frame := jb.pop_frame(10.0)) is not None:
        out.append((frame.data, frame.keyframe))
    return out


def decode(decoder: str, data: list[bytes]) -> list[tuple[int, int]]:
    codec = av.CodecContext.create(decoder, "r")
    sizes = []
    for chunk in data:
        for picture in codec.decode(av.Packet(chunk)):
            sizes.append((picture.width, picture.height))
    for picture in codec.decode(None):
        sizes.append((picture.width, picture.height))
    return sizes


def test_vp8_libvpx() -> None:
    frames = list(encoded_frames("libvpx", {"deadline": "realtime", "cpu-used": "8"}))
    assert len(frames) == COUNT and frames[0][1]
    got = run_through_jitter_buffer(VP8, frames, mtu=300)
    assert got == frames  # same bytes, same keyframe flags as the encoder's
    assert decode("vp8", [data for data, _ in got]) == [(WIDTH, HEIGHT)] * COUNT


def test_vp9_libvpx() -> None:
    frames = list(encoded_frames("libvpx-vp9", {"deadline": "realtime", "cpu-used": "8"}))
    assert len(frames) == COUNT and frames[0][1]
    got = run_through_jitter_buffer(VP9, frames, mtu=300)
    assert got == frames
    assert decode("vp9", [data for data, _ in got]) == [(WIDTH, HEIGHT)] * COUNT


def test_h264_libx264() -> None:
    options = {"preset": "ultrafast", "tune": "zerolatency", "profile": "baseline"}
    frames = list(encoded_frames("libx264", options))
    assert len(frames) == COUNT and frames[0][1]
    got = run_through_jitter_buffer(H264, frames, mtu=300)
    # the depacketizer writes 4-byte start codes; x264 uses 3-byte ones for all but the first NAL
    assert [H264.packetize(data, 300) for data, _ in got] == [
        H264.packetize(data, 300) for data, _ in frames
    ]
    assert [key for _, key in got] == [key for _, key in frames]
    assert decode("h264", [data for data, _ in got]) == [(WIDTH, HEIGHT)] * COUNT


def test_av1_svtav1() -> None:
    frames = list(encoded_frames("libsvtav1", {"preset": "11"}))
    assert frames and frames[0][1]
    got = run_through_jitter_buffer(AV1, frames, mtu=300)
    assert [data for data, _ in got] == [data for data, _ in frames]
    assert got[0][1]  # the sequence header sets N
    try:
        pictures = decode("libdav1d", [data for data, _ in got])
    except av.codec.codec.UnknownCodecError:
        pytest.skip("PyAV has no libdav1d decoder")
    assert pictures == [(WIDTH, HEIGHT)] * COUNT
