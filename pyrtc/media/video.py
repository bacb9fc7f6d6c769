"""Video RTP payload formats as codec objects: packetize, depacketize, inspect a payload.

Each :class:`VideoCodec` bundles the native functions of one format so the jitter buffer and
:class:`Depacketizer` can work with any of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pyrtc._native.packetize_av1 import av1_depacketize, av1_packetize, av1_payload_info
from pyrtc._native.packetize_h264 import (
    h264_depacketize,
    h264_packetize,
    h264_payload_info,
)
from pyrtc._native.packetize_vp8 import vp8_depacketize, vp8_packetize, vp8_payload_info
from pyrtc._native.packetize_vp9 import vp9_depacketize, vp9_packetize, vp9_payload_info

FRAME_START = 1
"""Bit of ``payload_info``: the payload begins a frame."""
KEYFRAME = 2
"""Bit of ``payload_info``: the payload shows its frame is a keyframe."""


@dataclass(frozen=True)
class VideoCodec:
    """A video payload format (clock rate 90 kHz) and its native functions.

    ``payload_info(payload)`` returns :data:`FRAME_START` / :data:`KEYFRAME` bits and raises
    :class:`~pyrtc.media.DepacketizeError` for a malformed payload; ``depacketize(payloads)``
    rebuilds one frame from its payloads in sequence order.
    """

    name: str
    packetize: Callable[..., list[bytes]]
    depacketize: Callable[[list[bytes]], bytes]
    payload_info: Callable[[bytes], int]
    clock_rate: int = 90000

    def is_keyframe(self, payload: bytes) -> bool:
        """Whether ``payload`` shows that its frame is a keyframe."""
        return self.payload_info(payload) & KEYFRAME != 0


VP8 = VideoCodec("VP8", vp8_packetize, vp8_depacketize, vp8_payload_info)
VP9 = VideoCodec("VP9", vp9_packetize, vp9_depacketize, vp9_payload_info)
AV1 = VideoCodec("AV1", av1_packetize, av1_depacketize, av1_payload_info)
H264 = VideoCodec("H264", h264_packetize, h264_depacketize, h264_payload_info)
