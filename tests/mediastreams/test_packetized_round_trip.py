"""Our encoders' output goes through pyrtc.media's RTP packetizers and back into our decoders."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from media_testkit import video_frame

from pyrtc.codecs import VideoEncoder, can_decode, can_encode, get_decoder, get_encoder
from pyrtc.media import (
    av1_depacketize,
    av1_is_keyframe,
    av1_packetize,
    h264_depacketize,
    h264_is_keyframe,
    h264_packetize,
    vp8_depacketize,
    vp8_is_keyframe,
    vp8_packetize,
    vp9_depacketize,
    vp9_is_keyframe,
    vp9_packetize,
)

Packetize = Callable[..., list[bytes]]
FORMATS: dict[str, tuple[Packetize, Callable[[list[bytes]], bytes], Callable[[bytes], bool]]] = {
    "VP8": (vp8_packetize, vp8_depacketize, vp8_is_keyframe),
    "VP9": (vp9_packetize, vp9_depacketize, vp9_is_keyframe),
    "H264": (h264_packetize, h264_depacketize, h264_is_keyframe),
    "AV1": (av1_packetize, av1_depacketize, av1_is_keyframe),
}


@pytest.mark.parametrize("name", list(FORMATS))
def test_encode_packetize_depacketize_decode(name: str) -> None:
    if not (can_encode(name) and can_decode(name)):
        pytest.skip(f"this FFmpeg cannot encode and decode {name}")
    packetize, depacketize, is_keyframe = FORMATS[name]
    encoder = get_encoder(name, 800_000)
    assert isinstance(encoder, VideoEncoder)
    decoder = get_decoder(name)
    decoded = 0
    for i in range(6):
        (encoded,) = encoder.encode(video_frame(i, 640, 480), force_keyframe=i == 3)
        payloads = packetize(encoded.data, mtu=500)
        assert all(len(p) <= 500 for p in payloads)
        assert is_keyframe(payloads[0]) == encoded.keyframe == (i in (0, 3))
        frames = decoder.decode(depacketize(payloads), encoded.timestamp)
        assert [(f.width, f.height, f.pts) for f in frames] == [(640, 480, 3000 * i)]
        decoded += len(frames)
    encoder.close()
    assert decoded == 6
